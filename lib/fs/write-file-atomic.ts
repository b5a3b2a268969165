import { randomBytes } from 'node:crypto';
import { constants, promises as fs } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** Turns a failed step of {@link writeFileAtomic} into the caller's error: `action` reads "create a temporary file in". */
export type WriteFailure = (error: unknown, action: string, path: string) => Error;

/** What {@link writeFileAtomic} needs besides the path and data. */
export interface WriteFileAtomicOptions {
  /** Permission bits of the file. @default 0o600 */
  readonly mode?: number;
  /** Builds the error thrown when a step fails. @default - the file system's error, unchanged */
  readonly failure?: WriteFailure;
}

/**
 * Replaces `path` atomically: a temporary file in the same directory (so the rename stays on one file system),
 * created exclusively (`O_EXCL`, mode 0600), written, given `mode`, fsynced, then renamed over `path`, and the
 * directory fsynced. Readers see the old file or the new one, never a partial one; a crash leaves one or the
 * other; the content is never readable by others, not even for a moment. The rename replaces a symbolic link at
 * `path` rather than following it. The one atomic writer of the package: the sinks and the emulator's state file.
 */
export async function writeFileAtomic(path: string, data: string | Buffer, options: WriteFileAtomicOptions = {}): Promise<void> {
  const mode = options.mode ?? 0o600;
  const failure: WriteFailure = options.failure ?? ((e) => e as Error);
  const dir = dirname(path);
  // The name stays below NAME_MAX (255) whatever the target's name length.
  const temp = join(dir, `.${basename(path).slice(0, 120)}.${randomBytes(6).toString('hex')}.tmp`);
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  } catch (e) {
    throw failure(e, 'create a temporary file in', dir);
  }
  try {
    await handle.writeFile(data);
    // chmod on the handle: the umask may have narrowed the creation mode, and a restore puts back the old mode.
    await handle.chmod(mode);
    await handle.sync();
  } catch (e) {
    await handle.close().catch(() => undefined);
    await fs.rm(temp, { force: true }).catch(() => undefined);
    throw failure(e, 'write the temporary file for', path);
  }
  try {
    await handle.close();
    await fs.rename(temp, path);
  } catch (e) {
    await fs.rm(temp, { force: true }).catch(() => undefined);
    throw failure(e, 'replace', path);
  }
  await syncDirectory(dir);
}

/**
 * fsyncs a directory so the rename survives a crash. Best effort: some platforms and file systems refuse to
 * fsync a directory, and by then the new file is already in place.
 */
async function syncDirectory(dir: string): Promise<void> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(dir, 'r');
    await handle.sync();
  } catch {
    // see above
  } finally {
    await handle?.close().catch(() => undefined);
  }
}
