import { type AgilityClient, DEFAULT_BASE_URL, resolveBaseUrl } from '../api';
import type { CliContext } from './context';
import { signedInClient } from './credential';
import type { OptionTable } from './usage';

/** Where operator commands without a flag find the API: as the construct does at synth (`AgilityApi.fromEnvironment()`). */
export function apiUrlFromEnv(env: NodeJS.ProcessEnv): string {
  return env.AGILITY_API_URL || DEFAULT_BASE_URL;
}

/** How help describes {@link apiUrlFromEnv}. */
export const API_URL_FROM_ENV_HELP = `$AGILITY_API_URL, else ${DEFAULT_BASE_URL}`;

/**
 * `--api-url` and `--instance-guid`, which every command that talks to the API takes; `defaultHelp` says where the URL
 * comes from without them. The rule is one for all: `--api-url`, else `--instance-guid`'s region, else the default.
 */
export function apiUrlOptions(defaultHelp: string) {
  return {
    'api-url': { type: 'string', value: 'URL', help: `Management API base URL (default: ${defaultHelp})` },
    'instance-guid': {
      type: 'string',
      value: 'GUID',
      help: "pick the regional host from an instance GUID's suffix (-u, -us2, -c, -e, -a, -d)",
    },
  } as const satisfies OptionTable;
}

/** `--credential-env`; `defaultHelp` names the variable read without it. */
export function credentialOption(defaultHelp: string) {
  return {
    'credential-env': {
      type: 'string',
      value: 'NAME',
      help: `variable holding an OAuth access token (default: ${defaultHelp}); unset: the stored login (auth login)`,
    },
  } as const satisfies OptionTable;
}

/** What the user passed of {@link apiUrlOptions} and {@link credentialOption}. */
export interface ApiFlags {
  readonly 'api-url'?: string;
  readonly 'instance-guid'?: string;
  readonly 'credential-env'?: string;
}

/** The base URL: `--api-url`, else the region of `--instance-guid`, else `fallback`. */
export function baseUrlFromFlags(values: ApiFlags, fallback: string): string {
  return resolveBaseUrl({
    baseUrl: values['api-url'] ?? (values['instance-guid'] ? undefined : fallback),
    instanceGuid: values['instance-guid'],
  });
}

/**
 * A client for commands run by a person: the URL from {@link baseUrlFromFlags}; the credential from the chain
 * (docs/design.md, "Credentials") for the variable `--credential-env` names, else `defaults.credentialEnv`; the
 * deadline of each call from `AGILITY_PAT_TIMEOUT_MS`.
 */
export function clientFromFlags(
  ctx: CliContext,
  values: ApiFlags,
  defaults: { readonly apiUrl: string; readonly credentialEnv: string },
): Promise<AgilityClient> {
  return signedInClient(ctx, baseUrlFromFlags(values, defaults.apiUrl), values['credential-env'] ?? defaults.credentialEnv);
}
