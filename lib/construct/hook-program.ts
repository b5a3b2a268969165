import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { AssetType, TerraformAsset, TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import { ConfigError } from '../core/errors';

const ASSET_ID = 'agility-pat-hook';

/**
 * The bundled `agility-pat` program (dist/agility-pat.js): one self-contained file, copied once into each stack's
 * assets, that Terraform runs as `node <file> hook ...`. It needs neither node_modules nor npx on the deploy machine.
 * Found from this module's own location (`__dirname`, a real path even through pnpm's symlinks), never from the app's
 * working directory, so it is this package's bundle wherever npm put the package: hoisted, nested, in a workspace
 * member or in a symlinked store (test/consumer covers each). It is also the installed `agility-pat` command.
 */
export function hookProgramPath(): string {
  let dir = __dirname;
  for (;;) {
    const bundle = join(dir, 'dist', 'agility-pat.js');
    if (existsSync(bundle)) return bundle;
    const pkg = join(dir, 'package.json');
    // The compiled tree has a copy of package.json in dist/ (imported for --version): the package root is above it.
    if (basename(dir) !== 'dist' && existsSync(pkg) && JSON.parse(readFileSync(pkg, 'utf8')).name === 'agility-pat-cdktf') {
      throw new ConfigError(
        `the hook program ${bundle} is missing: in a clone, run "npm run build" in ${dir}; in an installed package, reinstall agility-pat-cdktf.`,
      );
    }
    const parent = dirname(dir);
    if (parent === dir) throw new ConfigError(`cannot find the agility-pat-cdktf package above ${__dirname} to locate its hook program.`);
    dir = parent;
  }
}

/** The stack's copy of the hook program, added on first use; its path relative to the stack's Terraform folder. */
export function hookProgramAsset(scope: Construct): string {
  const stack = TerraformStack.of(scope);
  const existing = stack.node.tryFindChild(ASSET_ID) as TerraformAsset | undefined;
  const asset = existing ?? new TerraformAsset(stack, ASSET_ID, { path: hookProgramPath(), type: AssetType.FILE });
  return asset.path;
}

/** The shell command Terraform's local-exec runs: a fixed string, every value goes through `environment`. */
export function hookCommand(assetPath: string, action: 'create' | 'destroy' | 'reconcile'): string {
  return `node "${assetPath}" hook ${action}`;
}
