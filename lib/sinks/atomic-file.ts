import { promises as fs, type Stats } from 'node:fs';
import { dirname, isAbsolute, relative, sep } from 'node:path';
import { writeFileAtomic as atomicWrite } from '../fs/write-file-atomic';
import { LOCK_WAIT_MS, lockFileFor, withFileLock } from '../locks/file-lock';
import { DeliveryFailure, fsFailure } from './delivery-failure';

/**
 * Runs `fn` holding the lock of one sink target (an absolute path): Terraform runs the hooks of different tokens at
 * once, and tokens may share an env file, so every read-modify-write of a target, and every undo, takes turns.
 * `lockScope` (a namespace within the lock folder) lets one process act as several machines, each with its own lock
 * folder (the convergence property's machines); the program never sets it.
 */
export function withTargetLock<T>(path: string, fn: () => Promise<T>, lockScope?: string): Promise<T> {
  const key = lockScope === undefined ? path : `${lockScope}\n${path}`;
  return withFileLock(lockFileFor('file', key), fn, { waitMs: LOCK_WAIT_MS.file, what: `the sink file ${path}` });
}

/** Mode of every file a sink writes: read and write for the owner only. */
export const SECRET_FILE_MODE = 0o600;
/** Mode of the parent directories a sink creates. */
export const SECRET_DIR_MODE = 0o700;

/**
 * A sink's target file as it was before delivery: enough to put it back (`restoreTarget`) when a later sink
 * fails. `previous` is absent when the file did not exist.
 */
export interface TargetSnapshot {
  /** Absolute path of the target file. */
  readonly path: string;
  /** Content (bytes), permission bits and owner the file had, when it existed. */
  readonly previous?: { readonly content: Buffer; readonly mode: number; readonly uid: number };
  /** Directories created for the target, outermost first; removed again on roll back when empty. */
  readonly createdDirs: readonly string[];
  /** The lock scope the write was made under ({@link withTargetLock}); an undo takes the same lock. */
  readonly lockScope?: string;
}

/**
 * Gets an absolute target path ready for an atomic write and records what is there now.
 *
 * Creates the missing parent directories with mode 0700 (existing ones are left as they are). Refuses with a
 * {@link DeliveryFailure}, before creating anything, when a symbolic link is on the way (a link could send the
 * secret somewhere else, e.g. into a world-readable place): at the target itself, and at every folder that
 * contains the target but is neither `base` nor one of the folders that contain `base`. Those are trusted: the
 * hook runs there, and links above it are the machine's own layout (`/tmp` on macOS). So for
 * `base` `/p/cdktf.out/stacks/prod` and the target `/p/secrets/ci/token`, `/p/secrets` and `/p/secrets/ci` are
 * checked, `/p` and `/` are not. Also refused: a parent that is not a directory, and a target that exists but is
 * not a regular file (reading a FIFO would block, a device is no place for a secret).
 *
 * @param path the absolute target path.
 * @param base the folder relative sink paths start from (the hook's working folder).
 */
export async function prepareTarget(path: string, base: string): Promise<TargetSnapshot> {
  const dir = dirname(path);
  await refuseLinkedFolders(path, base);
  let createdDirs: string[] = [];
  // Followed: a link here can only be a trusted one (base or above), the others were refused.
  let dirStat = await lstatIfExists(dir, { follow: true });
  if (!dirStat) {
    createdDirs = await makeParentDirs(dir);
    dirStat = await lstatIfExists(dir);
  }
  try {
    if (!dirStat?.isDirectory()) {
      throw new DeliveryFailure(`${dir} is not a directory`, 'fix the sink path so that its parent is a directory', { path: dir });
    }
    const stat = await lstatIfExists(path);
    if (stat?.isSymbolicLink()) {
      throw new DeliveryFailure(
        `${path} is a symbolic link, and writing through it could send the secret somewhere else`,
        `point the sink at the link's real target, or delete the link so that a regular file is written there`,
        { path },
      );
    }
    if (stat && !stat.isFile()) {
      throw new DeliveryFailure(
        `${path} exists and is not a regular file`,
        'give the sink the path of a regular file, or remove what is there',
        { path },
      );
    }
    if (!stat) return { path, createdDirs };
    let content: Buffer;
    try {
      content = await fs.readFile(path);
    } catch (e) {
      throw fsFailure(e, 'read', path);
    }
    return { path, previous: { content, mode: stat.mode & 0o7777, uid: stat.uid }, createdDirs };
  } catch (e) {
    await removeCreatedDirs(createdDirs);
    throw e;
  }
}

