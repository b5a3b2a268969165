import { promises as fs } from 'node:fs';
import { resolve } from 'node:path';
import type { FileSinkSpec } from '../core/sink-spec';
import { replaceTarget, restoreTarget, withTargetLock, type TargetSnapshot } from './atomic-file';
import type { Delivered } from './delivered';

/**
 * Writes exactly the secret (no trailing newline) to `spec.path`, resolved against `cwd`, atomically with
 * mode 0600; parent directories are created 0700. Symbolic links are refused as `prepareTarget` says.
 * The write holds the file's lock (docs/design.md, "Concurrency and locks").
 * @returns how to undo it: the previous content and mode back (or no file), when the file still holds this secret.
 * @throws DeliveryFailure saying why; the target is then unchanged.
 */
export async function deliverToFile(secret: string, spec: FileSinkSpec, cwd: string): Promise<Delivered> {
  const snapshot = await replaceTarget(resolve(cwd, spec.path), cwd, () => secret);
  return { undo: () => undoFile(snapshot, secret) };
}

async function undoFile(snapshot: TargetSnapshot, written: string): Promise<void> {
  await withTargetLock(snapshot.path, async () => {
    const now = await fs.readFile(snapshot.path, 'utf8').catch(() => undefined);
    if (now !== written) return; // replaced since: not ours to undo
    await restoreTarget(snapshot);
  });
}
