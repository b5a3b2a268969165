import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { resolveBaseUrl } from '../../lib/api/base-url';
import { DEFAULT_LOCK_TIMINGS, lockFileFor, type ProcessIdentity, processIdentity, startTicksOf } from '../../lib/locks/file-lock';
import type { SinkSpec } from '../../lib/core/sink-spec';
import {
  ciInputs,
  expectDelivered,
  hookEnv,
  liveNamed,
  liveTokens,
  managed,
  requestLog,
  runHook,
  runProgram,
  waitFor,
  useHookSuite,
} from './hook-harness';
import { pendingNameOf } from '../../lib/core/managed-name';

const { emulator, tmp, signIn } = useHookSuite();

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('hooks run in parallel', () => {
  it('ten hooks for ten tokens of two users end with exactly ten live tokens, each delivered to its own file', async () => {
    const users = [
      { email: 'parallel-a@example.com', oauth: await signIn('parallel-a@example.com') },
      { email: 'parallel-b@example.com', oauth: await signIn('parallel-b@example.com') },
    ];
    // Five per user: Agility allows five creations per user per hour.
    const jobs = Array.from({ length: 10 }, (_, i) => ({
      user: users[i % 2],
      name: managed(`svc-${i}`),
      file: join(tmp(), `svc-${i}.pat`),
      declaredName: `svc-${i}`,
    }));

    const runs = await Promise.all(
      jobs.map((j) =>
        runHook(
          emulator(),
          'create',
          {
            credential: j.user.oauth,
            managedName: j.name,
            declaredName: j.declaredName,
            generation: 5,
            sinks: [{ kind: 'file', path: j.file }],
          },
          tmp(),
        ),
      ),
    );

    expect(runs.map((r) => r.code)).toEqual(Array(10).fill(0));
    for (const u of users) expect(await liveTokens(emulator(), u.oauth)).toHaveLength(5);
    const secrets = new Set<string>();
    for (const j of jobs) secrets.add(await expectDelivered(emulator(), j.user.oauth, j.name, j.file));
    expect(secrets.size).toBe(10);
  });
});

describe('a hook killed between create and delivery', () => {
  it('is repaired by running the hook again: exactly one live token with the name, delivered', async () => {
    const email = 'sigkill@example.com';
    const oauth = await signIn(email);
    const name = managed('ci');
    const started = join(tmp(), 'sink-started');
    const go = join(tmp(), 'sink-go');
    const file = join(tmp(), 'ci.pat');
    // Writes its pid to `started`, then waits until `go` exists; exits on its own once its parent (the hook) is gone.
    const slowSink = [
      "const fs = require('node:fs');",
      'const [started, go] = process.argv.slice(1);',
      'const parent = process.ppid;',
      'fs.writeFileSync(started, String(process.pid));',
      'process.stdin.resume();',
      'setInterval(() => {',
      '  if (fs.existsSync(go)) process.exit(0);',
      '  if (process.ppid !== parent) process.exit(1);',
      '}, 20);',
    ].join('\n');
    const sinks: SinkSpec[] = [
      { kind: 'command', argv: [process.execPath, '-e', slowSink, started, go] },
      { kind: 'file', path: file },
    ];
    const inputs = { credential: oauth, managedName: name, declaredName: 'ci', generation: 5, sinks };

    let killedAtCreate = false;
    const killed = await runHook(emulator(), 'create', inputs, tmp(), {
      onSpawn: (child) => {
        void (async () => {
          await waitFor(
            async () =>
              (await requestLog(emulator())).some(
                (r) => r.user === email && r.method === 'POST' && r.path === '/api/v1/tokens/create' && r.status === 201,
              ),
            20_000,
            'the create in the request log',
          );
          killedAtCreate = true;
          // Delivery has begun (the sink runs) but cannot finish.
          await waitFor(() => existsSync(started), 20_000, 'the command sink to start');
          child.kill('SIGKILL');
        })().catch(() => child.kill('SIGKILL'));
      },
    });

    expect(killedAtCreate).toBe(true);
    expect(killed.signal).toBe('SIGKILL');
    // Restorable sinks are written first: the file took the orphan's secret before the command sink hung.
    expect(existsSync(file)).toBe(true);
    // The killed run's token is live under its pending name: undelivered by construction.
    expect(await liveNamed(emulator(), oauth, name)).toEqual([]);
    const orphan = await liveNamed(emulator(), oauth, pendingNameOf(name));
    expect(orphan).toHaveLength(1);
    // The sink left behind notices its parent is gone and exits.
    const sinkPid = Number(readFileSync(started, 'utf8'));
    await waitFor(() => !isRunning(sinkPid), 5_000, 'the orphaned sink to exit').catch((e) => {
      if (isRunning(sinkPid)) process.kill(sinkPid, 'SIGKILL');
      throw e;
    });

    writeFileSync(go, '');
    const again = await runHook(emulator(), 'create', inputs, tmp());

    expect(again.code).toBe(0);
    expect(await liveNamed(emulator(), oauth, name)).toEqual([expect.not.objectContaining({ tokenID: orphan[0].tokenID })]);
    expect(await liveNamed(emulator(), oauth, pendingNameOf(name))).toEqual([]);
    await expectDelivered(emulator(), oauth, name, file);
  });
});