/** The folders holding `path` that are neither `base` nor contain it, outermost first. */
function untrustedFolders(path: string, base: string): string[] {
  const folders: string[] = [];
  for (let d = dirname(path); dirname(d) !== d; d = dirname(d)) {
    const fromD = relative(d, base);
    if (fromD === '' || (fromD !== '..' && !fromD.startsWith(`..${sep}`) && !isAbsolute(fromD))) break; // d is base, or contains it
    folders.unshift(d);
  }
  return folders;
}

/** Refuses a symbolic link at any of the {@link untrustedFolders} that exist; stops at the first missing one. */
async function refuseLinkedFolders(path: string, base: string): Promise<void> {
  for (const folder of untrustedFolders(path, base)) {
    const stat = await lstatIfExists(folder);
    if (!stat) return; // created with mode 0700 later, as a real directory
    if (stat.isSymbolicLink()) {
      throw new DeliveryFailure(
        `the folder ${folder} on the way to ${path} is a symbolic link, and writing through it could send the secret somewhere else`,
        `point the sink at the real folder (resolve the link) or replace ${folder} with a folder; links are followed only at ` +
          `${base} and the folders that contain it`,
        { path: folder },
      );
    }
  }
}

/**
 * Replaces `path` atomically with `data` and `mode` (see lib/fs/write-file-atomic.ts); failures are
 * {@link DeliveryFailure}s saying which step failed.
 */
export function writeFileAtomic(path: string, data: string | Buffer, mode: number = SECRET_FILE_MODE): Promise<void> {
  return atomicWrite(path, data, { mode, failure: fsFailure });
}

/**
 * Holding the target's lock: {@link prepareTarget}, then replace the file atomically with what `contentOf` makes of
 * the snapshot (its previous content, for an edit), then run `afterWrite` (still holding the lock; when it fails the
 * target is put back). When the write fails, the directories created for it are removed again and the target is
 * unchanged.
 * @returns the snapshot, to undo the write later.
 */
export function replaceTarget(
  path: string,
  base: string,
  contentOf: (snapshot: TargetSnapshot) => string | Buffer,
  afterWrite?: (snapshot: TargetSnapshot) => Promise<void>,
  lockScope?: string,
): Promise<TargetSnapshot> {
  return withTargetLock(
    path,
    async () => {
      const snapshot = { ...(await prepareTarget(path, base)), lockScope };
      try {
        await writeFileAtomic(snapshot.path, contentOf(snapshot));
      } catch (e) {
        await removeCreatedDirs(snapshot.createdDirs);
        throw e;
      }
      if (afterWrite) {
        // Still under the lock: what goes with the write (its delivery record) is written with it, or the write is undone.
        try {
          await afterWrite(snapshot);
        } catch (e) {
          await restoreTarget(snapshot).catch(() => undefined);
          throw e;
        }
      }
      return snapshot;
    },
    lockScope,
  );
}

/**
 * Puts a target back as {@link prepareTarget} found it: the old content and mode (atomically), or no file
 * and none of the directories created for it when it did not exist.
 */
export async function restoreTarget(snapshot: TargetSnapshot): Promise<void> {
  if (snapshot.previous) {
    await writeFileAtomic(snapshot.path, snapshot.previous.content, snapshot.previous.mode);
    return;
  }
  try {
    await fs.rm(snapshot.path, { force: true });
  } catch (e) {
    throw fsFailure(e, 'remove', snapshot.path);
  }
  await removeCreatedDirs(snapshot.createdDirs);
}

/** Removes the directories created for a target, innermost first, leaving any that something else now uses. */
export async function removeCreatedDirs(createdDirs: readonly string[]): Promise<void> {
  for (const dir of [...createdDirs].reverse()) {
    try {
      await fs.rmdir(dir);
    } catch {
      return; // not empty (someone else wrote there) or already gone: leave it and its parents
    }
  }
}

async function lstatIfExists(path: string, options: { follow?: boolean } = {}): Promise<Stats | undefined> {
  try {
    return await (options.follow ? fs.stat(path) : fs.lstat(path));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw fsFailure(e, 'inspect', path);
  }
}

/** `mkdir -p` with mode 0700; returns the directories it created, outermost first. */
async function makeParentDirs(dir: string): Promise<string[]> {
  let first: string | undefined;
  try {
    first = await fs.mkdir(dir, { recursive: true, mode: SECRET_DIR_MODE });
  } catch (e) {
    throw fsFailure(e, 'create the directory', dir);
  }
  if (first === undefined) return [];
  const created: string[] = [];
  for (let d = dir; ; d = dirname(d)) {
    created.unshift(d);
    if (d === first || dirname(d) === d) break;
  }
  try {
    // The umask may have narrowed 0700; make it exact.
    for (const d of created) await fs.chmod(d, SECRET_DIR_MODE);
  } catch (e) {
    await removeCreatedDirs(created);
    throw fsFailure(e, 'set the mode of', dir);
  }
  return created;
}
