import { anyToTerraform, hashMapper, TerraformResource, type TerraformResourceLifecycle, type ITerraformDependable } from 'cdktf';
import type { Construct } from 'constructs';
import { Resource as NullResource } from '@cdktf/provider-null/lib/resource';
import { NullProvider } from '@cdktf/provider-null/lib/provider';
import { TerraformStack } from 'cdktf';
import type { LocalExecProvisioner } from 'cdktf';

/** Which Terraform resource carries the hooks. */
export type SlotResourceType = 'terraform_data' | 'null_resource';

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
    ensureNullProvider(scope);
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

/** `null_resource` needs the hashicorp/null provider declared once per stack. */
function ensureNullProvider(scope: Construct): void {
  const stack = TerraformStack.of(scope);
  if (!stack.node.tryFindChild('agility-pat-null-provider')) new NullProvider(stack, 'agility-pat-null-provider');
}
