/**
 * End-to-end: a laptop user signs in once with `agility-pat auth login` (against the emulator, with a `$BROWSER` that
 * GETs the URL) and then deploys with real Terraform, runs `status` and signs out, with no credential variable set and
 * HOME / XDG_CONFIG_HOME in a temporary folder. After the access token's hour, parallel hooks refresh the stored login
 * exactly once. No stored credential reaches any output, the state, or a command sink's environment, and a stack with
 * its own credentialEnv never falls back to the default login.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TerraformStack } from 'cdktf';
import { AgilityPersonalAccessToken, SecretSink } from '../../lib';
import { DEFAULT_PROFILE, credentialsFilePath, findLogin, readLogins } from '../../lib/credentials';
import { DEFAULT_USER_EMAIL } from '../../lib/emulator';
import { BUNDLE } from '../lifecycle/hook-harness';
import { Deployment, run, terraformEnv, useDeployEmulator, type RunResult } from '../helpers/e2e';

jest.setTimeout(300_000);

const T0 = '2026-11-02T00:00:00Z';
const at = (ms: number) => new Date(Date.parse(T0) + ms).toISOString();
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const world = useDeployEmulator(T0);
let home: string;
const initialized = new Set<Deployment>();
const extraDeployments: Deployment[] = [];
beforeAll(() => {
  home = mkdtempSync(join(tmpdir(), 'agility-pat-e2e-home-'));
  // A "browser" for the bot's sign-in: GETs the URL with a login_hint added, following the redirect.
  writeFileSync(
    join(home, 'bot-browser.js'),
    "fetch(process.argv[2] + '&login_hint=bot@example.com').then((r) => r.text()).then(() => undefined, () => process.exit(1));\n",
  );
});
afterAll(() => {
  extraDeployments.forEach((d) => d.cleanup());
  rmSync(home, { recursive: true, force: true });
});

/** The environment of the user's shell: no credential variable, HOME and XDG_CONFIG_HOME in the temporary folder. */
function userEnv(now: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = terraformEnv({ AGILITY_PAT_NOW: now, HOME: home, XDG_CONFIG_HOME: join(home, 'config'), ...extra });
  for (const name of ['AGILITY_ACCESS_TOKEN', 'AGILITY_REFRESH_TOKEN', 'BOT_TOKEN']) expect(env[name]).toBeUndefined();
  return env;
}

/** `agility-pat <args>` from the bundle, as the user types it; its output joins the deployment's for the secret scan. */
async function agilityPat(d: Deployment, args: string[], now: string, extra: NodeJS.ProcessEnv = {}): Promise<RunResult> {
  await world.admin.setClock(now);
  const result = await run(process.execPath, [BUNDLE, ...args], { cwd: d.dir, env: userEnv(now, extra), timeoutMs: 60_000 });
  d.output += result.output;
  return result;
}

/** `terraform apply` with the user's environment (no credential variable), as of `now` on both sides. */
async function apply(d: Deployment, now: string): Promise<RunResult> {
  await world.admin.setClock(now);
  const env = userEnv(now);
  if (!initialized.has(d)) {
    const init = await run('terraform', ['init', '-input=false', '-no-color'], { cwd: d.stackDir, env });
    if (init.code !== 0) throw new Error(`terraform init failed:\n${init.output}`);
    initialized.add(d);
  }
  const result = await run('terraform', ['apply', '-auto-approve', '-input=false', '-no-color'], { cwd: d.stackDir, env });
  d.output += result.output;
  return result;
}

/** Tokens with a file sink each; the first also has a command sink that records its environment under `envdumps/`. */
function declare(d: Deployment, names: readonly string[]) {
  mkdirSync(join(d.dir, 'envdumps'), { recursive: true });
  return (stack: TerraformStack) => {
    for (const [i, name] of names.entries()) {
      const sinks = [SecretSink.file(`secrets/${name}.token`)];
      if (i === 0) {
        sinks.push(
          SecretSink.command([
            process.execPath,
            '-e',
            "const fs=require('fs'),p=require('path');let s='';process.stdin.on('data',(d)=>(s+=d)).on('end',()=>" +
              "fs.writeFileSync(p.join(process.argv[1],process.env.AGILITY_PAT_NAME+'.json'),JSON.stringify(process.env)));",
            join(d.dir, 'envdumps'),
          ]),
        );
      }
      new AgilityPersonalAccessToken(stack, name, { name, expiresAt: at(90 * DAY), sinks });
    }
  };
}

async function oauthCalls(path: string): Promise<number> {
  return (await world.admin.requests()).filter((e) => e.path.toLowerCase() === path).length;
}

