import { promises as fs } from 'node:fs';
import { resolve } from 'node:path';
import type { EnvFileSinkSpec } from '../core/sink-spec';
import { SECRET_FILE_MODE, replaceTarget, restoreTarget, withTargetLock, writeFileAtomic, type TargetSnapshot } from './atomic-file';
import { DeliveryFailure, fsFailure } from './delivery-failure';
import type { Delivered } from './delivered';
import { envValues, readEnvValueText, restoreEnvValue, setEnvValue } from './env-file-format';
import { deliveryRecorder, recordKey, restoredEntry, writeRecordEntry, type DeliveryRecordEntry } from './delivery-record';

/**
 * Sets `KEY=<secret>` in the dotenv file `spec.path` (resolved against `cwd`; created when missing) and leaves
 * every other byte as it was (see {@link upsertEnvLine}). The file is rewritten atomically with mode 0600; symbolic
 * links are refused as `prepareTarget` says, and so is an existing file that is not already the hook user's own with
 * mode 0600 ({@link refuseNotOwned}). The read-modify-write holds the file's lock, so tokens that share one env file
 * never lose each other's keys.
 * @returns how to undo it: put back this key's previous value (or remove the key), and only when the key still holds
 *   the value written here; other keys, written by other tokens meanwhile, are left alone, and the file stays 0600.
 * @throws DeliveryFailure saying why; the file is then unchanged.
 */
export async function deliverToEnvFile(
  secret: string,
  spec: EnvFileSinkSpec,
  cwd: string,
  { tokenId, lockScope }: { tokenId?: string; lockScope?: string } = {},
): Promise<Delivered> {
  const target = resolve(cwd, spec.path);
  let previous: { text: string; value: string } | undefined;
  let previousBytes: Buffer | undefined;
  let written = '';
  // The delivery record (docs/design.md, "Many machines, one writer") fingerprints the value's bytes as they stand in
  // the file, which are known only once the value is placed.
  let recorder: ReturnType<typeof deliveryRecorder> | undefined;
  const write = (s: TargetSnapshot): Buffer => {
    refuseNotOwned(s);
    const before = decode(s.previous?.content);
    const text = readEnvValueText(before.text, spec.key);
    previous = text === undefined ? undefined : { text, value: envValues(before.text)[spec.key]! };
    const set = setEnvValue(before.text, spec.key, before.utf8 ? secret : Buffer.from(secret, 'utf8').toString('latin1'));
    if (!set) {
      throw new DeliveryFailure(
        `the secret cannot be written to ${s.path} so that dotenv reads it back (a quote earlier in the file is never closed, ` +
          'or the secret holds quotes of every kind)',
        'close the open quote in the file, or use a file sink for this secret',
        { path: s.path },
      );
    }
    written = set.valueText;
    previousBytes = text === undefined ? undefined : before.encode(text);
    recorder = deliveryRecorder(target, recordKey(spec.key), tokenId, before.encode(set.valueText));
    return before.encode(set.text);
  };
  const snapshot = await replaceTarget(target, cwd, write, async () => recorder?.afterWrite?.(), lockScope);
  const previousEntry = recorder ? recorder.previous() : null;
  return { undo: () => undoEnvKey(snapshot, spec.key, written, previous, previousEntry, previousBytes) };
}

/** An env file's text: UTF-8 when its bytes are valid UTF-8 (as dotenv reads it), else latin1 (every byte kept). */
interface EnvText {
  readonly text: string;
  readonly utf8: boolean;
  encode(text: string): Buffer;
}

function decode(content: Buffer | undefined): EnvText {
  const bytes = content ?? Buffer.alloc(0);
  const asUtf8 = bytes.toString('utf8');
  const utf8 = Buffer.from(asUtf8, 'utf8').equals(bytes);
  return { text: utf8 ? asUtf8 : bytes.toString('latin1'), utf8, encode: (t) => Buffer.from(t, utf8 ? 'utf8' : 'latin1') };
}

/**
 * Refuses an existing env file the hook does not own: one owned by another user, or with a mode other than 0600.
 * Writing it would change a mode or an owner its owner chose (docs/sinks.md, "Env files"). Not checked on Windows,
 * which has neither.
 */
function refuseNotOwned(snapshot: TargetSnapshot): void {
  const previous = snapshot.previous;
  if (!previous || process.platform === 'win32') return;
  const uid = process.getuid?.();
  if (uid !== undefined && previous.uid !== uid) {
    throw new DeliveryFailure(
      `${snapshot.path} belongs to another user (uid ${previous.uid}), so the hook cannot keep the secret in it private`,
      `let the user running the hook own the file (or delete it and let the hook create it), then deploy again`,
      { code: 'NOT_OWNED', path: snapshot.path },
    );
  }
  if ((previous.mode & 0o777) !== SECRET_FILE_MODE) {
    throw new DeliveryFailure(
      `${snapshot.path} has mode 0${(previous.mode & 0o777).toString(8)}, and the hook keeps secrets only in files of mode 0600 ` +
        `(it does not change the mode of a file it did not create)`,
      `run chmod 600 ${snapshot.path} (or delete it and let the hook create it), then deploy again`,
      { code: 'NOT_OWNED', path: snapshot.path },
    );
  }
}

/** `previousEntry` null: no record was written, none is restored. */
async function undoEnvKey(
  snapshot: TargetSnapshot,
  key: string,
  written: string,
  previous: { text: string; value: string } | undefined,
  previousEntry: DeliveryRecordEntry | undefined | null,
  previousBytes: Buffer | undefined,
): Promise<void> {
  await withTargetLock(
    snapshot.path,
    async () => {
      let now: EnvText;
      try {
        now = decode(await fs.readFile(snapshot.path));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw fsFailure(e, 'read', snapshot.path);
      }
      if (readEnvValueText(now.text, key) !== written) return; // another delivery has set it since: not ours to undo
      // The record first (null: none was written, none is restored); restoring a file that did not exist also removes
      // the folders created for it.
      if (previousEntry !== null) await writeRecordEntry(snapshot.path, recordKey(key), restoredEntry(previousEntry, previousBytes));
      const after = restoreEnvValue(now.text, key, previous);
      if (after === undefined) {
        throw new DeliveryFailure(
          `the previous value of ${key} cannot be put back in ${snapshot.path} so that dotenv reads it as before (a quote in the file is never closed)`,
          `set ${key} in ${snapshot.path} by hand`,
          { path: snapshot.path },
        );
      }
      if (after === '' && !snapshot.previous) {
        await restoreTarget(snapshot); // the file did not exist and holds nothing else: remove it, as it was
        return;
      }
      // 0600 whatever the file had: other tokens' secrets may be in it now.
      await writeFileAtomic(snapshot.path, now.encode(after), SECRET_FILE_MODE);
    },
    snapshot.lockScope,
  );
}
