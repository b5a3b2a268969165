import { InvalidInputError } from '../core/errors';
import { readStackManifest, type LoadedManifest } from '../ops/read-stack-manifest';
import type { CliContext } from './context';
import type { OptionTable } from './usage';

/** `--stack DIR | --manifest FILE`: how the commands that act on one synthesized stack find its manifest. */
export const MANIFEST_OPTIONS = {
  stack: {
    type: 'string',
    value: 'DIR',
    help: 'a synthesized stack folder, e.g. cdktf.out/stacks/prod (reads DIR/agility-pat-manifest.json)',
  },
  manifest: { type: 'string', value: 'FILE', help: 'the manifest file itself' },
} as const satisfies OptionTable;

/**
 * Reads the manifest that exactly one of `--stack` and `--manifest` names, resolved against the user's folder.
 * @throws InvalidInputError when neither or both are given; ConfigError when the manifest cannot be read.
 */
export function manifestFromFlags(
  values: { readonly stack?: string; readonly manifest?: string },
  ctx: Pick<CliContext, 'cwd'>,
  command: string,
): Promise<LoadedManifest> {
  if ((values.stack === undefined) === (values.manifest === undefined)) {
    throw new InvalidInputError(`${command} needs exactly one of --stack DIR (a folder under cdktf.out/stacks) or --manifest FILE.`, {
      prop: '--stack',
    });
  }
  return readStackManifest({ stackDir: values.stack, manifestFile: values.manifest, cwd: ctx.cwd });
}
