/**
 * Locks that a dead holder cannot keep (docs/design.md, "Locks that outlive their holders"): a reused pid, a lock
 * left by another host, a live lease and its renewal. Every lease here is short through `timings`, so no test waits
 * for the real 30 s; the real deadline is computed from the defaults.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DEFAULT_LOCK_TIMINGS,
  deadHolderClearedWithinMs,
  type LockTimings,
  type ProcessIdentity,
  processIdentity,
  startTicksOf,
  withFileLock,
} from '../../lib/locks/file-lock';
import { waitFor } from '../helpers/wait-for';

const hasProc = existsSync('/proc/self/stat');
const onLinux = hasProc ? describe : describe.skip;

let dir: string;
const children: ChildProcess[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'file-lock-'));
});
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/** A process of our own that lives until the test ends: an unrelated live pid. */
async function liveSleep(): Promise<number> {
  const child = spawn('sleep', ['60'], { stdio: 'ignore' });
  children.push(child);
  await new Promise<void>((resolve, reject) => child.once('spawn', resolve).once('error', reject));
  return child.pid as number;
}

/** Writes a lock file as a holder `holder` would, last renewed `ageMs` ago. */
function plantLock(path: string, holder: ProcessIdentity, ageMs = 0): void {
  writeFileSync(path, JSON.stringify({ ...holder, ticket: 'planted' }), { mode: 0o600 });
  const at = new Date(Date.now() - ageMs);
  utimesSync(path, at, at);
}

/** Runs `withFileLock` and answers how long it waited for the lock. */
async function timeToAcquire(path: string, options: { waitMs?: number; timings?: Partial<LockTimings>; identity?: ProcessIdentity } = {}) {
  const started = Date.now();
  let entered = -1;
  await withFileLock(
    path,
    async () => {
      entered = Date.now() - started;
    },
    { waitMs: options.waitMs ?? 10_000, what: 'the test lock', timings: options.timings, identity: options.identity },
  );
  return entered;
}

function errorOfAsync(p: Promise<unknown>): Promise<Error & { code?: string }> {
  return p.then(
    () => {
      throw new Error('expected an error, got none');
    },
    (e: Error & { code?: string }) => e,
  );
}

const otherHost: ProcessIdentity = { pid: 4242, host: 'ci-runner-7f3a', bootId: '00000000-0000-4000-8000-000000000001', pidNs: 'pid:[1]' };

describe('a lock on this host', () => {
  onLinux('records what tells its holder apart from a later process with the same pid', () => {
    it('names the pid, host, boot id, pid namespace and start time of the holder', async () => {
      const path = join(dir, 'a.lock');
      let record: Record<string, unknown> = {};
      await withFileLock(
        path,
        async () => {
          record = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
        },
        { waitMs: 1000, what: 'the test lock' },
      );
      expect(record).toMatchObject({
        pid: process.pid,
        bootId: readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim(),
        startTicks: startTicksOf(process.pid),
      });
      expect(record.startTicks).toMatch(/^\d+$/);
      expect(record.pidNs).toMatch(/^pid:\[\d+\]$/);
      expect(existsSync(path)).toBe(false);
    });

    it('whose pid now names an unrelated live process (another start time) is cleared at once', async () => {
      const path = join(dir, 'reused.lock');
      const pid = await liveSleep();
      const ticks = startTicksOf(pid) as string;
      plantLock(path, { ...processIdentity(), pid, startTicks: String(BigInt(ticks) - 1n) });
      expect(await timeToAcquire(path)).toBeLessThan(1000);
    });

    it('whose holder still runs (same pid, same start time) is waited for, and the wait fails with LOCK_TIMEOUT', async () => {
      const path = join(dir, 'alive.lock');
      const pid = await liveSleep();
      plantLock(path, { ...processIdentity(), pid, startTicks: startTicksOf(pid) }, 60_000);
      const error = await errorOfAsync(timeToAcquire(path, { waitMs: 300, timings: { leaseMs: 50 } }));
      expect(error.code).toBe('LOCK_TIMEOUT');
      expect(error.message).toContain(`process ${pid} on`);
      expect(existsSync(path)).toBe(true);
    });
  });

  it('whose holder died is cleared at once', async () => {
    const path = join(dir, 'dead.lock');
    const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
    const pid = child.pid as number;
    await new Promise((resolve) => child.once('exit', resolve));
    plantLock(path, { ...processIdentity(), pid, startTicks: '1' });
    expect(await timeToAcquire(path)).toBeLessThan(1000);
  });
});

describe('where there is no /proc (macOS), pid liveness and the lease decide', () => {
  // This process posing as a macOS one: no boot id, pid namespace or start time to record or compare.
  const mac = (): ProcessIdentity => ({ pid: process.pid, host: 'macbook.local' });

  it('a holder whose pid is dead is stale at once', async () => {
    const path = join(dir, 'mac-dead.lock');
    const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
    await new Promise((resolve) => child.once('exit', resolve));
    plantLock(path, { pid: child.pid as number, host: 'macbook.local' });
    expect(await timeToAcquire(path, { identity: mac() })).toBeLessThan(1000);
  });

  it('a live pid that no longer renews (a reused pid, or a holder that hung) is stale after the lease, not before', async () => {
    const path = join(dir, 'mac-live.lock');
    plantLock(path, { pid: await liveSleep(), host: 'macbook.local' });
    const waited = await timeToAcquire(path, { identity: mac(), timings: { leaseMs: 400 } });
    expect(waited).toBeGreaterThanOrEqual(300);
    expect(waited).toBeLessThan(2000);
  });
});

