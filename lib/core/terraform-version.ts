/**
 * The oldest Terraform each slot resource type runs on (major, minor): `terraform_data` is built into Terraform since
 * 1.4; `null_resource` comes from the hashicorp/null provider and needs Terraform 1.0 or later (0.x is refused: its
 * configuration language and state differ).
 */
export const MIN_TERRAFORM_VERSION = {
  terraform_data: [1, 4],
  null_resource: [1, 0],
} as const satisfies Record<string, readonly [number, number]>;

/** A resource type that carries the hooks, as {@link MIN_TERRAFORM_VERSION} names them. */
export type HookResourceType = keyof typeof MIN_TERRAFORM_VERSION;

/**
 * What is wrong with the Terraform that printed `versionOutput` (`terraform version`'s output) for `resourceType`,
 * or null when it is recent enough. null output (Terraform not on PATH at synth) is no problem here: `cdktf deploy`
 * then fails with Terraform's own message.
 */
export function terraformVersionProblem(versionOutput: string | null, resourceType: HookResourceType): string | null {
  if (versionOutput === null) return null;
  const [needMajor, needMinor] = MIN_TERRAFORM_VERSION[resourceType];
  const need = `Terraform ${needMajor}.${needMinor} or later is needed for resourceType "${resourceType}"`;
  const said = versionOutput.split('\n')[0]?.trim() ?? '';
  const m = /v(\d+)\.(\d+)\.(\d+)/.exec(said);
  if (!m)
    return `${need}, but the version could not be read: "terraform version" said: ${said}. Install Terraform ${needMajor}.${needMinor} or later.`;
  const [major, minor] = [Number(m[1]), Number(m[2])];
  const recentEnough = major > needMajor || (major === needMajor && minor >= needMinor);
  return recentEnough ? null : `${need}; "terraform version" said: ${said}. Install Terraform ${needMajor}.${needMinor} or later on PATH.`;
}
