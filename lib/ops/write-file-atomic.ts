import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/**
 * Replaces `path` with `content` atomically and with mode 0600: writes a temporary file in the same directory
 * (created exclusively, never following a link), flushes it, then renames it over the target. A reader sees the
 * old content or the new, never a mix. Refuses when `path` is a symbolic link (it could send a secret elsewhere).
 * Errors are Node's, with the path and never the content.
 */
export async function writeFileAtomic600(path: string, content: string): Promise<void> {
  const stat = await fs.lstat(path).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return undefined;
    throw e;
  });
  if (stat?.isSymbolicLink()) {
    throw Object.assign(new Error(`${path} is a symbolic link; refusing to write a secret through it`), { code: 'ELOOP' });
  }
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await fs.open(tmp, 'wx', 0o600);
  try {
    try {
      await handle.writeFile(content, 'utf8');
      // The umask may have narrowed the mode further; make it exactly 0600.
      await handle.chmod(0o600);
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw e;
  }
  try {
    await fs.rename(tmp, path);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw e;
  }
}