onLinux('a lock written before start times were recorded (pid, host and ticket only)', () => {
  it('is waited for while its pid lives on this host, as before', async () => {
    const path = join(dir, 'legacy.lock');
    plantLock(path, { pid: await liveSleep(), host: processIdentity().host }, 60_000);
    const error = await errorOfAsync(timeToAcquire(path, { waitMs: 300, timings: { leaseMs: 50 } }));
    expect(error.code).toBe('LOCK_TIMEOUT');
  });
});

describe('a lock from another host is a lease', () => {
  it('with the default timings, a dead holder is cleared within a minute', () => {
    expect(deadHolderClearedWithinMs()).toBeLessThan(60_000);
    expect(deadHolderClearedWithinMs()).toBe(DEFAULT_LOCK_TIMINGS.leaseMs + DEFAULT_LOCK_TIMINGS.maxPollMs);
    // A live holder renews at least twice per lease, so one late renewal does not lose it its lock.
    expect(DEFAULT_LOCK_TIMINGS.leaseMs).toBeGreaterThanOrEqual(2 * DEFAULT_LOCK_TIMINGS.renewEveryMs);
  });

  it('not renewed for longer than the default lease, it is cleared at once', async () => {
    const path = join(dir, 'left.lock');
    plantLock(path, otherHost, DEFAULT_LOCK_TIMINGS.leaseMs + 1000);
    expect(await timeToAcquire(path)).toBeLessThan(1000);
  });

  it('renewed within the default lease, it is waited for', async () => {
    const path = join(dir, 'recent.lock');
    plantLock(path, otherHost, DEFAULT_LOCK_TIMINGS.leaseMs - 5000);
    const error = await errorOfAsync(timeToAcquire(path, { waitMs: 300 }));
    expect(error.code).toBe('LOCK_TIMEOUT');
    expect(error.message).toContain('process 4242 on ci-runner-7f3a');
  });

  it('left fresh by a holder that then died, it is cleared once the lease runs out, not before', async () => {
    const path = join(dir, 'fresh.lock');
    plantLock(path, otherHost);
    const waited = await timeToAcquire(path, { timings: { leaseMs: 400 } });
    expect(waited).toBeGreaterThanOrEqual(300);
    expect(waited).toBeLessThan(2000);
  });

  it('a host name that matches but another boot id is another host (a container of another machine)', async () => {
    const path = join(dir, 'boot.lock');
    const pid = await liveSleep();
    plantLock(path, { ...processIdentity(), pid, bootId: '00000000-0000-4000-8000-00000000beef' }, 1000);
    expect(await timeToAcquire(path, { timings: { leaseMs: 500 } })).toBeLessThan(1000);
  });

  it('renewed by its live holder, it is respected for as long as the holder renews it', async () => {
    const path = join(dir, 'live.lock');
    plantLock(path, otherHost);
    const heartbeat = setInterval(() => {
      const now = new Date();
      utimesSync(path, now, now);
    }, 50);
    try {
      const error = await errorOfAsync(timeToAcquire(path, { waitMs: 1200, timings: { leaseMs: 300 } }));
      expect(error.code).toBe('LOCK_TIMEOUT');
    } finally {
      clearInterval(heartbeat);
    }
    expect(JSON.parse(readFileSync(path, 'utf8'))).toMatchObject({ ticket: 'planted' });
  });

  it('eight waiters that all find it stale break it once and then take turns, never two inside at once', async () => {
    const path = join(dir, 'crowd.lock');
    plantLock(path, otherHost, DEFAULT_LOCK_TIMINGS.leaseMs + 1000);
    let inside = 0;
    let most = 0;
    let turns = 0;
    await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        withFileLock(
          path,
          async () => {
            inside += 1;
            most = Math.max(most, inside);
            await new Promise((r) => setTimeout(r, 10));
            inside -= 1;
            turns += 1;
          },
          { waitMs: 10_000, what: 'the test lock', identity: { ...otherHost, host: `waiter-${i}` } },
        ),
      ),
    );
    expect({ most, turns }).toEqual({ most: 1, turns: 8 });
  });

  it.each([
    ['renewing every 50 ms, the holder keeps its lock for a second, four leases long', 50, false],
    ['without renewal (control), a waiter elsewhere breaks the lock while the holder still works', 60_000, true],
  ])('%s', async (_label, renewEveryMs, broken) => {
    const path = join(dir, 'renewed.lock');
    const timings = { renewEveryMs, leaseMs: 250 };
    const events: string[] = [];
    const holding = withFileLock(
      path,
      async () => {
        events.push('holder in');
        await new Promise((r) => setTimeout(r, 1000));
        events.push('holder out');
      },
      { waitMs: 1000, what: 'the test lock', timings, identity: { ...otherHost, host: 'machine-a' } },
    );
    await waitFor(() => events.length > 0, 2000, 'the holder');
    const waiting = withFileLock(
      path,
      async () => {
        events.push('waiter in');
      },
      { waitMs: 5000, what: 'the test lock', timings, identity: { ...otherHost, host: 'machine-b' } },
    );
    await Promise.all([holding, waiting]);
    expect(events).toEqual(broken ? ['holder in', 'waiter in', 'holder out'] : ['holder in', 'holder out', 'waiter in']);
    expect(existsSync(path)).toBe(false);
  });
});
