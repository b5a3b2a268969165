import { readFile, readdir } from 'node:fs/promises';
import { hasErrorCode, type AgilityPatError } from '../../lib/core/errors';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { COMMAND_SINK_BASE_ENV, COMMAND_SINK_ENV, DEFAULT_CREDENTIAL_ENV, DEFAULT_REFRESH_TOKEN_ENV } from '../../lib/core/hook-contract';
import type { CommandSinkSpec } from '../../lib/core/sink-spec';
import { withoutCredentials } from '../../lib/sinks';
import { commandEnvironment } from '../../lib/sinks/command-sink';
import { deliverSecret } from '../helpers/deliver';
import { waitFor } from '../lifecycle/hook-harness';
import { CTX, SECRET, useTempDir } from './fixtures';

const NODE = process.execPath;

/** Runs `script` with `node -e`; the script gets `args` as process.argv[1..]. */
const nodeSink = (script: string, args: string[] = [], timeoutMs?: number): CommandSinkSpec => ({
  kind: 'command',
  argv: [NODE, '-e', script, ...args],
  ...(timeoutMs === undefined ? {} : { timeoutMs }),
});

const failure = async (promise: Promise<unknown>): Promise<AgilityPatError> => {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!hasErrorCode(error, 'SINK_FAILED')) throw new Error(`expected a SinkError, got ${String(error)}`);
  return error;
};

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('withoutCredentials: the environment command sinks start from', () => {
  const OAUTH = 'oauth-access-token-0123456789';
  const OTHER = 'another-access-token-9876543210';
  const REFRESH = 'refresh-token-abcdefghijkl';
  const base = {
    PATH: '/usr/bin',
    HOME: '/home/ci',
    MY_OAUTH: ` ${OAUTH}\n`,
    AGILITY_ACCESS_TOKEN: OTHER,
    AGILITY_REFRESH_TOKEN: REFRESH,
    COPY_OF_OAUTH: OAUTH,
    HEADER: `Authorization: Bearer ${OTHER}`,
    REFRESH_COPY: REFRESH,
    AGILITY_PAT_API_URL: 'https://mgmt.aglty.io',
  };

  it.each<[string, string, NodeJS.ProcessEnv, string[]]>([
    [
      'drops the named credential, AGILITY_ACCESS_TOKEN, AGILITY_REFRESH_TOKEN and every copy of their values',
      'MY_OAUTH',
      base,
      ['AGILITY_PAT_API_URL', 'HOME', 'PATH'],
    ],
    [
      'drops the default credential variable and its copies when it is the one named',
      'AGILITY_ACCESS_TOKEN',
      { PATH: '/usr/bin', AGILITY_ACCESS_TOKEN: OAUTH, X: OAUTH },
      ['PATH'],
    ],
    [
      'drops a short credential by name and exact copies only, so it cannot take unrelated variables with it',
      'SHORT',
      { PATH: '/usr/bin', SHORT: 'abc', SAME: 'abc', LONGER: 'xabcx' },
      ['LONGER', 'PATH'],
    ],
    ['keeps everything when no credential is set', 'MY_OAUTH', { PATH: '/usr/bin', HOME: '/h' }, ['HOME', 'PATH']],
  ])('%s', (_what, credentialEnv, env, kept) => {
    expect(Object.keys(withoutCredentials(env, credentialEnv)).sort()).toEqual(kept);
  });
});

