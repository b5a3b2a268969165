import { MANIFEST_FILE } from '../core/hook-contract';
import { promises as fs } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError } from '../core/errors';
import { parseManifest, type StackManifest } from '../core/manifest';

/** The file the construct writes next to a synthesized stack's cdk.tf.json. */

/** A stack manifest read from disk. */
export interface LoadedManifest {
  readonly path: string;
  readonly manifest: StackManifest;
}

/**
 * Reads `<stackDir>/agility-pat-manifest.json` (or `manifestFile`), resolved against `cwd`.
 * @throws ConfigError when the file is missing, unreadable or not a valid manifest.
 */
export async function readStackManifest(input: { stackDir?: string; manifestFile?: string; cwd: string }): Promise<LoadedManifest> {
  const path =
    input.manifestFile !== undefined
      ? resolve(input.cwd, input.manifestFile)
      : join(resolve(input.cwd, input.stackDir ?? '.'), MANIFEST_FILE);
  let text: string;
  try {
    text = await fs.readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ConfigError(
      code === 'ENOENT'
        ? `no stack manifest at ${path}: run cdktf synth first, and pass --stack cdktf.out/stacks/<stack> (the folder holding ${MANIFEST_FILE}) or --manifest FILE.`
        : `cannot read the stack manifest ${path} (${code ?? (e as Error).message}).`,
      { path },
    );
  }
  return { path, manifest: parseManifest(text) };
}