describe('a lock left behind on the token name', () => {
  /** Plants the name lock of `ci [cdktf:prod~abcdef/g5]` in the lock folder under `lockTmp`, as `holder` would. */
  function plantNameLock(lockTmp: string, holder: ProcessIdentity, ageMs: number): string {
    const path = lockFileFor('name', `${resolveBaseUrl({ baseUrl: emulator().url })}\n${managed('ci')}`, lockTmp);
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    writeFileSync(path, JSON.stringify({ ...holder, ticket: 'left-behind' }), { mode: 0o600 });
    const at = new Date(Date.now() - ageMs);
    utimesSync(path, at, at);
    return path;
  }

  const hasProc = existsSync('/proc/self/stat');
  it.each([
    ...(hasProc ? [['naming a pid an unrelated live process now has (another start time)', 'reused'] as const] : []),
    ['from another host, not renewed for longer than the lease', 'elsewhere'] as const,
  ])('%s: the hook breaks it and delivers at once, instead of waiting 5 minutes', async (_label, kind) => {
    const oauth = await signIn(`left-lock-${kind}@example.com`);
    const lockTmp = join(tmp(), 'machine-tmp');
    const sleeper = spawn('sleep', ['60'], { stdio: 'ignore' });
    try {
      await new Promise((resolve) => sleeper.once('spawn', resolve));
      const pid = sleeper.pid as number;
      const holder: ProcessIdentity =
        kind === 'reused'
          ? { ...processIdentity(), pid, startTicks: String(BigInt(startTicksOf(pid) as string) - 1n) }
          : { pid, host: 'ci-runner-gone', bootId: '00000000-0000-4000-8000-00000000dead', pidNs: 'pid:[1]' };
      const lock = plantNameLock(lockTmp, holder, kind === 'reused' ? 0 : DEFAULT_LOCK_TIMINGS.leaseMs + 1000);
      const file = join(tmp(), 'ci.pat');
      const run = await runProgram(emulator(), ['hook', 'create'], {
        env: { ...hookEnv(emulator(), ciInputs(oauth, { sinks: [{ kind: 'file', path: file }] })), TMPDIR: lockTmp },
        cwd: tmp(),
        timeoutMs: 60_000,
      });
      expect(run.code).toBe(0);
      expect(run.durationMs).toBeLessThan(30_000);
      await expectDelivered(emulator(), oauth, managed('ci'), file);
      expect(existsSync(lock)).toBe(false);
    } finally {
      sleeper.kill('SIGKILL');
    }
  });
});
