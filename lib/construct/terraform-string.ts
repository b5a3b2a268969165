/**
 * Escapes a literal for a Terraform string: `${` and `%{` start interpolations and directives, so a sink path like
 * `${HOME}/x` must reach the hook as written, not be evaluated by Terraform.
 * https://developer.hashicorp.com/terraform/language/expressions/strings#escape-sequences
 */
export function escapeTerraformLiteral(value: string): string {
  return value.replace(/\$\{/g, () => '$${').replace(/%\{/g, () => '%%{');
}

/** Escapes every value of a string map. */
export function escapeTerraformLiterals(values: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, escapeTerraformLiteral(v)]));
}