describe('commandEnvironment: an allow-list', () => {
  const source: NodeJS.ProcessEnv = {
    PATH: '/usr/bin',
    HOME: '/home/ci',
    USER: 'ci',
    LANG: 'C.UTF-8',
    LC_ALL: 'C',
    LC_TIME: 'C',
    TZ: 'UTC',
    TMPDIR: '/tmp',
    TERM: 'dumb',
    SHELL: '/bin/sh',
    SystemRoot: 'C:\\Windows',
    PATHEXT: '.EXE',
    GITHUB_TOKEN: 'ghs_0123456789abcdef',
    VAULT_TOKEN: 'hvs.0123456789abcdef',
    VAULT_COPY: 'hvs.0123456789abcdef',
    OTHER_TOKEN_ENV: 'another-tokens-credential',
    GH_TOKEN: 'gh-token-value',
    UNRELATED: 'x',
  };
  const delivery = Object.values(COMMAND_SINK_ENV).sort();

  it('passes only the base, the listed names and the delivery variables', () => {
    const env = commandEnvironment(source, { env: ['GH_TOKEN'] }, CTX, SECRET, 'linux');
    expect(Object.keys(env).sort()).toEqual([...COMMAND_SINK_BASE_ENV.names, 'LC_ALL', 'LC_TIME', 'GH_TOKEN', ...delivery].sort());
  });

  it('adds SystemRoot and PATHEXT on Windows, comparing names without case', () => {
    const env = commandEnvironment({ ...source, Path: 'C:\\bin', gh_token: 'v' }, { env: ['GH_TOKEN'] }, CTX, SECRET, 'win32');
    expect(Object.keys(env)).toEqual(expect.arrayContaining(['SystemRoot', 'PATHEXT', 'Path', 'gh_token']));
    expect(Object.keys(env)).not.toEqual(expect.arrayContaining(['GITHUB_TOKEN']));
    expect(Object.keys(commandEnvironment(source, {}, CTX, SECRET, 'linux'))).not.toContain('SystemRoot');
  });

  it('drops a listed variable whose value contains the secret', () => {
    const env = commandEnvironment({ ...source, LEAK: `x${SECRET}` }, { env: ['LEAK'] }, CTX, SECRET, 'linux');
    expect(env.LEAK).toBeUndefined();
  });

  it('docs/sinks.md lists exactly the code\'s allow-list in "What a command sink receives"', () => {
    const doc = readFileSync(resolve(__dirname, '..', '..', 'docs', 'sinks.md'), 'utf8');
    const section = /## What a command sink receives\n([\s\S]*?)\n## /.exec(doc)![1]!;
    const listed = (label: string): string[] => {
      const line = section.split('\n').find((l) => l.startsWith(`- **${label}:**`));
      return [...(line ?? '').matchAll(/`([A-Za-z_]+)`/g)].map((m) => m[1]!).sort();
    };
    expect(listed('Base')).toEqual([...COMMAND_SINK_BASE_ENV.names].sort());
    expect(listed('Prefixes')).toEqual([...COMMAND_SINK_BASE_ENV.prefixes].sort());
    expect(listed('Windows only')).toEqual([...COMMAND_SINK_BASE_ENV.windows].sort());
    expect(listed('Delivery')).toEqual(delivery);
    expect(section).toContain(`\`${DEFAULT_CREDENTIAL_ENV}\``);
    expect(section).toContain(`\`${DEFAULT_REFRESH_TOKEN_ENV}\``);
  });
});

