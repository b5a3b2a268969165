import { promises as fs } from 'node:fs';
import { resolve } from 'node:path';
import type { FileSinkSpec } from '../core/sink-spec';
import { replaceTarget, restoreTarget, withTargetLock, type TargetSnapshot } from './atomic-file';
import type { Delivered } from './delivered';
import { deliveryRecorder, recordKey, restoredEntry, writeRecordEntry, type DeliveryRecordEntry } from './delivery-record';

/**
 * Writes exactly the secret (no trailing newline) to `spec.path`, resolved against `cwd`, atomically with
 * mode 0600; parent directories are created 0700. Symbolic links are refused as `prepareTarget` says.
 * The write holds the file's lock (docs/design.md, "Concurrency and locks"), and records the delivery beside the file
 * (`lib/sinks/delivery-record.ts`: the token id and a keyed fingerprint, never the secret) when `tokenId` is given.
 * @returns how to undo it: the previous content and mode back (or no file), when the file still holds this secret.
 * @throws DeliveryFailure saying why; the target is then unchanged.
 */
export async function deliverToFile(
  secret: string,
  spec: FileSinkSpec,
  cwd: string,
  { tokenId, lockScope }: { tokenId?: string; lockScope?: string } = {},
): Promise<Delivered> {
  const target = resolve(cwd, spec.path);
  const recorder = deliveryRecorder(target, recordKey(), tokenId, Buffer.from(secret, 'utf8'));
  const snapshot = await replaceTarget(target, cwd, () => secret, recorder.afterWrite, lockScope);
  return { undo: () => undoFile(snapshot, secret, recorder.previous()) };
}

/** `previousEntry` null: no record was written, none is restored. */
async function undoFile(snapshot: TargetSnapshot, written: string, previousEntry: DeliveryRecordEntry | undefined | null): Promise<void> {
  await withTargetLock(
    snapshot.path,
    async () => {
      const now = await fs.readFile(snapshot.path, 'utf8').catch(() => undefined);
      if (now !== written) return; // replaced since: not ours to undo
      // The record first: restoring a file that did not exist also removes the folders created for it.
      if (previousEntry !== null) {
        await writeRecordEntry(snapshot.path, recordKey(), restoredEntry(previousEntry, snapshot.previous?.content));
      }
      await restoreTarget(snapshot);
    },
    snapshot.lockScope,
  );
}
