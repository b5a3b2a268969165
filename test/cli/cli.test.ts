import { version } from '../../package.json';
import { createToken, useEmulator } from '../emulator/support';
import {
  CREDENTIAL_ENV,
  hookEnv,
  injectFault,
  managed,
  requireBundle,
  runProgram,
  useTempDir,
  type ProgramRun,
} from '../lifecycle/hook-harness';

const emulator = useEmulator({});
const tmp = useTempDir();
beforeAll(requireBundle);

const PATH_ONLY: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin' };

function cli(args: string[], env: NodeJS.ProcessEnv = PATH_ONLY): Promise<ProgramRun> {
  return runProgram(emulator(), args, { env, cwd: tmp() });
}

/** Asserts the run failed the documented way: one line on stderr, `agility-pat: error [CODE] ...`, no stack trace. */
function expectOneErrorLine(run: ProgramRun, code: string, exitCode: number): string {
  expect(run.code).toBe(exitCode);
  expect(run.stdout).toBe('');
  const lines = run.stderr.replace(/\n$/, '').split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0].startsWith(`agility-pat: error [${code}] `)).toBe(true);
  expect(run.stderr).not.toMatch(/^\s+at /m);
  return lines[0];
}

describe('--help and --version', () => {
  const commands = [[], ['hook'], ['tokens'], ['emulator']];

  it.each(commands.map((c) => [c.join(' ') || '(main)', c]))('%s --help prints its usage and exits 0', async (_label, command) => {
    const run = await cli([...command, '--help']);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    expect(run.stdout).toMatch(new RegExp(`^Usage: agility-pat ${command.length ? command[0] : '<command>'}`));
  });

  it.each(commands.map((c) => [c.join(' ') || '(main)', c]))(
    '%s --version prints the package version and exits 0',
    async (_label, command) => {
      const run = await cli([...command, '--version']);
      expect(run.code).toBe(0);
      expect(run.stderr).toBe('');
      expect(run.stdout).toBe(`${version}\n`);
    },
  );

  it('-h is --help and -v is --version', async () => {
    expect((await cli(['-h'])).stdout).toMatch(/^Usage: agility-pat <command>/);
    expect((await cli(['-v'])).stdout).toBe(`${version}\n`);
  });
});

describe('usage errors', () => {
  it('reports an unknown command in one line, exit 2', async () => {
    const line = expectOneErrorLine(await cli(['deploy']), 'INVALID_INPUT', 2);
    expect(line).toMatch(/unknown command "deploy"/);
  });

  it.each([
    ['tokens list', ['tokens', 'list', '--bogus']],
    ['emulator', ['emulator', '--bogus']],
  ])('reports an unknown flag of %s in one line, exit 2', async (_label, args) => {
    const line = expectOneErrorLine(await cli(args), 'INVALID_INPUT', 2);
    expect(line).toMatch(/--bogus/);
  });

  it('reports an unknown hook action in one line, exit 2, before looking at the environment', async () => {
    const line = expectOneErrorLine(await cli(['hook', 'apply']), 'INVALID_INPUT', 2);
    expect(line).toMatch(/unknown hook action "apply": expected create, destroy or reconcile/);
  });

  it('reports an unknown tokens subcommand in one line, exit 2', async () => {
    const line = expectOneErrorLine(await cli(['tokens', 'renew']), 'INVALID_INPUT', 2);
    expect(line).toMatch(/unknown tokens subcommand "renew": expected "list", "revoke" or "rotate"/);
  });

  it('reports arguments given to a hook in one line, exit 2', async () => {
    const line = expectOneErrorLine(await cli(['hook', 'create', '--name', 'x']), 'INVALID_INPUT', 2);
    expect(line).toMatch(/takes no arguments/);
  });

  it('reports a missing hook variable in one line naming it, exit 3', async () => {
    const line = expectOneErrorLine(await cli(['hook', 'create']), 'CONFIG', 3);
    expect(line).toMatch(/AGILITY_PAT_API_URL is not set/);
  });

  it('reports a missing managed name in one line naming the variable, exit 3', async () => {
    const oauth = (await emulator().signIn('cli-missing-name@example.com')).access_token!;
    const line = expectOneErrorLine(await cli(['hook', 'destroy'], hookEnv(emulator(), { credential: oauth })), 'CONFIG', 3);
    expect(line).toMatch(/AGILITY_PAT_MANAGED_NAME is not set/);
  });

  it('reports an unset credential variable in one line naming the variable, never a value, exit 3', async () => {
    const line = expectOneErrorLine(await cli(['hook', 'destroy'], hookEnv(emulator(), { managedName: managed('ci') })), 'CONFIG', 3);
    expect(line).toMatch(new RegExp(`${CREDENTIAL_ENV} is empty or not set`));
  });

  it('reports a refused credential in one line, exit 4', async () => {
    const run = await cli(['tokens', 'list', '--api-url', emulator().url], { ...PATH_ONLY, AGILITY_ACCESS_TOKEN: 'not-a-real-token' });
    const line = expectOneErrorLine(run, 'AUTH_FAILED', 4);
    expect(line).not.toMatch(/not-a-real-token/);
  });
});

