import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SinkSpec } from '../../lib/core/sink-spec';
import { expectDelivered, liveNamed, liveTokens, managed, requestLog, runHook, waitFor, useHookSuite } from './hook-harness';
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
