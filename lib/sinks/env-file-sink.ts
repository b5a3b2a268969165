import { promises as fs } from 'node:fs';
import { resolve } from 'node:path';
import type { EnvFileSinkSpec } from '../core/sink-spec';
import { replaceTarget, restoreTarget, withTargetLock, writeFileAtomic, type TargetSnapshot } from './atomic-file';
import { fsFailure } from './delivery-failure';
import type { Delivered } from './delivered';
import { formatEnvValue, readEnvValueText, removeEnvLine, upsertEnvLine } from './env-file-format';
import { deliveryRecorder, recordKey, restoredEntry, writeRecordEntry, type DeliveryRecordEntry } from './delivery-record';

/**
 * Sets `KEY=<secret>` in the dotenv file `spec.path` (resolved against `cwd`; created when missing) and leaves
 * every other byte as it was (see {@link upsertEnvLine}). The file is rewritten atomically with mode 0600
 * whatever its mode was; symbolic links are refused as `prepareTarget` says. The read-modify-write holds the
 * file's lock, so tokens that share one env file never lose each other's keys.
 * @returns how to undo it: put back this key's previous value (or remove the key), and only when the key still holds
 *   the value written here; other keys, written by other tokens meanwhile, are left alone.
 * @throws DeliveryFailure saying why; the file is then unchanged.
 */
export async function deliverToEnvFile(
  secret: string,
  spec: EnvFileSinkSpec,
  cwd: string,
  { tokenId, lockScope }: { tokenId?: string; lockScope?: string } = {},
): Promise<Delivered> {
  // latin1 maps each byte to one character and back, so bytes that are not valid UTF-8 survive the edit.
  const valueText = Buffer.from(formatEnvValue(secret), 'utf8').toString('latin1');
  const before = (snapshot: TargetSnapshot): string => snapshot.previous?.content.toString('latin1') ?? '';
  const target = resolve(cwd, spec.path);
  const recorder = deliveryRecorder(target, recordKey(spec.key), tokenId, Buffer.from(valueText, 'latin1'));
  const snapshot = await replaceTarget(
    target,
    cwd,
    (s) => Buffer.from(upsertEnvLine(before(s), spec.key, valueText), 'latin1'),
    recorder.afterWrite,
    lockScope,
  );
  const previousValue = readEnvValueText(before(snapshot), spec.key);
  return { undo: () => undoEnvKey(snapshot, spec.key, valueText, previousValue, recorder.previous()) };
}

/** `previousEntry` null: no record was written, none is restored. */
async function undoEnvKey(
  snapshot: TargetSnapshot,
  key: string,
  written: string,
  previousValue: string | undefined,
  previousEntry: DeliveryRecordEntry | undefined | null,
): Promise<void> {
  await withTargetLock(
    snapshot.path,
    async () => {
      let now: string;
      try {
        now = (await fs.readFile(snapshot.path)).toString('latin1');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw fsFailure(e, 'read', snapshot.path);
      }
      if (readEnvValueText(now, key) !== written) return; // another delivery has set it since: not ours to undo
      // The record first: restoring a file that did not exist also removes the folders created for it.
      if (previousEntry !== null) {
        const restored = previousValue === undefined ? undefined : Buffer.from(previousValue, 'latin1');
        await writeRecordEntry(snapshot.path, recordKey(key), restoredEntry(previousEntry, restored));
      }
      const after = previousValue === undefined ? removeEnvLine(now, key) : upsertEnvLine(now, key, previousValue);
      if (after === '' && !snapshot.previous) {
        await restoreTarget(snapshot); // the file did not exist and holds nothing else: remove it, as it was
        return;
      }
      await writeFileAtomic(snapshot.path, Buffer.from(after, 'latin1'), snapshot.previous?.mode);
    },
    snapshot.lockScope,
  );
}