describe('tokens list', () => {
  async function seed(email: string): Promise<string> {
    const oauth = (await emulator().signIn(email)).access_token!;
    await createToken(emulator(), oauth, managed('ci'));
    await createToken(emulator(), oauth, 'hand-made');
    return oauth;
  }

  it('shows a table in which managed tokens carry their stack tag and others "-"', async () => {
    const oauth = await seed('cli-list-table@example.com');
    const run = await cli(['tokens', 'list', '--api-url', emulator().url, '--credential-env', CREDENTIAL_ENV], {
      ...PATH_ONLY,
      [CREDENTIAL_ENV]: oauth,
    });

    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+CREATED\s+EXPIRES\s+DAYS LEFT\s+LAST USED\s+MANAGED BY$/);
    expect(lines.find((l) => l.startsWith('ci [cdktf:prod~abcdef/g5]'))).toMatch(/\sprod~abcdef$/);
    expect(lines.find((l) => l.startsWith('hand-made'))).toMatch(/\s-$/);
    expect(lines).toHaveLength(3);
  });

  it('--json gives one object per token with managedBy, reading the URL from AGILITY_API_URL and the default credential variable', async () => {
    const oauth = await seed('cli-list-json@example.com');
    const run = await cli(['tokens', 'list', '--json'], { ...PATH_ONLY, AGILITY_API_URL: emulator().url, AGILITY_ACCESS_TOKEN: oauth });

    expect(run.code).toBe(0);
    const rows = JSON.parse(run.stdout) as Array<{ name: string; managedBy: string | null; expired: boolean; tokenID: string }>;
    expect(rows.map((r) => [r.name, r.managedBy, r.expired])).toEqual([
      ['ci [cdktf:prod~abcdef/g5]', 'prod~abcdef', false],
      ['hand-made', null, false],
    ]);
    for (const r of rows) expect(r).not.toHaveProperty('token');
  });

  it('prints names from the token list escaped, table and --json alike: no control, bidi or zero-width character reaches the terminal', async () => {
    const oauth = (await emulator().signIn('cli-list-hostile@example.com')).access_token!;
    const names = ['clear\u001b[2J\u001b]0;pwned\u0007', 'csi\u009b31m', 'rtl\u202Eexe.txt', 'zero\u200Bwidth', 'line\u2028break'];
    for (const name of names) await createToken(emulator(), oauth, name);
    const raw = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u200b\u202e\u2028]/;

    const table = await cli(['tokens', 'list', '--api-url', emulator().url], { ...PATH_ONLY, AGILITY_ACCESS_TOKEN: oauth });
    expect(table.code).toBe(0);
    expect(table.stdout).not.toMatch(raw);
    expect(table.stdout).toContain('clear\\u001b[2J\\u001b]0;pwned\\u0007');
    expect(table.stdout).toContain('rtl\\u202eexe.txt');
    expect(table.stdout.trimEnd().split('\n')).toHaveLength(1 + names.length);

    const json = await cli(['tokens', 'list', '--json', '--api-url', emulator().url], { ...PATH_ONLY, AGILITY_ACCESS_TOKEN: oauth });
    expect(json.code).toBe(0);
    expect(json.stdout).not.toMatch(raw);
    expect((JSON.parse(json.stdout) as Array<{ name: string }>).map((r) => r.name)).toEqual(names);
  });

  it('reads AGILITY_PAT_TIMEOUT_MS as the deadline of each API call, and names it when the deadline passes', async () => {
    const oauth = (await emulator().signIn('cli-timeout@example.com')).access_token!;
    await injectFault(emulator(), { method: 'GET', path: '/api/v1/tokens/list', latencyMs: 5000, times: 4 });
    const run = await cli(['tokens', 'list', '--api-url', emulator().url], {
      ...PATH_ONLY,
      AGILITY_ACCESS_TOKEN: oauth,
      AGILITY_PAT_TIMEOUT_MS: '300',
    });
    const line = expectOneErrorLine(run, 'TIMEOUT', 11);
    expect(line).toContain('within 300 ms (retries included)');
    expect(line).toContain('allow more time with AGILITY_PAT_TIMEOUT_MS');
  });

  it.each(['abc', '0', '-5', '1.5'])('refuses AGILITY_PAT_TIMEOUT_MS=%s, naming the variable', async (value) => {
    const run = await cli(['tokens', 'list', '--api-url', emulator().url], {
      ...PATH_ONLY,
      AGILITY_ACCESS_TOKEN: 'whatever-token',
      AGILITY_PAT_TIMEOUT_MS: value,
    });
    const line = expectOneErrorLine(run, 'CONFIG', 3);
    expect(line).toContain(`AGILITY_PAT_TIMEOUT_MS must be a whole number of milliseconds from 1 to 999999999`);
  });

  it('says so when the user has no tokens', async () => {
    const oauth = (await emulator().signIn('cli-list-empty@example.com')).access_token!;
    const run = await cli(['tokens', 'list', '--api-url', emulator().url], { ...PATH_ONLY, AGILITY_ACCESS_TOKEN: oauth });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('No tokens.\n');
  });
});

