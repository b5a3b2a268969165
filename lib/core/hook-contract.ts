/**
 * The hook contract: every name that the construct (or a plain HCL configuration) and the `agility-pat` program
 * must agree on. This module is its one home: the construct writes these variables and files, the CLI reads them,
 * and nothing else spells them out. A change to any of them is a breaking change (a major version), like a change
 * to managed names (docs/design.md, "Contracts").
 */

/**
 * Environment variables through which Terraform's provisioners pass inputs to `agility-pat hook …`. Values, never
 * secrets: the credential itself is read from the variable whose NAME is in {@link HOOK_ENV.credentialEnv}.
 */
export const HOOK_ENV = {
  apiUrl: 'AGILITY_PAT_API_URL',
  credentialEnv: 'AGILITY_PAT_CREDENTIAL_ENV',
  managedName: 'AGILITY_PAT_MANAGED_NAME',
  declaredName: 'AGILITY_PAT_DECLARED_NAME',
  generation: 'AGILITY_PAT_GENERATION',
  currentGeneration: 'AGILITY_PAT_CURRENT_GENERATION',
  expiry: 'AGILITY_PAT_EXPIRY',
  sinks: 'AGILITY_PAT_SINKS',
  manifest: 'AGILITY_PAT_MANIFEST',
  now: 'AGILITY_PAT_NOW',
  /**
   * Milliseconds one API call may take, retries included (the client's `timeoutMs`). Not set by the construct: a
   * person or CI exports it before the deploy (hooks inherit Terraform's environment), or before a command.
   */
  timeoutMs: 'AGILITY_PAT_TIMEOUT_MS',
  /** `false` skips proving a new token works before delivery (the construct's `verify: false`); anything else checks. */
  verify: 'AGILITY_PAT_VERIFY',
} as const;

/**
 * The cdktf context key that sets the instant synth acts as of (ISO-8601): `cdktf synth --context agility-pat:now=…`,
 * `new App({ context: { 'agility-pat:now': … } })`. It comes before {@link HOOK_ENV.now}, which hooks read.
 */
export const SYNTH_NOW_CONTEXT = 'agility-pat:now';

/**
 * Default names of the variables holding the credentials of the native sinks, read at delivery, never given to
 * command sinks. A sink may name another variable (`tokenEnv`); the sink spec carries the name, never the value.
 */
export const SINK_CREDENTIAL_ENV = {
  githubActions: 'GITHUB_TOKEN',
  vault: 'VAULT_TOKEN',
} as const;

/** Variables a command sink's program receives besides its inherited environment (never the secret: that is on stdin). */
export const COMMAND_SINK_ENV = {
  declaredName: 'AGILITY_PAT_NAME',
  managedName: 'AGILITY_PAT_MANAGED_NAME',
  expiry: 'AGILITY_PAT_EXPIRY',
  generation: 'AGILITY_PAT_GENERATION',
  tokenId: 'AGILITY_PAT_TOKEN_ID',
} as const;

/** The credential variable used when none is named. */
export const DEFAULT_CREDENTIAL_ENV = 'AGILITY_ACCESS_TOKEN';

/** The variable `agility-pat auth refresh` reads the OAuth refresh token from when no source is named. */
export const DEFAULT_REFRESH_TOKEN_ENV = 'AGILITY_REFRESH_TOKEN';

/** The file, in the stack's Terraform folder, that tells the reconciler (and `status`) what the stack declares. */
export const MANIFEST_FILE = 'agility-pat-manifest.json';
