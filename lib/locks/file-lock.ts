import { createHash, randomBytes } from 'node:crypto';
import { promises as fs, readFileSync, readlinkSync, unlinkSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { LockTimeoutError } from '../core/errors';

/**
 * Advisory locks between processes (docs/design.md, "Concurrency and locks" and "Locks that outlive their holders"):
 * Terraform runs the hooks of different slots at the same time, and two deploys (or a rerun) may run the hooks of one
 * slot at once. A lock is a file created exclusively (`O_EXCL`) that names its holder: pid, host, boot id, pid
 * namespace and the process's start time. A holder on this host (same host name, boot id and pid namespace) is
 * checked at once: dead, or its pid now names another process (another start time), and its lock is stale. A holder
 * elsewhere (another host or container sharing the folder) cannot be checked, so its lock is a lease: the holder
 * renews it (touches the file) while it holds it, and a lock not renewed for the lease period is stale. Where there is
 * no /proc (macOS) a live pid cannot be told from a reused one: pid liveness and the lease decide. A stale lock is
 * broken under a second, short-lived "breaker" lock, so that two waiters can never both break it. Waits are bounded;
 * the error names the holder and what to do.
 *
 * Node has no `flock`; a native addon would have to be built on every user's machine. Hence this small module.
 */

/** How long each kind of lock is waited for before `LOCK_TIMEOUT`, in ms: the one home of these waits. */
export const LOCK_WAIT_MS = {
  /**
   * A managed name: long enough for a whole create, delivery and rename of a second deploy of the stack (each request
   * is bounded by its own timeout).
   */
  name: 300_000,
  /** A sink file: one read-modify-write of a file, or an undo. */
  file: 60_000,
  /** One Vault secret (address, namespace, mount and path): one read-modify-write of it, or an undo. */
  destination: 60_000,
} as const;

/** The kinds of things locked, each with its own file name prefix and wait. */
export type LockKind = keyof typeof LOCK_WAIT_MS;

/** The clocks of the lease (docs/design.md, "Locks that outlive their holders"); parameters so that tests are fast. */
export interface LockTimings {
  /** How often a holder touches its lock file while it holds it, in ms. */
  readonly renewEveryMs: number;
  /** A lock that a holder elsewhere (or an unverifiable one here) has not renewed for this long is stale, in ms. */
  readonly leaseMs: number;
  /** A lock whose holder wrote nothing readable for this long is taken to be left behind by a crash mid-write, in ms. */
  readonly unreadableStaleMs: number;
  /** Longest pause between two attempts, in ms. */
  readonly maxPollMs: number;
}

/** The timings every lock uses unless a test passes its own. */
export const DEFAULT_LOCK_TIMINGS: LockTimings = {
  renewEveryMs: 10_000,
  leaseMs: 30_000,
  unreadableStaleMs: 10_000,
  maxPollMs: 20,
};

/**
 * The longest a dead holder's lock can block a waiter with these timings, in ms: a holder that died just after its
 * last renewal leaves a lock that turns stale `leaseMs` later, and the waiter notices it at its next poll. A holder on
 * this host with /proc is noticed at once; this bound is for the others.
 */
export function deadHolderClearedWithinMs(timings: LockTimings = DEFAULT_LOCK_TIMINGS): number {
  return timings.leaseMs + timings.maxPollMs;
}

/** Options of {@link withFileLock}. */
export interface FileLockOptions {
  /** How long to wait for another holder, in ms. */
  readonly waitMs: number;
  /** What the lock protects, for messages, e.g. `the env file /srv/app/.env`. */
  readonly what: string;
  /** The lease's clocks. @default DEFAULT_LOCK_TIMINGS */
  readonly timings?: Partial<LockTimings>;
  /** Who this process is, as locks record it (tests pose as another host). @default processIdentity() */
  readonly identity?: ProcessIdentity;
}

/**
 * What a lock records of its holder's process, to tell later whether that process still runs. `bootId`, `pidNs` and
 * `startTicks` are absent where there is no /proc (macOS).
 */
export interface ProcessIdentity {
  readonly pid: number;
  readonly host: string;
  /** /proc/sys/kernel/random/boot_id: a new one at every boot, shared by the containers of one kernel. */
  readonly bootId?: string;
  /** The pid namespace (/proc/self/ns/pid): two containers of one kernel number their processes apart. */
  readonly pidNs?: string;
  /** Field 22 of /proc/<pid>/stat: when the process started, in clock ticks since boot. */
  readonly startTicks?: string;
}

const held = new Set<string>();
let exitHookInstalled = false;

/**
 * The lock file for `key` in this user's lock folder (`<tmpdir>/agility-pat-locks-<uid>`, mode 0700). Keys are
 * hashed, so any text (a path, an API URL and a token name) makes a valid file name.
 * @param temporaryFolder where the lock folder is. @default os.tmpdir() (`TMPDIR`)
 */
export function lockFileFor(kind: LockKind, key: string, temporaryFolder: string = tmpdir()): string {
  const uid = typeof process.getuid === 'function' ? String(process.getuid()) : 'user';
  const digest = createHash('sha256').update(key, 'utf8').digest('hex').slice(0, 32);
  return join(temporaryFolder, `agility-pat-locks-${uid}`, `${kind}-${digest}.lock`);
}

/**
 * Runs `fn` holding the lock file `lockPath`, waiting at most `options.waitMs` for another holder, and renewing the
 * lock every `renewEveryMs` while `fn` runs.
 * @throws LockTimeoutError naming the holder when the wait runs out.
 */
export async function withFileLock<T>(lockPath: string, fn: () => Promise<T>, options: FileLockOptions): Promise<T> {
  const timings: LockTimings = { ...DEFAULT_LOCK_TIMINGS, ...options.timings };
  const me = options.identity ?? processIdentity();
  const ticket = await acquire(lockPath, options, timings, me);
  const renewal = setInterval(() => void renew(lockPath, ticket), timings.renewEveryMs);
  renewal.unref();
  try {
    return await fn();
  } finally {
    clearInterval(renewal);
    await release(lockPath, ticket);
  }
}

/** This process as a lock records it; read once (the boot id and namespace do not change while it runs). */
export function processIdentity(): ProcessIdentity {
  selfIdentity ??= {
    pid: process.pid,
    host: hostname(),
    bootId: readProc('/proc/sys/kernel/random/boot_id')?.trim(),
    pidNs: readLinkProc('/proc/self/ns/pid'),
    startTicks: startTicksOf(process.pid),
  };
  return selfIdentity;
}
let selfIdentity: ProcessIdentity | undefined;

/** The start time of a process (field 22 of /proc/<pid>/stat, clock ticks since boot), or undefined without /proc. */
export function startTicksOf(pid: number): string | undefined {
  const stat = readProc(`/proc/${pid}/stat`);
  if (stat === undefined) return undefined;
  // Field 2, the command name, is in parentheses and may hold spaces and parentheses: count from the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = fields[22 - 3];
  return ticks !== undefined && /^\d+$/.test(ticks) ? ticks : undefined;
}

function readProc(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function readLinkProc(path: string): string | undefined {
  try {
    return readlinkSync(path);
  } catch {
    return undefined;
  }
}

interface Holder extends ProcessIdentity {
  readonly ticket: string;
}

async function acquire(lockPath: string, options: FileLockOptions, timings: LockTimings, me: ProcessIdentity): Promise<string> {
  await fs.mkdir(join(lockPath, '..'), { recursive: true, mode: 0o700 });
  const ticket = randomBytes(12).toString('hex');
  const record: Holder = { ...me, ticket };
  const deadline = Date.now() + options.waitMs;
  let pause = 2;
  for (;;) {
    if (await tryCreate(lockPath, JSON.stringify(record))) {
      held.add(lockPath);
      installExitHook();
      return ticket;
    }
    const seen = await readLock(lockPath);
    if (seen === undefined) continue; // released in between: try again at once
    if (isStale(seen, me, timings)) {
      await breakStale(lockPath, seen, (now) => isStale(now, me, timings), timings);
      continue;
    }
    if (Date.now() >= deadline) {
      const who = seen.holder ? `process ${seen.holder.pid} on ${seen.holder.host}` : 'another process';
      throw new LockTimeoutError(
        `${options.what} is locked by ${who} and was not released within ${Math.round(options.waitMs / 1000)} s: ` +
          `another agility-pat hook (a second deploy of this stack?) is working on it. Wait for it to finish and deploy again; ` +
          `if no agility-pat process runs there, delete ${lockPath}.`,
        { lock: lockPath, holderPid: seen.holder?.pid },
      );
    }
    await sleep(Math.min(pause + Math.random() * pause, deadline - Date.now() + 1));
    pause = Math.min(pause * 2, timings.maxPollMs);
  }
}

/** Touches the lock while it is still this holder's: the lease's heartbeat. A failed renewal is retried at the next. */
async function renew(lockPath: string, ticket: string): Promise<void> {
  try {
    const seen = await readLock(lockPath);
    if (seen?.holder?.ticket !== ticket) return;
    const now = new Date();
    await fs.utimes(lockPath, now, now);
  } catch {
    // the next renewal tries again; a lock that cannot be touched at all turns stale, as a dead holder's does
  }
}

async function release(lockPath: string, ticket: string): Promise<void> {
  held.delete(lockPath);
  const seen = await readLock(lockPath);
  if (seen?.holder?.ticket === ticket) await fs.rm(lockPath, { force: true });
}

async function tryCreate(path: string, content: string): Promise<boolean> {
  try {
    await fs.writeFile(path, content, { flag: 'wx', mode: 0o600 });
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
}

async function readLock(path: string): Promise<{ text: string; holder: Holder | undefined; mtimeMs: number } | undefined> {
  try {
    const [text, stat] = await Promise.all([fs.readFile(path, 'utf8'), fs.stat(path)]);
    return { text, holder: parseHolder(text), mtimeMs: stat.mtimeMs };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

function parseHolder(text: string): Holder | undefined {
  try {
    const h = JSON.parse(text) as Partial<Record<keyof Holder, unknown>>;
    const optional = (v: unknown): boolean => v === undefined || typeof v === 'string';
    return typeof h.pid === 'number' &&
      typeof h.host === 'string' &&
      typeof h.ticket === 'string' &&
      optional(h.bootId) &&
      optional(h.pidNs) &&
      optional(h.startTicks)
      ? (h as unknown as Holder)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether a lock may be broken (docs/design.md, "Locks that outlive their holders"):
 * - unreadable for `unreadableStaleMs`: a holder that crashed between creating and writing it;
 * - a holder on this host (same host name, boot id and pid namespace): its pid is dead, or names a process with
 *   another start time (the pid was reused); a live pid whose start time cannot be compared (no /proc, or a lock
 *   written before start times were recorded) is a lease as well;
 * - a holder elsewhere: its pid means nothing here, so the lock is a lease, stale once not renewed for `leaseMs`.
 */
function isStale(seen: { holder: Holder | undefined; mtimeMs: number }, me: ProcessIdentity, timings: LockTimings): boolean {
  const age = Date.now() - seen.mtimeMs;
  const h = seen.holder;
  if (!h) return age > timings.unreadableStaleMs;
  // A lock written before boot ids were recorded names only its host.
  const sameHost = h.host === me.host && (h.bootId === undefined || (h.bootId === me.bootId && h.pidNs === me.pidNs));
  if (!sameHost) return age > timings.leaseMs;
  if (!isAlive(h.pid)) return true;
  const ticks = h.startTicks === undefined ? undefined : startTicksOf(h.pid);
  if (ticks !== undefined) return ticks !== h.startTicks;
  // A lock written before start times were recorded, by a live pid on this host: waited for, as it always was.
  if (h.bootId === undefined && me.bootId !== undefined) return false;
  return age > timings.leaseMs;
}

/** True when a process with this pid exists (EPERM: it exists, under another user). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Deletes a stale lock, but only while holding the breaker lock and only if the lock is still the one judged stale
 * (same text, not renewed since) and still stale: two waiters that both saw the dead holder cannot delete the lock
 * the first of them then took, and a holder that renewed in between keeps its lock.
 */
async function breakStale(
  lockPath: string,
  stale: { text: string; mtimeMs: number },
  stillStale: (now: { holder: Holder | undefined; mtimeMs: number }) => boolean,
  timings: LockTimings,
): Promise<void> {
  const breaker = `${lockPath}.break`;
  if (!(await tryCreate(breaker, String(process.pid)))) {
    const b = await readLock(breaker);
    if (b && Date.now() - b.mtimeMs > timings.unreadableStaleMs) await fs.rm(breaker, { force: true });
    await sleep(5);
    return;
  }
  try {
    const now = await readLock(lockPath);
    if (now?.text === stale.text && now.mtimeMs === stale.mtimeMs && stillStale(now)) await fs.rm(lockPath, { force: true });
  } finally {
    await fs.rm(breaker, { force: true });
  }
}

/** A process that exits (error, signal handled by `process.exit`) while holding locks leaves none behind. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const path of held) {
      try {
        unlinkSync(path);
      } catch {
        // already gone
      }
    }
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}
