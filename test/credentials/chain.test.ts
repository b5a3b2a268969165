// The credentials store and the credential chain, in process: a fake /oauth/refresh counts its calls.
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import type { TokenResponseData } from '../../lib/api/models';
import {
  DEFAULT_PROFILE,
  EXPIRY_MARGIN_MS,
  type StoredLogin,
  credentialsFilePath,
  findLogin,
  profileForCredentialEnv,
  readLogins,
  removeLogin,
  resolveCredential,
  saveLogin,
} from '../../lib/credentials';

const API = 'http://127.0.0.1:40001';

/** What `p` rejects with; fails the test when it resolves. */
async function errorOf(p: Promise<unknown>): Promise<Error & { code?: string; details?: Record<string, unknown> }> {
  try {
    await p;
  } catch (e) {
    return e as Error & { code?: string };
  }
  throw new Error('expected a rejection, got none');
}
const NOW = Date.parse('2026-03-01T12:00:00Z');
let home: string;
let env: NodeJS.ProcessEnv;
let file: string;

beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'agility-pat-cred-'));
  env = { HOME: home, XDG_CONFIG_HOME: join(home, 'xdg') };
  file = credentialsFilePath(env);
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

function login(overrides: Partial<StoredLogin> = {}): StoredLogin {
  return {
    apiUrl: API,
    profile: DEFAULT_PROFILE,
    accessToken: 'stored-access-0001',
    expiresAt: new Date(NOW + 3_600_000).toISOString(),
    refreshToken: 'stored-refresh-0001',
    user: { userID: 7, emailAddress: 'dev@example.com' },
    signedInAt: new Date(NOW).toISOString(),
    ...overrides,
  };
}

/** A fake `/oauth/refresh` that rotates the refresh token and counts its calls. */
function fakeRefresh(delayMs = 0) {
  const calls: string[] = [];
  const refresh = async (refreshToken: string): Promise<TokenResponseData> => {
    calls.push(refreshToken);
    await new Promise((r) => setTimeout(r, delayMs));
    return {
      access_token: `refreshed-access-${calls.length}`,
      expires_in: 3600,
      refresh_token: `refreshed-refresh-${calls.length}`,
      token_type: 'Bearer',
    };
  };
  return { calls, refresh };
}

