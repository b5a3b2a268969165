import type { IConstruct } from 'constructs';
import { ConfigError } from '../core/errors';
import { CDK_ENTRY_POINTS, CDK_PACKAGE, cdkOf } from './cdk-package';

/**
 * Which copy of the construct layer made a construct: the CDK it was built for and the folder it was loaded from.
 * An app can load two copies (the `agility-pat-cdktf` and `agility-pat-cdktf/cdktn` entry points, or two installs
 * of the package), and `instanceof` is false across them, so constructs carry a `Symbol.for` brand instead, as the
 * CDK's own classes do (docs/design.md, "CDK Terrain").
 */
export interface CopyBrand {
  readonly cdk: string;
  readonly folder: string;
}

const THIS_COPY: CopyBrand = Object.freeze({ cdk: CDK_PACKAGE, folder: __dirname });

/** Marks `construct` as made by this copy under the brand `key` (a `Symbol.for` key, the same in every copy). */
export function brand(construct: IConstruct, key: symbol): void {
  Object.defineProperty(construct, key, { value: THIS_COPY, enumerable: false });
}

/** The copy that branded `value` under `key`, whichever copy it is; undefined when it carries no such brand. */
export function brandOf(value: unknown, key: symbol): CopyBrand | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const b = (value as Record<symbol, unknown>)[key] as Partial<CopyBrand> | undefined;
  return b && typeof b.cdk === 'string' && typeof b.folder === 'string' ? (b as CopyBrand) : undefined;
}

/** True when `value` was branded under `key` by this very copy. */
export function isThisCopy(value: unknown, key: symbol): boolean {
  return brandOf(value, key) === THIS_COPY;
}

/** The error for a construct of `other` copy met by this one: two copies in one app, and how to keep one. */
export function twoCopiesMessage(what: string, other: CopyBrand): string {
  return (
    `${what} was made by another copy of agility-pat-cdktf (${describe(other)}) than this one (${describe(THIS_COPY)}): ` +
    `an app must import every construct of this package from one entry point, "${CDK_ENTRY_POINTS[CDK_PACKAGE].entry}" ` +
    'for this CDK, and have the package installed once (run "npm ls agility-pat-cdktf", then "npm dedupe").'
  );
}

function describe(copy: CopyBrand): string {
  return `built for ${copy.cdk}, loaded from ${copy.folder}`;
}

/**
 * Refuses a stack of the other CDK: this copy's resources are that CDK's classes, and a stack of the other one cannot
 * synthesize them (cdktn's stack calls methods cdktf's resources lack). Copies of the same CDK mix as the CDK allows.
 */
export function checkStackCdk(stack: IConstruct): void {
  const cdk = cdkOf(stack);
  if (cdk === undefined || cdk === CDK_PACKAGE) return;
  throw new ConfigError(
    `${stack.node.path}: the stack is a ${cdk} stack, but agility-pat-cdktf was imported from "${CDK_ENTRY_POINTS[CDK_PACKAGE].entry}", ` +
      `the entry point for ${CDK_PACKAGE}: import from "${CDK_ENTRY_POINTS[cdk].entry}" instead (docs/cdk-terrain.md).`,
    { prop: 'stack', constructPath: stack.node.path },
  );
}
