import { resolve } from 'node:path';
import type { EnvFileSinkSpec } from '../core/sink-spec';
import { prepareTarget, removeCreatedDirs, writeFileAtomic, type TargetSnapshot } from './atomic-file';
import { formatEnvValue, upsertEnvLine } from './env-file-format';

/**
 * Sets `KEY=<secret>` in the dotenv file `spec.path` (resolved against `cwd`; created when missing) and leaves
 * every other byte as it was (see {@link upsertEnvLine}). The file is rewritten atomically with mode 0600
 * whatever its mode was; symbolic links at the file or its parent are refused.
 * @returns what was there before, so the delivery can be rolled back.
 * @throws DeliveryFailure saying why; the file is then unchanged.
 */
export async function deliverToEnvFile(secret: string, spec: EnvFileSinkSpec, cwd: string): Promise<TargetSnapshot> {
  const snapshot = await prepareTarget(resolve(cwd, spec.path), cwd);
  // latin1 maps each byte to one character and back, so bytes that are not valid UTF-8 survive the edit.
  const before = snapshot.previous?.content.toString('latin1') ?? '';
  const valueText = Buffer.from(formatEnvValue(secret), 'utf8').toString('latin1');
  const after = upsertEnvLine(before, spec.key, valueText);
  try {
    await writeFileAtomic(snapshot.path, Buffer.from(after, 'latin1'));
  } catch (e) {
    await removeCreatedDirs(snapshot.createdDirs);
    throw e;
  }
  return snapshot;
}
