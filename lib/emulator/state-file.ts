import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ConfigError } from '../core/errors';
import type { StateSnapshot } from './state';

/**
 * The emulator's optional state file: JSON, read once at start, rewritten after every change. It holds
 * hashes of secrets, never a secret.
 */

/** Reads a state file; undefined when it does not exist. Throws ConfigError when it exists but is unusable. */
export function readStateFile(path: string): StateSnapshot | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ConfigError(
      `Cannot read the emulator state file ${path}: ${(e as Error).message}. Check its permissions or pass another --state path.`,
      {
        path,
      },
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`The emulator state file ${path} is not valid JSON (${(e as Error).message}). Delete it to start empty.`, {
      path,
    });
  }
  const s = parsed as Partial<StateSnapshot> | null;
  if (
    typeof s !== 'object' ||
    s === null ||
    s.version !== 1 ||
    !Array.isArray(s.users) ||
    !Array.isArray(s.tokens) ||
    !Array.isArray(s.accessTokens) ||
    !Array.isArray(s.refreshTokens) ||
    typeof s.nextUserID !== 'number'
  ) {
    throw new ConfigError(`The emulator state file ${path} is not a version 1 emulator state. Delete it to start empty.`, { path });
  }
  return s as StateSnapshot;
}

/**
 * Writes a state file atomically: a mode-0600 temporary file in the same directory (so the rename stays on
 * one file system), flushed, then renamed over the target. A crash leaves the old or the new file, never half.
 */
export function writeStateFile(path: string, snapshot: StateSnapshot): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, `${JSON.stringify(snapshot, null, 2)}\n`);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
  closeSync(fd);
  try {
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}