describe('command sink', () => {
  const tmp = useTempDir();

  it("a token with only a command sink sees no native sink's credential, no copy of one, no other token's variable", async () => {
    const out = join(tmp(), 'env.json');
    const script = `require('fs').writeFileSync(process.argv[1], JSON.stringify(process.env))`;
    await deliverSecret(SECRET, [{ ...nodeSink(script, [out]), env: ['GH_TOKEN'] }], CTX, {
      env: {
        PATH: process.env.PATH,
        GITHUB_TOKEN: 'ghs_a',
        VAULT_TOKEN: 'hvs.b',
        VAULT_COPY: 'hvs.b',
        OTHER_TOKEN_ENV: 'c',
        GH_TOKEN: 'd',
      },
    });
    const seen = JSON.parse(await readFile(out, 'utf8')) as Record<string, string>;
    expect(Object.keys(seen).sort()).toEqual(['GH_TOKEN', 'PATH', ...Object.values(COMMAND_SINK_ENV)].sort());
  });

  it('writes exactly the secret to the program stdin', async () => {
    const out = join(tmp(), 'stdin.txt');
    await deliverSecret(SECRET, [nodeSink("require('fs').writeFileSync(process.argv[1], require('fs').readFileSync(0))", [out])], CTX);
    expect(await readFile(out, 'utf8')).toBe(SECRET);
  });

  it('finds a program without a slash on PATH', async () => {
    const out = join(tmp(), 'stdin.txt');
    await deliverSecret(
      SECRET,
      [{ kind: 'command', argv: ['node', '-e', "require('fs').writeFileSync(process.argv[1], require('fs').readFileSync(0))", out] }],
      CTX,
      { env: { PATH: `${join(NODE, '..')}:${process.env.PATH ?? ''}` } },
    );
    expect(await readFile(out, 'utf8')).toBe(SECRET);
  });

  it('gives the program the AGILITY_PAT_* variables and never the secret in its environment or argv', async () => {
    const out = join(tmp(), 'seen.json');
    const script = `require('fs').writeFileSync(process.argv[1], JSON.stringify({ argv: process.argv, execArgv: process.execArgv, env: process.env }))`;
    await deliverSecret(SECRET, [{ ...nodeSink(script, [out]), env: ['KEEP', 'LEAKY'] }], CTX, {
      env: { PATH: process.env.PATH, KEEP: 'kept', LEAKY: `prefix-${SECRET}` },
    });

    const seen = JSON.parse(await readFile(out, 'utf8')) as { argv: string[]; execArgv: string[]; env: Record<string, string> };
    expect(seen.env).toMatchObject({
      AGILITY_PAT_NAME: 'ci-deploy',
      AGILITY_PAT_MANAGED_NAME: 'ci-deploy [cdktf:prod~3fa9c1/g2931]',
      AGILITY_PAT_EXPIRY: '2027-01-31T00:00:00.000Z',
      AGILITY_PAT_GENERATION: '2931',
      AGILITY_PAT_TOKEN_ID: 'tok-42',
      KEEP: 'kept',
    });
    expect(seen.env.LEAKY).toBeUndefined();
    expect(Object.values(seen.env).some((v) => v.includes(SECRET))).toBe(false);
    expect(seen.argv.slice(1)).toEqual([out]);
    expect([...seen.argv, ...seen.execArgv].some((a) => a.includes(SECRET))).toBe(false);
  });

  it('passes shell metacharacters in arguments literally, running no shell', async () => {
    const out = join(tmp(), 'args.json');
    const tricky = ['$(touch pwned1)', '; touch pwned2', '`touch pwned3`', '| touch pwned4', '&& touch pwned5', '$HOME'];
    await deliverSecret(
      SECRET,
      [nodeSink("require('fs').writeFileSync(process.argv[1], JSON.stringify(process.argv.slice(2)))", [out, ...tricky])],
      CTX,
      {
        cwd: tmp(),
      },
    );
    expect(JSON.parse(await readFile(out, 'utf8'))).toEqual(tricky);
    expect(await readdir(tmp())).toEqual(['args.json']);
  });

  it('runs the program in options.cwd', async () => {
    await deliverSecret(SECRET, [nodeSink("require('fs').writeFileSync('here.txt', process.cwd())")], CTX, { cwd: tmp() });
    expect(await readFile(join(tmp(), 'here.txt'), 'utf8')).toBe(tmp());
  });

  it('succeeds when the program exits 0 without reading its stdin', async () => {
    await expect(deliverSecret(SECRET, [nodeSink('process.exit(0)')], CTX)).resolves.toMatchObject({ unrestorable: [`command ${NODE}`] });
  });

  it('fails with the exit code when the program exits non-zero', async () => {
    const error = await failure(deliverSecret(SECRET, [nodeSink('process.exit(7)')], CTX));
    expect(error.message).toBe(
      `could not deliver the secret of "${CTX.managedName}" to command ${NODE}: ${NODE} exited with code 7; ` +
        'make the program succeed when it reads the secret on its stdin (run it by hand with a test value), then deploy again.',
    );
    expect(error.details).toMatchObject({ sink: `command ${NODE}`, exitCode: 7, index: 0 });
  });

  it('fails naming the signal when the program is killed by one', async () => {
    const error = await failure(
      deliverSecret(SECRET, [nodeSink("process.kill(process.pid, 'SIGTERM'); setTimeout(() => {}, 10000)")], CTX),
    );
    expect(error.message).toContain('was ended by signal SIGTERM');
    expect(error.details).toMatchObject({ signal: 'SIGTERM' });
  });

  it('quotes the program output with the secret redacted when the program echoes its stdin and fails', async () => {
    const script =
      "const s = require('fs').readFileSync(0, 'utf8'); process.stderr.write('bad token ' + s + '\\n'); process.stdout.write(s); process.exit(3)";
    const error = await failure(deliverSecret(SECRET, [nodeSink(script)], CTX));
    expect(error.message).toContain('exited with code 3');
    expect(error.message).toContain('stderr: "bad token [redacted]"');
    expect(error.message).toContain('stdout: "[redacted]"');
    expect(error.message).not.toContain(SECRET);
    expect(JSON.stringify(error.details)).not.toContain(SECRET);
    expect(String((error.cause as Error | undefined)?.message)).not.toContain(SECRET);
  });

  it('kills a program that runs past its timeout and fails', async () => {
    const pidFile = join(tmp(), 'pid');
    const started = Date.now();
    const error = await failure(
      deliverSecret(
        SECRET,
        [nodeSink("require('fs').writeFileSync(process.argv[1], String(process.pid)); setTimeout(() => {}, 1e9)", [pidFile], 1500)],
        CTX,
      ),
    );
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(error.message).toContain('did not finish within 1500 ms and was killed');
    expect(error.message).toContain("raise the sink's timeoutMs");
    expect(error.details).toMatchObject({ timeoutMs: 1500 });
    const pid = Number(await readFile(pidFile, 'utf8'));
    expect(isAlive(pid)).toBe(false);
  });

  it('kills the whole process group on timeout: a grandchild the program started is gone too', async () => {
    const pidFile = join(tmp(), 'grandchild.pid');
    // The program starts a grandchild (same process group, not detached) that writes its pid, then both wait for ever.
    const script =
      "const c = require('child_process').spawn(process.execPath, ['-e', 'require(\"fs\").writeFileSync(process.argv[1], String(process.pid)); setInterval(() => {}, 1000)', process.argv[1]], { stdio: 'ignore' });" +
      'setInterval(() => {}, 1000)';
    let grandchild = 0;
    try {
      const delivery = deliverSecret(SECRET, [nodeSink(script, [pidFile], 3000)], CTX);
      // The pid file is written before the timeout: poll for it with a deadline, not a fixed sleep.
      await waitFor(async () => (await readFile(pidFile, 'utf8').catch(() => '')) !== '', 10_000, 'the grandchild pid file');
      grandchild = Number(await readFile(pidFile, 'utf8'));
      expect(isAlive(grandchild)).toBe(true);
      const error = await failure(delivery);
      expect(error.message).toContain('did not finish within 3000 ms and was killed');
      // SIGKILL is delivered to the group at once, but the kernel reaps the grandchild (re-parented to init) a moment later.
      await waitFor(() => !isAlive(grandchild), 5_000, 'the grandchild to be gone');
      expect(isAlive(grandchild)).toBe(false);
    } finally {
      if (grandchild > 0 && isAlive(grandchild)) process.kill(grandchild, 'SIGKILL');
    }
  });

  it('resolves once the program exits even when a background process it started keeps its output open', async () => {
    const pidFile = join(tmp(), 'pid');
    const script =
      "const c = require('child_process').spawn(process.execPath, ['-e', 'setTimeout(() => {}, 20000)'], { stdio: ['ignore', 'inherit', 'inherit'], detached: true });" +
      "require('fs').writeFileSync(process.argv[1], String(c.pid)); c.unref(); process.exit(0)";
    const started = Date.now();
    try {
      await expect(deliverSecret(SECRET, [nodeSink(script, [pidFile], 15_000)], CTX)).resolves.toMatchObject({
        unrestorable: [`command ${NODE}`],
      });
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      // The background process is ours (started by the test's program): end it by its id.
      const pid = Number(await readFile(pidFile, 'utf8').catch(() => '0'));
      if (pid > 0 && isAlive(pid)) process.kill(pid, 'SIGKILL');
    }
  });

  it('fails with "program not found" when the program does not exist', async () => {
    const error = await failure(deliverSecret(SECRET, [{ kind: 'command', argv: ['agility-pat-no-such-program-7f3a'] }], CTX));
    expect(error.message).toContain('program not found: agility-pat-no-such-program-7f3a');
    expect(error.message).toContain('PATH');
    expect(error.details).toMatchObject({ code: 'ENOENT', sink: 'command agility-pat-no-such-program-7f3a' });
  });

  it('fails clearly when the program is not executable', async () => {
    const error = await failure(deliverSecret(SECRET, [{ kind: 'command', argv: [tmp()] }], CTX));
    expect(error.message).toContain(`${tmp()} cannot be run (permission denied)`);
    expect(error.details).toMatchObject({ code: 'EACCES' });
  });
});