describe('where the credentials file lives', () => {
  it('is $XDG_CONFIG_HOME/agility-pat/credentials.json, else ~/.config/agility-pat/credentials.json', () => {
    expect(credentialsFilePath({ HOME: '/h', XDG_CONFIG_HOME: '/x' })).toBe('/x/agility-pat/credentials.json');
    expect(credentialsFilePath({ HOME: '/h' })).toBe('/h/.config/agility-pat/credentials.json');
    // A relative XDG_CONFIG_HOME is ignored, as the XDG rules say.
    expect(credentialsFilePath({ HOME: '/h', XDG_CONFIG_HOME: 'rel' })).toBe('/h/.config/agility-pat/credentials.json');
  });

  it('is written with the folder 0700 and the file 0600, even under a permissive umask or an existing open folder', async () => {
    mkdirSync(join(home, 'xdg', 'agility-pat'), { recursive: true });
    chmodSync(join(home, 'xdg', 'agility-pat'), 0o755);
    const old = process.umask(0o000);
    try {
      await saveLogin(file, login());
    } finally {
      process.umask(old);
    }
    expect(statSync(join(home, 'xdg', 'agility-pat')).mode & 0o777).toBe(0o700);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ version: 1, logins: [login()] });
  });

  it('keeps one login per (API URL, profile); logout removes only its own', async () => {
    await saveLogin(file, login());
    await saveLogin(file, login({ profile: 'BOT_TOKEN', accessToken: 'bot-access' }));
    await saveLogin(file, login({ apiUrl: 'https://mgmt-eu.aglty.io', accessToken: 'eu-access' }));
    await saveLogin(file, login({ accessToken: 'replaced-access' }));
    expect((await readLogins(file)).map((l) => [l.apiUrl, l.profile, l.accessToken])).toEqual([
      [API, 'BOT_TOKEN', 'bot-access'],
      ['https://mgmt-eu.aglty.io', DEFAULT_PROFILE, 'eu-access'],
      [API, DEFAULT_PROFILE, 'replaced-access'],
    ]);
    expect(await removeLogin(file, API, DEFAULT_PROFILE)).toBe(true);
    expect(await removeLogin(file, API, DEFAULT_PROFILE)).toBe(false);
    expect(await findLogin(file, API, DEFAULT_PROFILE)).toBeUndefined();
    expect(await findLogin(file, API, 'BOT_TOKEN')).toBeDefined();
  });

  it('parallel saves of different logins lose none (read-modify-write under the lock)', async () => {
    const profiles = Array.from({ length: 8 }, (_, i) => `P${i}`);
    await Promise.all(profiles.map((p) => saveLogin(file, login({ profile: p }))));
    expect((await readLogins(file)).map((l) => l.profile).sort()).toEqual(profiles);
  });

  it('refuses a file that is not a credentials file, saying what to do and naming no value', async () => {
    mkdirSync(join(home, 'xdg', 'agility-pat'), { recursive: true });
    writeFileSync(file, '{"version":1,"logins":[{"accessToken":"leaky-value"}]}');
    const e = await errorOf(readLogins(file));
    expect(e).toMatchObject({ code: 'CONFIG', details: { prop: 'credentials file' } });
    expect(e.message).toMatch(/delete it and sign in again/);
    expect(e.message).not.toContain('leaky-value');
  });
});

