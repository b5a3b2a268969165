import * as dotenv from 'dotenv';
import { chmod, lstat, readFile, readdir, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { hasErrorCode, type AgilityPatError } from '../../lib/core/errors';
import { deliverSecret } from '../helpers/deliver';
import { CTX, SECRET, perms, useTempDir } from './fixtures';

describe('env-file sink', () => {
  const tmp = useTempDir();
  const deliver = (path: string, key = 'AGILITY_PAT'): Promise<unknown> => deliverSecret(SECRET, [{ kind: 'env-file', path, key }], CTX);

  it('creates a missing file holding only the entry, with mode 0600', async () => {
    const path = join(tmp(), '.env');
    await deliver(path);
    expect(await readFile(path, 'utf8')).toBe(`AGILITY_PAT=${SECRET}\n`);
    expect(perms((await stat(path)).mode)).toBe(0o600);
  });

  it('appends to a file with other lines, keeping every other byte', async () => {
    const path = join(tmp(), '.env');
    const before = '# deploy settings\nREGION=eu\n\nexport NAME="a b"  # inline\n';
    await writeFile(path, before, { mode: 0o600 });
    await deliver(path);
    expect(await readFile(path, 'utf8')).toBe(`${before}AGILITY_PAT=${SECRET}\n`);
  });

  it('adds a line break before the entry when the file did not end with one', async () => {
    const path = join(tmp(), '.env');
    await writeFile(path, 'REGION=eu', { mode: 0o600 });
    await deliver(path);
    expect(await readFile(path, 'utf8')).toBe(`REGION=eu\nAGILITY_PAT=${SECRET}\n`);
  });

  it('keeps the CRLF line endings of a CRLF file', async () => {
    const path = join(tmp(), '.env');
    await writeFile(path, 'A=1\r\nAGILITY_PAT=old\r\n# c\r\n', { mode: 0o600 });
    await deliver(path);
    expect(await readFile(path, 'utf8')).toBe(`A=1\r\nAGILITY_PAT=${SECRET}\r\n# c\r\n`);
  });

  it('keeps bytes that are not valid UTF-8 exactly', async () => {
    const path = join(tmp(), '.env');
    const before = Buffer.concat([Buffer.from('LATIN='), Buffer.from([0xe9, 0xff, 0xfe]), Buffer.from('\nAGILITY_PAT=old\n')]);
    await writeFile(path, before, { mode: 0o600 });
    await deliver(path);
    const expected = Buffer.concat([Buffer.from('LATIN='), Buffer.from([0xe9, 0xff, 0xfe]), Buffer.from(`\nAGILITY_PAT=${SECRET}\n`)]);
    expect((await readFile(path)).equals(expected)).toBe(true);
  });

  it('replaces an existing entry in place', async () => {
    const path = join(tmp(), '.env');
    await writeFile(path, 'A=1\nAGILITY_PAT=old-secret\nB=2\n', { mode: 0o600 });
    await deliver(path);
    expect(await readFile(path, 'utf8')).toBe(`A=1\nAGILITY_PAT=${SECRET}\nB=2\n`);
  });

  it('keeps the export prefix of an existing entry', async () => {
    const path = join(tmp(), '.env');
    await writeFile(path, 'export AGILITY_PAT=old\n', { mode: 0o600 });
    await deliver(path);
    expect(await readFile(path, 'utf8')).toBe(`export AGILITY_PAT=${SECRET}\n`);
  });

  it('collapses duplicate entries into the first one', async () => {
    const path = join(tmp(), '.env');
    await writeFile(path, 'AGILITY_PAT=one\nA=1\nexport AGILITY_PAT=two\nAGILITY_PAT=three\nB=2\n', { mode: 0o600 });
    await deliver(path);
    expect(await readFile(path, 'utf8')).toBe(`AGILITY_PAT=${SECRET}\nA=1\nB=2\n`);
  });

  it('keeps an existing 0600 file 0600 and leaves no temporary file behind', async () => {
    const path = join(tmp(), '.env');
    await writeFile(path, 'A=1\n', { mode: 0o600 });
    await deliver(path);
    expect(perms((await stat(path)).mode)).toBe(0o600);
    expect((await readdir(tmp())).sort()).toEqual(['..env.AGILITY_PAT.agility-pat.json', '.env']);
    expect(await readFile(join(tmp(), '..env.AGILITY_PAT.agility-pat.json'), 'utf8')).not.toContain(SECRET);
  });

  it.each([0o644, 0o640, 0o400])('refuses an existing file of mode %o it would have to change, writing nothing', async (mode) => {
    const path = join(tmp(), '.env');
    await writeFile(path, 'A=1\n', { mode });
    await chmod(path, mode);
    const error = await deliver(path).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(hasErrorCode(error, 'SINK_FAILED')).toBe(true);
    expect((error as AgilityPatError).details).toMatchObject({ code: 'NOT_OWNED', path });
    expect((error as Error).message).toContain(`chmod 600 ${path}`);
    expect(await readFile(path, 'utf8')).toBe('A=1\n');
    expect(perms((await stat(path)).mode)).toBe(mode);
  });

  it('quotes a secret with characters outside the bare set so that dotenv reads it back', async () => {
    const path = join(tmp(), '.env');
    const odd = 'odd "secret" with\\spaces';
    await deliverSecret(odd, [{ kind: 'env-file', path, key: 'K' }], CTX);
    expect(await readFile(path, 'utf8')).toBe(`K='${odd}'\n`);
    expect(dotenv.parse(await readFile(path)).K).toBe(odd);
  });

  it('refuses an env file that is a symbolic link and leaves its target untouched', async () => {
    const real = join(tmp(), 'real.env');
    const link = join(tmp(), '.env');
    await writeFile(real, 'A=1\n');
    await symlink(real, link);

    const error = await deliver(link).catch((e: unknown) => e);

    expect(hasErrorCode(error, 'SINK_FAILED')).toBe(true);
    expect((error as Error).message).toContain(`env-file ${link} (AGILITY_PAT): ${link} is a symbolic link`);
    expect(await readFile(real, 'utf8')).toBe('A=1\n');
    expect((await lstat(link)).isSymbolicLink()).toBe(true);
  });

  it('sets two keys in the same file through two sinks', async () => {
    const path = join(tmp(), '.env');
    await deliverSecret(
      SECRET,
      [
        { kind: 'env-file', path, key: 'FIRST' },
        { kind: 'env-file', path, key: 'SECOND' },
      ],
      CTX,
    );
    expect(await readFile(path, 'utf8')).toBe(`FIRST=${SECRET}\nSECOND=${SECRET}\n`);
  });
});
