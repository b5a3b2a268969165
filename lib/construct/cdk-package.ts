import { ConfigError } from '../core/errors';

/** The CDKs the construct layer is built for: cdktf 0.21 (the `agility-pat-cdktf` entry) and CDK Terrain (`/cdktn`). */
export type CdkPackage = 'cdktf' | 'cdktn';

/** The entry point of this package that serves each CDK, and what a user installs for it (docs/cdk-terrain.md). */
export const CDK_ENTRY_POINTS: Readonly<Record<CdkPackage, { entry: string; install: string }>> = {
  cdktf: { entry: 'agility-pat-cdktf', install: 'npm install cdktf@~0.21.0 constructs@^10.4.2' },
  cdktn: { entry: 'agility-pat-cdktf/cdktn', install: 'npm install cdktn@^0.24.0 "constructs@>=10.6.0 <10.8.0"' },
};

/**
 * The CDK this copy of the construct layer loads: `cdktf`, or `cdktn` in the second entry point, which the build
 * emits from the same source by rewriting every `cdktf` import, this one included (docs/design.md, "CDK Terrain").
 * Imported first by the construct layer's index, so a missing CDK is reported here, before any CDK import fails with
 * Node's bare "Cannot find module".
 */
export const CDK_PACKAGE: CdkPackage = loadCdkPackage();

function loadCdkPackage(): CdkPackage {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require('cdktf/package.json') as { name: CdkPackage }).name;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw e;
    throw new ConfigError(missingCdkMessage(installedCdks()), { prop: 'peerDependencies' });
  }
}

/** The CDKs that resolve from this package's folder (names built at run time, so the build leaves them as they are). */
function installedCdks(): CdkPackage[] {
  return (Object.keys(CDK_ENTRY_POINTS) as CdkPackage[]).filter((name) => {
    try {
      require.resolve(`${name}/package.json`);
      return true;
    } catch {
      return false;
    }
  });
}

/**
 * The error when this entry point's CDK is missing. Only the other CDK can be installed then, so its entry point is
 * the one to import; with neither, both ways are named.
 */
export function missingCdkMessage(installed: readonly CdkPackage[]): string {
  const [other] = installed;
  if (other) {
    const wanted: CdkPackage = other === 'cdktf' ? 'cdktn' : 'cdktf';
    return (
      `${CDK_ENTRY_POINTS[wanted].entry} needs the peer dependency ${wanted}, which is not installed, but ${other} is: ` +
      `import from "${CDK_ENTRY_POINTS[other].entry}" instead (docs/cdk-terrain.md).`
    );
  }
  return (
    'agility-pat-cdktf needs a CDK, and neither cdktf nor cdktn (CDK Terrain) is installed: ' +
    `for cdktf run "${CDK_ENTRY_POINTS.cdktf.install}" and import from "${CDK_ENTRY_POINTS.cdktf.entry}"; ` +
    `for CDK Terrain run "${CDK_ENTRY_POINTS.cdktn.install}" and import from "${CDK_ENTRY_POINTS.cdktn.entry}".`
  );
}

/**
 * The CDK that made `construct`'s class, read from the jsii type information every CDK class carries under
 * `Symbol.for('jsii.rtti')` (`{ fqn: 'cdktn.TerraformStack' }`): a brand, so it works across copies where
 * `instanceof` does not. Undefined for a class of neither CDK.
 */
export function cdkOf(construct: object): CdkPackage | undefined {
  const rtti = Symbol.for('jsii.rtti');
  for (let proto: unknown = Object.getPrototypeOf(construct); proto; proto = Object.getPrototypeOf(proto)) {
    const ctor = (proto as { constructor?: unknown }).constructor as Record<symbol, { fqn?: unknown } | undefined> | undefined;
    const fqn = ctor && Object.prototype.hasOwnProperty.call(ctor, rtti) ? ctor[rtti]?.fqn : undefined;
    const m = typeof fqn === 'string' ? /^(cdktf|cdktn)\./.exec(fqn) : null;
    if (m) return m[1] as CdkPackage;
  }
  return undefined;
}