describe('agility-pat emulator', () => {
  it.each(['0.0.0.0', '::', '192.0.2.10'])('refuses --host %s without --allow-remote, saying why and how', async (host) => {
    const line = expectOneErrorLine(await cli(['emulator', '--host', host, '--port', '0']), 'INVALID_INPUT', 2);
    expect(line).toContain(`--host ${host} is not a loopback address`);
    expect(line).toContain('/__emulator/* admin routes (clock, faults, state, request log) take no credential');
    expect(line).toContain('pass --allow-remote');
  });

  it('--help documents --allow-remote and why it is needed', async () => {
    const run = await cli(['emulator', '--help']);
    expect(run.stdout).toMatch(/--allow-remote\s+bind a non-loopback --host such as 0\.0\.0\.0: its \/__emulator\/\* admin routes/);
  });

  it('--allow-remote lifts the refusal: with an address of no interface here, it gets as far as binding', async () => {
    // 192.0.2.10 (TEST-NET-1) is on no interface of this machine: the bind fails, and no socket is ever opened on it.
    const line = expectOneErrorLine(await cli(['emulator', '--host', '192.0.2.10', '--allow-remote', '--port', '0']), 'INVALID_INPUT', 2);
    expect(line).toContain('EADDRNOTAVAIL');
    expect(line).not.toContain('is not a loopback address');
  });

  it('prints exactly its banner with the URL first, answers there, and stops on SIGTERM with exit 0', async () => {
    let firstLine: string | undefined;
    let answered: number | undefined;
    const run = await runProgram(emulator(), ['emulator', '--port', '0'], {
      env: PATH_ONLY,
      cwd: tmp(),
      timeoutMs: 20_000,
      onSpawn: (child) => {
        let buffered = '';
        const onData = (d: string): void => {
          buffered += d;
          const nl = buffered.indexOf('\n');
          if (nl < 0) return;
          child.stdout!.off('data', onData);
          firstLine = buffered.slice(0, nl);
          const url = /^Agility Management API emulator listening on (http:\/\/127\.0\.0\.1:\d+)$/.exec(firstLine)?.[1];
          void (url ? fetch(`${url}/api/v1/types`).then((r) => (answered = r.status)) : Promise.resolve())
            .catch(() => undefined)
            .finally(() => child.kill('SIGTERM'));
        };
        child.stdout!.on('data', onData);
      },
    });

    expect(firstLine).toMatch(/^Agility Management API emulator listening on http:\/\/127\.0\.0\.1:([1-9]\d{0,4})$/);
    expect(answered).toBe(200);
    expect(run.signal).toBeNull();
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
  });
});
