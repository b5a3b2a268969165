import { anyToTerraform, hashMapper, TerraformResource, type TerraformResourceLifecycle, type ITerraformDependable } from 'cdktf';
import type { Construct } from 'constructs';
import { TerraformStack } from 'cdktf';
import type { LocalExecProvisioner } from 'cdktf';
import { ConfigError } from '../core/errors';
import { CDK_PACKAGE } from './cdk-package';

import type { HookResourceType } from '../core/terraform-version';

/** Which Terraform resource carries the hooks. */
export type SlotResourceType = HookResourceType;

/**
 * A `terraform_data` resource without cdktf's per-resource `terraform version` validation (about 60 ms each at
 * synth; docs/design.md, "Facts"). The reconciler checks the Terraform version once per stack instead.
 */
class TerraformData extends TerraformResource {
  constructor(
    scope: Construct,
    id: string,
    private readonly triggers: Record<string, string>,
    config: { provisioners: LocalExecProvisioner[]; dependsOn?: ITerraformDependable[]; lifecycle?: TerraformResourceLifecycle },
  ) {
    super(scope, id, {
      terraformResourceType: 'terraform_data',
      terraformGeneratorMetadata: { providerName: 'terraform' },
      provisioners: config.provisioners,
      dependsOn: config.dependsOn,
      lifecycle: config.lifecycle,
    });
  }

  protected synthesizeAttributes(): Record<string, unknown> {
    return { triggers_replace: hashMapper(anyToTerraform)(this.triggers) };
  }

  protected synthesizeHclAttributes(): Record<string, unknown> {
    return { triggers_replace: { value: hashMapper(anyToTerraform)(this.triggers), type: 'map', storageClassType: 'stringMap' } };
  }
}

export interface HookResourceConfig {
  resourceType: SlotResourceType;
  /** Values whose change replaces the resource; all a destroy hook needs (no secrets: they are stored in state). */
  triggers: Record<string, string>;
  /** Builds the provisioners; `selfRef(key)` is the expression for a trigger value as the destroy hook must read it. */
  provisioners: (selfRef: (key: string) => string) => LocalExecProvisioner[];
  dependsOn?: ITerraformDependable[];
}

/** Emits the resource that carries a slot's or the reconciler's hooks, as `terraform_data` or `null_resource`. */
export function createHookResource(scope: Construct, id: string, config: HookResourceConfig): TerraformResource {
  if (config.resourceType === 'null_resource') {
    refuseNullResourceOutsideCdktf();
    const { NullResource, NullProvider } = loadProviderNull();
    const stack = TerraformStack.of(scope);
    if (!stack.node.tryFindChild(NULL_PROVIDER_ID)) new NullProvider(stack, NULL_PROVIDER_ID);
    return new NullResource(scope, id, {
      triggers: config.triggers,
      provisioners: config.provisioners((key) => `\${self.triggers.${key}}`),
      dependsOn: config.dependsOn,
    });
  }
  return new TerraformData(scope, id, config.triggers, {
    provisioners: config.provisioners((key) => `\${self.triggers_replace.${key}}`),
    dependsOn: config.dependsOn,
  });
}

/**
 * `null_resource` comes from `@cdktf/provider-null`, whose classes are cdktf's: CDK Terrain has no null provider
 * package, so under cdktn only the default `terraform_data` (built into Terraform) is offered.
 */
function refuseNullResourceOutsideCdktf(): void {
  if (CDK_PACKAGE === 'cdktf') return;
  throw new ConfigError(
    `resourceType "null_resource" is cdktf-only: it needs @cdktf/provider-null, and CDK Terrain (${CDK_PACKAGE}) has no null provider package. ` +
      'Use the default resourceType "terraform_data", which is built into Terraform (docs/cdk-terrain.md).',
    { prop: 'resourceType' },
  );
}

/** `null_resource` needs the hashicorp/null provider declared once per stack, under this id. */
const NULL_PROVIDER_ID = 'agility-pat-null-provider';

/**
 * `@cdktf/provider-null`, an optional peer dependency loaded only when a stack asks for `null_resource`: the default
 * slot type, `terraform_data`, is built into Terraform, so most apps need neither the package nor the provider.
 */
function loadProviderNull(): {
  NullResource: typeof import('@cdktf/provider-null/lib/resource').Resource;
  NullProvider: typeof import('@cdktf/provider-null/lib/provider').NullProvider;
} {
  try {
    /* eslint-disable @typescript-eslint/no-require-imports */
    const { Resource } = require('@cdktf/provider-null/lib/resource') as typeof import('@cdktf/provider-null/lib/resource');
    const { NullProvider } = require('@cdktf/provider-null/lib/provider') as typeof import('@cdktf/provider-null/lib/provider');
    /* eslint-enable @typescript-eslint/no-require-imports */
    return { NullResource: Resource, NullProvider };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw e;
    throw new ConfigError(
      'resourceType "null_resource" needs the optional peer dependency @cdktf/provider-null, which is not installed: ' +
        'run "npm install @cdktf/provider-null@^11.0.1", or use the default resourceType "terraform_data" (no provider needed).',
      { prop: 'resourceType' },
    );
  }
}