describe('the credential chain', () => {
  const lookup = (
    over: { env?: NodeJS.ProcessEnv; credentialEnv?: string; now?: number; refresh?: (r: string) => Promise<TokenResponseData> } = {},
  ) => ({
    env: over.env ?? env,
    apiUrl: API,
    credentialEnv: over.credentialEnv ?? 'AGILITY_ACCESS_TOKEN',
    clock: () => over.now ?? NOW,
    refresh: over.refresh ?? fakeRefresh().refresh,
  });

  it('takes the credential variable first, without reading the file', async () => {
    mkdirSync(join(home, 'xdg', 'agility-pat'), { recursive: true });
    writeFileSync(file, 'not json'); // would fail if read
    const r = await resolveCredential(lookup({ env: { ...env, AGILITY_ACCESS_TOKEN: ' from-variable ' } }));
    expect(r).toEqual({ accessToken: 'from-variable', source: { kind: 'variable', variable: 'AGILITY_ACCESS_TOKEN' } });
  });

  it('else the stored login for that API URL, as it is while it is fresh', async () => {
    await saveLogin(file, login());
    const { calls, refresh } = fakeRefresh();
    const r = await resolveCredential(lookup({ refresh }));
    expect(r.accessToken).toBe('stored-access-0001');
    expect(r.source).toMatchObject({
      kind: 'login',
      profile: DEFAULT_PROFILE,
      user: { emailAddress: 'dev@example.com' },
      refreshed: false,
    });
    expect(calls).toEqual([]);
  });

  it('else a CONFIG error that says to run npx agility-pat auth login, for another API URL too', async () => {
    await saveLogin(file, login({ apiUrl: 'https://mgmt-eu.aglty.io' }));
    const e = await errorOf(resolveCredential(lookup()));
    expect(e).toMatchObject({ code: 'CONFIG', details: { prop: 'AGILITY_ACCESS_TOKEN' } });
    expect(e.message).toContain(`run \`npx agility-pat auth login --api-url ${API}\``);
    expect(e.message).toMatch(/AGILITY_ACCESS_TOKEN is empty or not set/);
  });

  it('a stack with its own credentialEnv never uses the default login, only the profile of that name', async () => {
    expect(profileForCredentialEnv('AGILITY_ACCESS_TOKEN')).toBe(DEFAULT_PROFILE);
    expect(profileForCredentialEnv('BOT_TOKEN')).toBe('BOT_TOKEN');
    await saveLogin(file, login());
    const e = await errorOf(resolveCredential(lookup({ credentialEnv: 'BOT_TOKEN' })));
    expect(e.code).toBe('CONFIG');
    expect(e.message).toContain(`run \`npx agility-pat auth login --api-url ${API} --profile BOT_TOKEN\``);
    await saveLogin(file, login({ profile: 'BOT_TOKEN', accessToken: 'bot-access', user: { userID: 9, emailAddress: 'bot@example.com' } }));
    expect((await resolveCredential(lookup({ credentialEnv: 'BOT_TOKEN' }))).accessToken).toBe('bot-access');
  });

  it('refreshes an expired login (within the margin too), writes it back with the rotated refresh token, keeps the user', async () => {
    await saveLogin(file, login({ expiresAt: new Date(NOW + EXPIRY_MARGIN_MS).toISOString() }));
    const { calls, refresh } = fakeRefresh();
    const r = await resolveCredential(lookup({ refresh }));
    expect(calls).toEqual(['stored-refresh-0001']);
    expect(r.accessToken).toBe('refreshed-access-1');
    expect(r.source).toMatchObject({ kind: 'login', refreshed: true });
    expect(await findLogin(file, API, DEFAULT_PROFILE)).toEqual({
      ...login(),
      accessToken: 'refreshed-access-1',
      refreshToken: 'refreshed-refresh-1',
      expiresAt: new Date(NOW + 3_600_000).toISOString(),
    });
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('parallel lookups refresh once: the first refreshes under the lock, the others read its result (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 2, max: 12 }), fc.integer({ min: 0, max: 30 }), async (parallel, delayMs) => {
        await saveLogin(file, login({ expiresAt: new Date(NOW - 1).toISOString() }));
        const { calls, refresh } = fakeRefresh(delayMs);
        const results = await Promise.all(Array.from({ length: parallel }, () => resolveCredential(lookup({ refresh }))));
        expect(calls).toHaveLength(1);
        expect(new Set(results.map((r) => r.accessToken))).toEqual(new Set(['refreshed-access-1']));
      }),
      { numRuns: 15 },
    );
  });

  it('an expired login without a refresh token is a CONFIG error saying to sign in again', async () => {
    const { refreshToken: _none, ...withoutRefresh } = login({ expiresAt: new Date(NOW - 1).toISOString() });
    await saveLogin(file, withoutRefresh);
    const e = await errorOf(resolveCredential(lookup()));
    expect(e.code).toBe('CONFIG');
    expect(e.message).toMatch(/holds no refresh token .*run `npx agility-pat auth login --api-url/);
  });

  it('a refused refresh is AUTH_FAILED saying to sign in again, naming no token', async () => {
    await saveLogin(file, login({ expiresAt: new Date(NOW - 1).toISOString() }));
    const { AuthFailedError } = await import('../../lib/core/errors');
    const refresh = async (): Promise<TokenResponseData> => {
      throw new AuthFailedError('401', { method: 'POST', path: '/oauth/refresh', status: 401 });
    };
    const e = await errorOf(resolveCredential(lookup({ refresh })));
    expect(e.code).toBe('AUTH_FAILED');
    expect(e.message).toMatch(/refused the refresh token of the stored login .* run `npx agility-pat auth login/);
    expect(e.message).not.toContain('stored-refresh-0001');
    // The stored login is left as it was.
    expect((await findLogin(file, API, DEFAULT_PROFILE))?.refreshToken).toBe('stored-refresh-0001');
  });

  it('never puts the credential into the environment it was given', async () => {
    await saveLogin(file, login());
    const before = { ...env };
    await resolveCredential(lookup());
    expect(env).toEqual(before);
  });
});
