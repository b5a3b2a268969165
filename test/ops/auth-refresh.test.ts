import { lstatSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../lib/cli/main';
import { call, useEmulator } from '../emulator/support';
import { requireBundle } from '../lifecycle/hook-harness';
import { DAY_MS, T0, T0_MS, captureContext, leaks, programEnv, runBundle } from './support';

const emulator = useEmulator({ now: T0 });
let dir: string;
beforeAll(requireBundle);
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'agility-pat-auth-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** True when `accessToken` is an OAuth session that may list tokens. */
async function canListTokens(accessToken: string): Promise<boolean> {
  return (await call(emulator(), 'GET', '/api/v1/tokens/list', { token: accessToken })).status === 200;
}

async function refreshTokenFile(): Promise<string> {
  const file = join(dir, 'refresh-token');
  writeFileSync(file, `${(await emulator().signIn()).refresh_token}\n`, { mode: 0o600 });
  return file;
}

describe('auth refresh', () => {
  it('prints a working access token on a non-terminal stdout and rewrites the file with the rotated refresh token (0600)', async () => {
    const file = await refreshTokenFile();
    const first = readFileSync(file, 'utf8');
    const run = await runBundle(emulator(), ['auth', 'refresh', '--refresh-token-file', file, '--api-url', emulator().url], {
      env: programEnv(T0_MS),
      cwd: dir,
      stdoutMayHoldSecret: true,
    });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^[^\s]+\n$/);
    expect(await canListTokens(run.stdout.trim())).toBe(true);

    const second = readFileSync(file, 'utf8');
    expect(second).not.toBe(first);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(emulator().issuedSecrets()).toContain(second.trim());
    // The refresh token in the file is the new one (the old one no longer works), so the next run works too.
    const again = await runBundle(emulator(), ['auth', 'refresh', '--refresh-token-file', 'refresh-token'], {
      env: programEnv(T0_MS, { AGILITY_API_URL: emulator().url }),
      cwd: dir,
      stdoutMayHoldSecret: true,
    });
    expect(again.code).toBe(0);
    expect(again.stdout.trim()).not.toBe(run.stdout.trim());
    const reused = await call(emulator(), 'POST', '/oauth/refresh', {
      body: new URLSearchParams({ refresh_token: first.trim() }),
    });
    expect(reused.status).toBe(401);
  });

  it('reads the refresh token from a variable and warns, without the value, that the new one cannot be saved', async () => {
    const refresh = (await emulator().signIn()).refresh_token!;
    const run = await runBundle(emulator(), ['auth', 'refresh', '--refresh-token-env', 'MY_REFRESH', '--api-url', emulator().url], {
      env: programEnv(T0_MS, { MY_REFRESH: refresh }),
      cwd: dir,
      stdoutMayHoldSecret: true,
    });
    expect(run.code).toBe(0);
    expect(await canListTokens(run.stdout.trim())).toBe(true);
    expect(run.stderr).toMatch(/^agility-pat: warning: Agility issued a new refresh token and the one in MY_REFRESH may no longer work/);
  });

  it('does not print the access token to a terminal unless --print', async () => {
    const file = await refreshTokenFile();
    const tty = captureContext({ AGILITY_API_URL: emulator().url }, T0_MS, dir, true);
    expect(await main(['auth', 'refresh', '--refresh-token-file', file], tty.ctx)).toBe(0);
    expect(tty.out).toEqual([]);
    expect(tty.stderr()).toMatch(
      /not printed to a terminal\. Capture it: export AGILITY_ACCESS_TOKEN="\$\(agility-pat auth refresh \.\.\.\)", or pass --print\./,
    );
    expect(leaks(emulator(), tty.stderr())).toEqual([]);

    const printed = captureContext({ AGILITY_API_URL: emulator().url }, T0_MS, dir, true);
    expect(await main(['auth', 'refresh', '--refresh-token-file', file, '--print'], printed.ctx)).toBe(0);
    expect(printed.out).toHaveLength(1);
    expect(await canListTokens(printed.out[0])).toBe(true);
  });

  it('refuses to write the rotated refresh token through a symbolic link (SINK_FAILED, exit 13), the link target untouched', async () => {
    const target = await refreshTokenFile();
    const before = readFileSync(target, 'utf8');
    const link = join(dir, 'via-link');
    symlinkSync(target, link);
    const run = await runBundle(emulator(), ['auth', 'refresh', '--refresh-token-file', link, '--api-url', emulator().url], {
      env: programEnv(T0_MS),
      cwd: dir,
    });
    expect(run.code).toBe(13);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(
      /^agility-pat: error \[SINK_FAILED\] the Agility API issued a new refresh token, but writing it to .*via-link failed \(.*symbolic link/,
    );
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readFileSync(target, 'utf8')).toBe(before);
  });

  it('fails clearly (CONFIG, exit 3) when the refresh token file or variable is missing or empty', async () => {
    const env = programEnv(T0_MS, { AGILITY_API_URL: emulator().url });
    const noFile = await runBundle(emulator(), ['auth', 'refresh', '--refresh-token-file', 'absent'], { env, cwd: dir });
    expect(noFile.code).toBe(3);
    expect(noFile.stdout).toBe('');
    expect(noFile.stderr).toMatch(/^agility-pat: error \[CONFIG\] the refresh token file .*absent does not exist/);
    const noVar = await runBundle(emulator(), ['auth', 'refresh'], { env, cwd: dir });
    expect(noVar.code).toBe(3);
    expect(noVar.stderr).toMatch(
      /\[CONFIG\] no refresh token in the environment variable AGILITY_REFRESH_TOKEN \(the variable is empty or not set\)/,
    );
  });

  it('fails clearly (AUTH_FAILED, exit 4) for an expired refresh token, leaving the file as it was', async () => {
    const file = await refreshTokenFile();
    const before = readFileSync(file, 'utf8');
    const advanced = await call(emulator(), 'POST', '/__emulator/clock', { json: { advanceSeconds: 31 * 86_400 } });
    expect(advanced.status).toBe(200);
    const run = await runBundle(emulator(), ['auth', 'refresh', '--refresh-token-file', file, '--api-url', emulator().url], {
      env: programEnv(T0_MS + 31 * DAY_MS),
      cwd: dir,
    });
    expect(run.code).toBe(4);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(
      /^agility-pat: error \[AUTH_FAILED\] the Agility API refused the refresh token from the file .*refresh-token \(unknown, already used, or expired\): sign in again/,
    );
    expect(readFileSync(file, 'utf8')).toBe(before);
  });

  it('never takes the refresh token as an argument', async () => {
    const cap = captureContext({}, T0_MS, dir);
    expect(await main(['auth', 'refresh', '--refresh-token', 'abc'], cap.ctx)).toBe(2);
    expect(cap.stderr()).toMatch(/\[INVALID_INPUT\].*--refresh-token/);
  });
});
