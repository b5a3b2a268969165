import { createHash, randomBytes } from 'node:crypto';
import { promises as fs, unlinkSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { LockTimeoutError } from '../core/errors';

/**
 * Advisory locks between processes of one machine (docs/design.md, "Concurrency and locks"): Terraform runs the hooks
 * of different slots at the same time, and two deploys (or a rerun) may run the hooks of one slot at once. A lock is
 * a file created exclusively (`O_EXCL`) that names its holder (pid and host). A holder that died (SIGKILL, power cut)
 * is noticed at once by its pid, and its lock is broken under a second, short-lived "breaker" lock, so that two
 * waiters can never both break it. Waits are bounded; the error names the holder and what to do.
 *
 * Node has no `flock`; a native addon would have to be built on every user's machine, and time-based locks
 * (refreshing an mtime) make a dead holder block everyone for the stale period. Hence this small module.
 */

/** Options of {@link withFileLock}. */
export interface FileLockOptions {
  /** How long to wait for another holder, in ms. */
  readonly waitMs: number;
  /** What the lock protects, for messages, e.g. `the env file /srv/app/.env`. */
  readonly what: string;
}

/** A lock whose holder wrote nothing readable for this long is taken to be left behind by a crash mid-write. */
const UNREADABLE_LOCK_STALE_MS = 10_000;
/** Longest pause between two attempts. */
const MAX_POLL_MS = 20;

const held = new Set<string>();
let exitHookInstalled = false;

/**
 * The lock file for `key` in this user's lock folder (`<tmpdir>/agility-pat-locks-<uid>`, mode 0700). Keys are
 * hashed, so any text (a path, an API URL and a token name) makes a valid file name.
 */
export function lockFileFor(kind: 'name' | 'file', key: string): string {
  const uid = typeof process.getuid === 'function' ? String(process.getuid()) : 'user';
  const digest = createHash('sha256').update(key, 'utf8').digest('hex').slice(0, 32);
  return join(tmpdir(), `agility-pat-locks-${uid}`, `${kind}-${digest}.lock`);
}

/**
 * Runs `fn` holding the lock file `lockPath`, waiting at most `options.waitMs` for another holder.
 * @throws LockTimeoutError naming the holder when the wait runs out.
 */
export async function withFileLock<T>(lockPath: string, fn: () => Promise<T>, options: FileLockOptions): Promise<T> {
  const ticket = await acquire(lockPath, options);
  try {
    return await fn();
  } finally {
    await release(lockPath, ticket);
  }
}

interface Holder {
  readonly pid: number;
  readonly host: string;
  readonly ticket: string;
}

async function acquire(lockPath: string, options: FileLockOptions): Promise<string> {
  await fs.mkdir(join(lockPath, '..'), { recursive: true, mode: 0o700 });
  const ticket = randomBytes(12).toString('hex');
  const me: Holder = { pid: process.pid, host: hostname(), ticket };
  const deadline = Date.now() + options.waitMs;
  let pause = 2;
  for (;;) {
    if (await tryCreate(lockPath, JSON.stringify(me))) {
      held.add(lockPath);
      installExitHook();
      return ticket;
    }
    const seen = await readLock(lockPath);
    if (seen === undefined) continue; // released in between: try again at once
    if (isStale(seen)) {
      await breakStale(lockPath, seen.text);
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
    pause = Math.min(pause * 2, MAX_POLL_MS);
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
    const h = JSON.parse(text) as Partial<Holder>;
    return typeof h.pid === 'number' && typeof h.host === 'string' && typeof h.ticket === 'string' ? (h as Holder) : undefined;
  } catch {
    return undefined;
  }
}

function isStale(seen: { holder: Holder | undefined; mtimeMs: number }): boolean {
  if (!seen.holder) return Date.now() - seen.mtimeMs > UNREADABLE_LOCK_STALE_MS;
  // A holder on another host (a shared file system) cannot be checked: it is waited for, and the error says so.
  return seen.holder.host === hostname() && !isAlive(seen.holder.pid);
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
 * Deletes a dead holder's lock, but only while holding the breaker lock and only if the lock still holds the text
 * that was judged stale: two waiters that both saw the dead holder cannot delete the lock the first of them then took.
 */
async function breakStale(lockPath: string, staleText: string): Promise<void> {
  const breaker = `${lockPath}.break`;
  if (!(await tryCreate(breaker, String(process.pid)))) {
    const b = await readLock(breaker);
    if (b && Date.now() - b.mtimeMs > UNREADABLE_LOCK_STALE_MS) await fs.rm(breaker, { force: true });
    await sleep(5);
    return;
  }
  try {
    const now = await readLock(lockPath);
    if (now?.text === staleText) await fs.rm(lockPath, { force: true });
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
