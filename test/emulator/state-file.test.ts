import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StateSnapshot } from '../../lib/emulator/state';
import { StateFileWriter, readStateFile } from '../../lib/emulator/state-file';

const snapshot = (nextUserID: number): StateSnapshot => ({
  version: 1,
  clock: null,
  nextUserID,
  users: [],
  tokens: [],
  accessTokens: [],
  refreshTokens: [],
});

describe('StateFileWriter', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'agility-pat-state-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes queued snapshots in order, so the last one asked for is on disk, mode 0600, with no temporary file left', async () => {
    const path = join(dir, 'state.json');
    const writer = new StateFileWriter(path);
    const writes = Array.from({ length: 25 }, (_, i) => writer.write(snapshot(i + 1)));
    await Promise.all(writes);
    await writer.flushed();
    expect(readStateFile(path)?.nextUserID).toBe(25);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(['state.json']);
  });

  it('fails only the write that failed, and later writes still happen', async () => {
    const path = join(dir, 'sub', 'state.json');
    const writer = new StateFileWriter(path);
    const failed = writer.write(snapshot(1)).catch((e: NodeJS.ErrnoException) => e.code);
    expect(await failed).toBe('ENOENT');
    mkdirSync(join(dir, 'sub'));
    await writer.write(snapshot(2));
    expect(readStateFile(path)?.nextUserID).toBe(2);
  });
});