describe('auth login, then deploys with nothing exported', () => {
  test('deploy and status use the stored login; after its hour, parallel hooks refresh it once; logout removes it', async () => {
    const d = world.deployment('laptop', DEFAULT_USER_EMAIL, 'e2e-auth-login');

    const login = await agilityPat(d, ['auth', 'login', '--api-url', world.emulator.url], T0, { BROWSER: 'curl -fsSL -o /dev/null' });
    expect(login.output).toContain(`signed in to ${world.emulator.url} as ${DEFAULT_USER_EMAIL}`);
    expect(login.code).toBe(0);
    const file = credentialsFilePath(userEnv(T0));
    const first = (await findLogin(file, world.emulator.url, DEFAULT_PROFILE))!;
    expect(first.user.emailAddress).toBe(DEFAULT_USER_EMAIL);

    // A first deploy: four create hooks in parallel and the reconciler, all on the stored login, no refresh.
    d.synth(T0, declare(d, ['alpha', 'beta', 'gamma', 'delta']));
    await world.admin.clearRequests();
    const deployed = await apply(d, T0);
    expect(deployed.output).not.toMatch(/Error/);
    expect(deployed.code).toBe(0);
    expect(await oauthCalls('/oauth/refresh')).toBe(0);
    for (const name of ['alpha', 'beta', 'gamma', 'delta']) {
      expect(readFileSync(join(d.dir, 'secrets', `${name}.token`), 'utf8').length).toBeGreaterThan(20);
    }
    const mine = await world.admin.liveTokens(first.accessToken);
    expect([...mine.keys()].filter((n) => /^(alpha|beta|gamma|delta) \[cdktf:/.test(n))).toHaveLength(4);

    const status = await agilityPat(d, ['status', '--stack', d.stackDir, '--json'], T0);
    expect(status.code).toBe(0);
    expect((JSON.parse(status.output) as { tokens: unknown[] }).tokens).toHaveLength(4);

    // Two hours later the access token has expired on both clocks: four new tokens' hooks run in parallel.
    const later = at(2 * HOUR);
    d.synth(later, declare(d, ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta', 'theta']));
    await world.admin.setClock(later);
    expect(await world.admin.authenticates(first.accessToken)).toBe(false);
    await world.admin.clearRequests();
    const again = await apply(d, later);
    expect(again.output).not.toMatch(/Error/);
    expect(again.code).toBe(0);
    const calls = (await world.admin.requests()).filter((e) => e.path.startsWith('/api/v1/'));
    expect(calls.filter((e) => e.path === '/api/v1/tokens/create')).toHaveLength(4);
    expect(calls.every((e) => e.user === DEFAULT_USER_EMAIL)).toBe(true);
    expect(await oauthCalls('/oauth/refresh')).toBe(1);
    const refreshed = (await findLogin(file, world.emulator.url, DEFAULT_PROFILE))!;
    expect(refreshed.accessToken).not.toBe(first.accessToken);
    expect(refreshed.expiresAt).toBe(at(3 * HOUR));
    expect(refreshed.user).toEqual(first.user);

    // No issued secret (access tokens, refresh tokens, PATs) in any output, the state, or a command sink's
    // environment; the file sinks alone hold their PATs.
    const dumps = readdirSync(join(d.dir, 'envdumps'));
    expect(dumps).toEqual(['alpha.json']);
    const sinkEnv = JSON.parse(readFileSync(join(d.dir, 'envdumps', 'alpha.json'), 'utf8')) as Record<string, string>;
    // The dump is real: it holds the sink's allow-listed environment (HOME is in its base; XDG_CONFIG_HOME, where the
    // stored login lives, is not, unless the sink lists it).
    expect(sinkEnv.HOME).toBe(home);
    expect(sinkEnv.XDG_CONFIG_HOME).toBeUndefined();
    const sinkFiles = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta', 'theta'].map((n) => join('secrets', `${n}.token`));
    expect(d.findSecrets(world.emulator.issuedSecrets(), sinkFiles)).toEqual([]);
    const stored = (await readLogins(file)).flatMap((l) => [l.accessToken, l.refreshToken!]);
    expect(stored).toHaveLength(2);
    expect(d.findSecrets(stored)).toEqual([]);
    expect(login.output + status.output).not.toContain(first.refreshToken!);

    // Signed out, nothing falls back: the next deploy stops with the CONFIG error before any API call.
    const logout = await agilityPat(d, ['auth', 'logout', '--api-url', world.emulator.url], later);
    expect(logout.code).toBe(0);
    expect(await readLogins(file)).toEqual([]);
    const statusAfter = await agilityPat(d, ['status', '--stack', d.stackDir], later);
    expect(statusAfter.code).toBe(3);
    expect(statusAfter.output).toContain('run `npx agility-pat auth login --api-url');
  });

  test('a stack with its own credentialEnv never uses the default login, only the profile of its name', async () => {
    const d = new Deployment(world.admin, 'bot', 'e2e-auth-bot', 'BOT_TOKEN', 'bot@example.com');
    extraDeployments.push(d);
    const url = world.emulator.url;
    const login = await agilityPat(d, ['auth', 'login', '--api-url', url], T0, { BROWSER: 'curl -fsSL -o /dev/null' });
    expect(login.code).toBe(0);

    d.synth(T0, declare(d, ['bot-deploy']));
    await world.admin.clearRequests();
    const refused = await apply(d, T0);
    expect(refused.code).not.toBe(0);
    expect(refused.output).toContain(`run \`npx agility-pat auth login --api-url ${url} --profile BOT_TOKEN\``);
    expect((await world.admin.requests()).filter((e) => e.path.startsWith('/api/'))).toEqual([]);

    const botLogin = await agilityPat(d, ['auth', 'login', '--api-url', url, '--profile', 'BOT_TOKEN'], T0, {
      BROWSER: `${process.execPath} ${join(home, 'bot-browser.js')}`,
    });
    expect(botLogin.code === 0 ? '' : botLogin.output).toBe('');
    expect(botLogin.output).toContain('as bot@example.com');
    const deployed = await apply(d, T0);
    expect(deployed.code === 0 ? '' : deployed.output).toBe('');
    const calls = (await world.admin.requests()).filter((e) => e.path.startsWith('/api/v1/tokens'));
    expect(calls.length).toBeGreaterThan(0);
    expect(new Set(calls.map((e) => e.user))).toEqual(new Set(['bot@example.com']));
    expect(d.findSecrets(world.emulator.issuedSecrets(), [join('secrets', 'bot-deploy.token')])).toEqual([]);
  });
});
