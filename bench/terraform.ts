import { spawnSync } from 'node:child_process';

/**
 * The Terraform binary the apply benchmark runs: /usr/local/bin/terraform when present, else `terraform` on PATH.
 * Throws a message saying how to get it when neither works.
 */
export function requireTerraform(): string {
  for (const candidate of ['/usr/local/bin/terraform', 'terraform']) {
    const probe = spawnSync(candidate, ['version'], { encoding: 'utf8', env: terraformEnv() });
    if (!probe.error && probe.status === 0) return candidate;
  }
  throw new Error(
    'Terraform was not found (tried /usr/local/bin/terraform and PATH): the apply benchmark needs Terraform 1.11.4. ' +
      'Install it at /usr/local/bin/terraform, or run the other measurements with --only cold,synth.',
  );
}

/**
 * A minimal environment for Terraform: no version-check network calls, the given CLI configuration (an empty file),
 * nothing inherited but PATH and HOME, plus `extra` (the credential).
 */
export function terraformEnv(cliConfigFile?: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    CHECKPOINT_DISABLE: '1',
    DISABLE_VERSION_CHECK: '1',
    TF_IN_AUTOMATION: '1',
    ...(cliConfigFile ? { TF_CLI_CONFIG_FILE: cliConfigFile } : {}),
    ...extra,
  };
}
