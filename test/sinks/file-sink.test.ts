import { lstat, mkdir, readFile, readdir, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { hasErrorCode } from '../../lib/core/errors';
import { deliverSecret } from '../helpers/deliver';
import { CTX, SECRET, perms, useTempDir } from './fixtures';

describe('file sink', () => {
  const tmp = useTempDir();

  it('writes exactly the secret, without a trailing newline, with mode 0600', async () => {
    const path = join(tmp(), 'pat.txt');
    await deliverSecret(SECRET, [{ kind: 'file', path }], CTX);
    expect(await readFile(path, 'utf8')).toBe(SECRET);
    expect(perms((await stat(path)).mode)).toBe(0o600);
  });

  it('creates missing parent directories with mode 0700 and leaves no temporary file behind', async () => {
    const path = join(tmp(), 'a', 'b', 'pat.txt');
    await deliverSecret(SECRET, [{ kind: 'file', path }], CTX);
    expect(await readFile(path, 'utf8')).toBe(SECRET);
    expect(perms((await stat(join(tmp(), 'a'))).mode)).toBe(0o700);
    expect(perms((await stat(join(tmp(), 'a', 'b'))).mode)).toBe(0o700);
    // Beside it, only its delivery record (docs/design.md, "Many machines, one writer"): 0600, no secret in it.
    expect((await readdir(join(tmp(), 'a', 'b'))).sort()).toEqual(['.pat.txt.agility-pat.json', 'pat.txt']);
    const record = join(tmp(), 'a', 'b', '.pat.txt.agility-pat.json');
    expect(perms((await stat(record)).mode)).toBe(0o600);
    expect(await readFile(record, 'utf8')).not.toContain(SECRET);
    expect(JSON.parse(await readFile(record, 'utf8')).tokenId).toBe(CTX.tokenId);
  });

  it('leaves the mode of an existing parent directory as it is', async () => {
    const dir = join(tmp(), 'shared');
    await mkdir(dir, { mode: 0o755 });
    await deliverSecret(SECRET, [{ kind: 'file', path: join(dir, 'pat.txt') }], CTX);
    expect(perms((await stat(dir)).mode)).toBe(0o755);
  });

  it('replaces an existing file and sets its mode to 0600', async () => {
    const path = join(tmp(), 'pat.txt');
    await writeFile(path, 'old secret that is much longer than the new one '.repeat(10), { mode: 0o644 });
    await deliverSecret(SECRET, [{ kind: 'file', path }], CTX);
    expect(await readFile(path, 'utf8')).toBe(SECRET);
    expect(perms((await stat(path)).mode)).toBe(0o600);
  });

  it('refuses a target that is a symbolic link and leaves the file it points to untouched', async () => {
    const real = join(tmp(), 'elsewhere.txt');
    const link = join(tmp(), 'pat.txt');
    await writeFile(real, 'do not touch', { mode: 0o644 });
    await symlink(real, link);

    const error = await deliverSecret(SECRET, [{ kind: 'file', path: link }], CTX).catch((e: unknown) => e);

    expect(hasErrorCode(error, 'SINK_FAILED')).toBe(true);
    expect((error as Error).message).toContain(`${link} is a symbolic link`);
    expect((error as Error).message).not.toContain(SECRET);
    expect(await readFile(real, 'utf8')).toBe('do not touch');
    expect((await lstat(link)).isSymbolicLink()).toBe(true);
  });

  it('refuses a target whose parent directory is a symbolic link', async () => {
    const realDir = join(tmp(), 'real');
    const linkDir = join(tmp(), 'linked');
    await mkdir(realDir);
    await symlink(realDir, linkDir);

    const error = await deliverSecret(SECRET, [{ kind: 'file', path: join(linkDir, 'pat.txt') }], CTX).catch((e: unknown) => e);

    expect(hasErrorCode(error, 'SINK_FAILED')).toBe(true);
    expect((error as Error).message).toContain(`the folder ${linkDir} on the way to ${join(linkDir, 'pat.txt')} is a symbolic link`);
    expect(await readdir(realDir)).toEqual([]);
  });

  it.each([
    ['an existing folder', true],
    ['a folder still to be created', false],
  ])(
    'refuses a symbolic link further up, below the working folder, with %s under it; nothing is written or created',
    async (_what, exists) => {
      const realDir = join(tmp(), 'real');
      await mkdir(realDir);
      if (exists) await mkdir(join(realDir, 'sub'));
      await symlink(realDir, join(tmp(), 'linked'));

      const error = await deliverSecret(SECRET, [{ kind: 'file', path: 'linked/sub/pat.txt' }], CTX, { cwd: tmp() }).catch(
        (e: unknown) => e,
      );

      expect(hasErrorCode(error, 'SINK_FAILED')).toBe(true);
      expect((error as Error).message).toContain(
        `the folder ${join(tmp(), 'linked')} on the way to ${join(tmp(), 'linked', 'sub', 'pat.txt')} is a symbolic link`,
      );
      expect((error as Error).message).toContain(`links are followed only at ${tmp()} and the folders that contain it`);
      expect(await readdir(realDir)).toEqual(exists ? ['sub'] : []);
      if (exists) expect(await readdir(join(realDir, 'sub'))).toEqual([]);
    },
  );

  it('refuses a symbolic link on the way to an absolute path outside the working folder', async () => {
    const realDir = join(tmp(), 'real');
    await mkdir(join(realDir, 'sub'), { recursive: true });
    await symlink(realDir, join(tmp(), 'linked'));
    const work = join(tmp(), 'work');
    await mkdir(work);

    const error = await deliverSecret(SECRET, [{ kind: 'file', path: join(tmp(), 'linked', 'sub', 'pat.txt') }], CTX, { cwd: work }).catch(
      (e: unknown) => e,
    );

    expect(hasErrorCode(error, 'SINK_FAILED')).toBe(true);
    expect((error as Error).message).toContain(`the folder ${join(tmp(), 'linked')} on the way`);
    expect(await readdir(join(realDir, 'sub'))).toEqual([]);
  });

  it("follows links at the working folder and the folders that contain it (the machine's layout), and writes", async () => {
    // GIVEN the project folder reached through a link, and the hook running in a folder inside it
    const realProject = join(tmp(), 'real-project');
    await mkdir(join(realProject, 'cdktf.out', 'stacks', 'prod'), { recursive: true });
    await symlink(realProject, join(tmp(), 'project'));
    const cwd = join(tmp(), 'project', 'cdktf.out', 'stacks', 'prod');

    // WHEN a sink path climbs to the project folder and goes down into a new folder
    await deliverSecret(SECRET, [{ kind: 'file', path: '../../../secrets/pat.txt' }], CTX, { cwd });

    // THEN the file is written through the trusted link
    expect(await readFile(join(realProject, 'secrets', 'pat.txt'), 'utf8')).toBe(SECRET);
  });

  it('resolves a relative path against options.cwd', async () => {
    await deliverSecret(SECRET, [{ kind: 'file', path: 'secrets/pat.txt' }], CTX, { cwd: tmp() });
    expect(await readFile(join(tmp(), 'secrets', 'pat.txt'), 'utf8')).toBe(SECRET);
  });

  it('fails with a message naming the token, the sink and the path when the parent is a file', async () => {
    const file = join(tmp(), 'not-a-dir');
    await writeFile(file, 'x');
    const path = join(file, 'pat.txt');

    const error = await deliverSecret(SECRET, [{ kind: 'file', path }], CTX).catch((e: unknown) => e);

    expect(hasErrorCode(error, 'SINK_FAILED')).toBe(true);
    expect((error as Error).message).toBe(
      `could not deliver the secret of "${CTX.managedName}" to file ${path}: ${file} is not a directory; fix the sink path so that its parent is a directory.`,
    );
    expect((error as { details: Record<string, unknown> }).details).toMatchObject({ sink: `file ${path}`, index: 0 });
  });

  it('refuses a target that is a directory', async () => {
    const path = join(tmp(), 'pat.txt');
    await mkdir(path);
    const error = await deliverSecret(SECRET, [{ kind: 'file', path }], CTX).catch((e: unknown) => e);
    expect(hasErrorCode(error, 'SINK_FAILED')).toBe(true);
    expect((error as Error).message).toContain(`${path} exists and is not a regular file`);
  });

  it('wraps an fs error, keeping its code in the details and quoting the path', async () => {
    const path = join(tmp(), `${'x'.repeat(300)}.txt`);
    const error = await deliverSecret(SECRET, [{ kind: 'file', path }], CTX).catch((e: unknown) => e);
    expect(hasErrorCode(error, 'SINK_FAILED')).toBe(true);
    expect((error as { details: Record<string, unknown> }).details).toMatchObject({ code: 'ENAMETOOLONG', sink: `file ${path}` });
    expect((error as Error).message).toContain('ENAMETOOLONG');
    expect((error as Error).message).toContain('shorten the sink path');
  });

  it('refuses an invalid spec (parsed at the boundary) before writing anything', async () => {
    const path = join(tmp(), 'pat.txt');
    const error = await deliverSecret(
      SECRET,
      [
        { kind: 'file', path },
        { kind: 'file', path: '' },
      ],
      CTX,
    ).catch((e: unknown) => e);
    expect(hasErrorCode(error, 'INVALID_INPUT')).toBe(true);
    expect((error as Error).message).toContain('sinks[1].path');
    await expect(stat(path)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
