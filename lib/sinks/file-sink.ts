import { resolve } from 'node:path';
import type { FileSinkSpec } from '../core/sink-spec';
import { prepareTarget, removeCreatedDirs, writeFileAtomic, type TargetSnapshot } from './atomic-file';

/**
 * Writes exactly the secret (no trailing newline) to `spec.path`, resolved against `cwd`, atomically with
 * mode 0600; parent directories are created 0700. Symbolic links at the target or its parent are refused.
 * @returns what was there before, so the delivery can be rolled back.
 * @throws DeliveryFailure saying why; the target is then unchanged.
 */
export async function deliverToFile(secret: string, spec: FileSinkSpec, cwd: string): Promise<TargetSnapshot> {
  const snapshot = await prepareTarget(resolve(cwd, spec.path), cwd);
  try {
    await writeFileAtomic(snapshot.path, secret);
  } catch (e) {
    await removeCreatedDirs(snapshot.createdDirs);
    throw e;
  }
  return snapshot;
}
