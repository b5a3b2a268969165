// `agility-pat auth login|status|logout` in process against the emulator: no real browser, either a `$BROWSER` that
// GETs the URL (curl) or the test following the printed URL itself.
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../lib/cli/main';
import { DEFAULT_PROFILE, credentialsFilePath, findLogin, newCliCode, readLogins } from '../../lib/credentials';
import { DEFAULT_USER_EMAIL } from '../../lib/emulator';
import { call, useEmulator } from '../emulator/support';
import { T0, T0_MS, captureContext, leaks } from '../ops/support';

const emulator = useEmulator({ now: T0 });
let home: string;
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'agility-pat-login-'));
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

const CURL_BROWSER = 'curl -fsSL -o /dev/null';

function baseEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: home, XDG_CONFIG_HOME: join(home, 'config'), AGILITY_API_URL: emulator().url, ...extra };
}

/** The sign-in URL line of a login's stderr (exactly one). */
function urlLines(err: readonly string[]): string[] {
  return err.filter((l) => l.startsWith(`${emulator().url}/oauth/Authorize?`));
}

/** Runs `agility-pat <args>` in process; with `follow`, the test plays the browser: it GETs the printed URL. */
async function cli(args: string[], opts: { env?: NodeJS.ProcessEnv; follow?: (url: string) => string } = {}) {
  const cap = captureContext(opts.env ?? baseEnv(), T0_MS, home);
  if (opts.follow) {
    const err = cap.ctx.err;
    cap.ctx.err = (line) => {
      err(line);
      if (line.startsWith(`${emulator().url}/oauth/Authorize?`)) void fetch(opts.follow!(line)).then((r) => r.text());
    };
  }
  const code = await main(args, cap.ctx);
  const all = `${cap.stdout()}\n${cap.stderr()}`;
  return { code, out: cap.out, err: cap.err, stdout: cap.stdout(), stderr: cap.stderr(), all };
}

const asIs = (url: string): string => url;

describe('auth login', () => {
  it('completes with a $BROWSER that GETs the printed URL, and stores the login 0600 in a 0700 folder', async () => {
    const run = await cli(['auth', 'login'], { env: baseEnv({ BROWSER: CURL_BROWSER }) });
    expect(run.stderr).not.toMatch(/error|could not open/);
    expect(run.code).toBe(0);
    const [url] = urlLines(run.err);
    expect(urlLines(run.err)).toHaveLength(1);
    const redirect = encodeURIComponent(`${emulator().url}/oauth/CliAuth`);
    expect(url).toMatch(
      new RegExp(
        `^${emulator().url}/oauth/Authorize\\?response_type=code&redirect_uri=${redirect.replace(/%/g, '%')}&state=cli-code%2e[0-9a-z]{6}&scope=offline_access$`,
      ),
    );
    const file = credentialsFilePath(baseEnv());
    expect(file).toBe(join(home, 'config', 'agility-pat', 'credentials.json'));
    expect(statSync(join(home, 'config', 'agility-pat')).mode & 0o777).toBe(0o700);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const stored = await findLogin(file, emulator().url, DEFAULT_PROFILE);
    expect(stored).toMatchObject({
      apiUrl: emulator().url,
      profile: DEFAULT_PROFILE,
      user: { emailAddress: DEFAULT_USER_EMAIL },
      expiresAt: new Date(T0_MS + 3_600_000).toISOString(),
      signedInAt: T0,
    });
    expect(emulator().issuedSecrets()).toEqual(expect.arrayContaining([stored!.accessToken, stored!.refreshToken]));
    // The file holds the logins and nothing else.
    expect(Object.keys(JSON.parse(readFileSync(file, 'utf8')))).toEqual(['version', 'logins']);
    expect(leaks(emulator(), run.all)).toEqual([]);
    expect(run.stderr).toContain(`signed in to ${emulator().url} as ${DEFAULT_USER_EMAIL}`);
  });

  it('completes by following the printed URL (--no-browser); status, tokens list and logout then work with no variable', async () => {
    const login = await cli(['auth', 'login', '--no-browser'], { follow: asIs });
    expect(login.code).toBe(0);
    expect(login.stderr).toMatch(/no browser was started/);

    const status = await cli(['auth', 'status']);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(
      new RegExp(`^Signed in to ${emulator().url} as ${DEFAULT_USER_EMAIL} \\(user \\d+\\), profile default\\.$`, 'm'),
    );
    expect(status.stdout).toContain(`Access token expires at ${new Date(T0_MS + 3_600_000).toISOString()} (in 60 min)`);
    const json = await cli(['auth', 'status', '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({
      apiUrl: emulator().url,
      profile: 'default',
      user: { emailAddress: DEFAULT_USER_EMAIL },
      hasRefreshToken: true,
      refreshed: false,
      variableSet: false,
    });
    const list = await cli(['tokens', 'list', '--json']);
    expect(list.code).toBe(0);
    for (const r of [status, json, list]) expect(leaks(emulator(), r.all)).toEqual([]);

    const logout = await cli(['auth', 'logout']);
    expect(logout.code).toBe(0);
    expect(logout.stderr).toMatch(/signed out of .*the stored login is removed/);
    expect(await readLogins(credentialsFilePath(baseEnv()))).toEqual([]);
    const after = await cli(['auth', 'status']);
    expect(after.code).toBe(3);
    expect(after.stderr).toContain('run `npx agility-pat auth login --api-url');
    const listAfter = await cli(['tokens', 'list']);
    expect(listAfter.code).toBe(3);
    expect(listAfter.stderr).toMatch(/\[CONFIG\] no Agility credential .* run `npx agility-pat auth login/);
  });

  it('status refreshes an expired login once, and reports the variable when it is set', async () => {
    await cli(['auth', 'login', '--no-browser'], { follow: asIs });
    const file = credentialsFilePath(baseEnv());
    const before = (await findLogin(file, emulator().url, DEFAULT_PROFILE))!;
    await call(emulator(), 'POST', '/__emulator/clock', { json: { now: new Date(T0_MS + 2 * 3_600_000).toISOString() } });
    await call(emulator(), 'DELETE', '/__emulator/requests');
    const cap = captureContext(baseEnv({ AGILITY_ACCESS_TOKEN: 'ignored-by-status' }), T0_MS + 2 * 3_600_000, home);
    expect(await main(['auth', 'status', '--json'], cap.ctx)).toBe(0);
    const report = JSON.parse(cap.stdout());
    expect(report).toMatchObject({
      refreshed: true,
      variableSet: true,
      accessTokenExpiresAt: new Date(T0_MS + 3 * 3_600_000).toISOString(),
    });
    const after = (await findLogin(file, emulator().url, DEFAULT_PROFILE))!;
    expect(after.accessToken).not.toBe(before.accessToken);
    expect(after.refreshToken).not.toBe(before.refreshToken);
    const log = (await call(emulator(), 'GET', '/__emulator/requests')).body as { path: string }[];
    expect(log.filter((e) => e.path === '/oauth/refresh')).toHaveLength(1);
    expect(leaks(emulator(), `${cap.stdout()}${cap.stderr()}`)).toEqual([]);
  });

  it('--print prints the stored access token on stdout, for export', async () => {
    const run = await cli(['auth', 'login', '--no-browser', '--print'], { follow: asIs });
    expect(run.code).toBe(0);
    const stored = await findLogin(credentialsFilePath(baseEnv()), emulator().url, DEFAULT_PROFILE);
    expect(run.out).toEqual([stored!.accessToken]);
    expect(leaks(emulator(), run.stderr)).toEqual([]);
  });

  it("auth refresh with no refresh token given prints the stored login's access token, refreshed once expired", async () => {
    await cli(['auth', 'login', '--no-browser'], { follow: asIs });
    const file = credentialsFilePath(baseEnv());
    const stored = (await findLogin(file, emulator().url, DEFAULT_PROFILE))!;
    const now = await cli(['auth', 'refresh']);
    expect(now.code).toBe(0);
    expect(now.out).toEqual([stored.accessToken]);
    await call(emulator(), 'POST', '/__emulator/clock', { json: { now: new Date(T0_MS + 2 * 3_600_000).toISOString() } });
    const cap = captureContext(baseEnv(), T0_MS + 2 * 3_600_000, home);
    expect(await main(['auth', 'refresh'], cap.ctx)).toBe(0);
    const refreshed = (await findLogin(file, emulator().url, DEFAULT_PROFILE))!;
    expect(refreshed.accessToken).not.toBe(stored.accessToken);
    expect(cap.out).toEqual([refreshed.accessToken]);
    expect(leaks(emulator(), cap.stderr())).toEqual([]);
  });

  it('--refresh-token-file writes the refresh token (0600) for CI, and the stored login keeps none', async () => {
    const run = await cli(['auth', 'login', '--no-browser', '--refresh-token-file', 'ci-refresh-token'], { follow: asIs });
    expect(run.code).toBe(0);
    const file = join(home, 'ci-refresh-token');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const refreshToken = readFileSync(file, 'utf8').trim();
    expect(emulator().issuedSecrets()).toContain(refreshToken);
    const stored = await findLogin(credentialsFilePath(baseEnv()), emulator().url, DEFAULT_PROFILE);
    expect(stored).toBeDefined();
    expect(stored!.refreshToken).toBeUndefined();
    expect(leaks(emulator(), run.all)).toEqual([]);
    // The handed-over refresh token works (CI's `auth refresh` would use it).
    const refreshed = await call(emulator(), 'POST', '/oauth/refresh', { body: new URLSearchParams({ refresh_token: refreshToken }) });
    expect(refreshed.status).toBe(200);
  });

  it("--no-offline opens exactly what Agility's CLI opens; without a refresh token it warns, and --refresh-token-file fails", async () => {
    const run = await cli(['auth', 'login', '--no-browser', '--no-offline'], { follow: asIs });
    expect(run.code).toBe(0);
    const [url] = urlLines(run.err);
    expect(url).toMatch(
      new RegExp(`^${emulator().url}/oauth/Authorize\\?response_type=code&redirect_uri=[^&]+&state=cli-code%2e[0-9a-z]{6}$`),
    );
    expect(run.stderr).toMatch(/warning: Agility answered without a refresh token/);
    const stored = await findLogin(credentialsFilePath(baseEnv()), emulator().url, DEFAULT_PROFILE);
    expect(stored!.refreshToken).toBeUndefined();

    const ci = await cli(['auth', 'login', '--no-browser', '--no-offline', '--refresh-token-file', 'f'], { follow: asIs });
    expect(ci.code).toBe(3);
    expect(ci.stderr).toMatch(/without a refresh token.*undocumented.*authorization-code flow/);
  });

  it('--profile NAME stores a second user beside the default one', async () => {
    await cli(['auth', 'login', '--no-browser'], { follow: asIs });
    const bot = await cli(['auth', 'login', '--no-browser', '--profile', 'BOT_TOKEN'], {
      follow: (url) => `${url}&login_hint=bot@example.com`,
    });
    expect(bot.code).toBe(0);
    const logins = await readLogins(credentialsFilePath(baseEnv()));
    expect(logins.map((l) => [l.profile, l.user.emailAddress])).toEqual([
      ['default', DEFAULT_USER_EMAIL],
      ['BOT_TOKEN', 'bot@example.com'],
    ]);
    const status = await cli(['auth', 'status', '--profile', 'BOT_TOKEN']);
    expect(status.stdout).toMatch(/as bot@example\.com .*profile BOT_TOKEN/);
    expect((await cli(['auth', 'login', '--profile', 'not a name'])).code).toBe(2);
  });

  it('stops with a clear TIMEOUT after --timeout when nobody signs in, storing nothing', async () => {
    const started = Date.now();
    const run = await cli(['auth', 'login', '--no-browser', '--timeout', '3s']);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(run.code).toBe(11);
    expect(run.stderr).toMatch(
      /\[TIMEOUT\] the browser sign-in did not complete within 3 s \(last answer of POST \/oauth\/CliPoll: HTTP 404\)/,
    );
    expect(await readLogins(credentialsFilePath(baseEnv()))).toEqual([]);
    expect((await cli(['auth', 'login', '--timeout', 'soon'])).code).toBe(2);
  });

  it('agility-pat emulator prints the export and auth login lines after its banner, and following them signs in', async () => {
    let stop!: () => void;
    const cap = captureContext(baseEnv(), T0_MS, home);
    cap.ctx.stopSignal = new Promise<void>((r) => (stop = r));
    const running = main(['emulator', '--port', '0'], cap.ctx);
    while (cap.out.length < 3) await new Promise((r) => setTimeout(r, 20));
    const url = /^Agility Management API emulator listening on (http:\/\/127\.0\.0\.1:\d+)$/.exec(cap.out[0])![1];
    expect(cap.out).toEqual([
      `Agility Management API emulator listening on ${url}`,
      `export AGILITY_API_URL=${url}`,
      'npx agility-pat auth login',
    ]);
    try {
      const login = await cli(['auth', 'login'], { env: baseEnv({ AGILITY_API_URL: url, BROWSER: CURL_BROWSER }) });
      expect(login.code).toBe(0);
      const status = await cli(['auth', 'status'], { env: baseEnv({ AGILITY_API_URL: url }) });
      expect(status.stdout).toContain(`Signed in to ${url} as ${DEFAULT_USER_EMAIL}`);
    } finally {
      stop();
      expect(await running).toBe(0);
    }
  });

  it('makes CLI codes of 6 base-36 characters', () => {
    const codes = Array.from({ length: 2000 }, newCliCode);
    for (const c of codes) expect(c).toMatch(/^[0-9a-z]{6}$/);
    expect(new Set(codes).size).toBeGreaterThan(1990);
  });
});
