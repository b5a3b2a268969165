import { AgilityClient, resolveBaseUrl } from '../api';
import type { CliContext } from './context';
import { readCredential, timeoutFromEnv } from './env-inputs';

/** Options every command that talks to the API shares. */
export const API_OPTIONS = {
  'api-url': { type: 'string' },
  'instance-guid': { type: 'string' },
  'credential-env': { type: 'string' },
} as const;

/** What the user passed of {@link API_OPTIONS}. */
export interface ApiFlags {
  readonly 'api-url'?: string;
  readonly 'instance-guid'?: string;
  readonly 'credential-env'?: string;
}

/** The base URL: `--api-url`, else the region of `--instance-guid`, else `fallback`. */
export function baseUrlFromFlags(values: ApiFlags, fallback: string | undefined): string {
  return resolveBaseUrl({
    baseUrl: values['api-url'] ?? (values['instance-guid'] ? undefined : fallback),
    instanceGuid: values['instance-guid'],
  });
}

/**
 * A client for commands run by a person: the URL from {@link baseUrlFromFlags}, the credential from the variable
 * `--credential-env` names, else `defaults.credentialEnv`; the deadline of each call from `AGILITY_PAT_TIMEOUT_MS`.
 */
export function clientFromFlags(
  ctx: CliContext,
  values: ApiFlags,
  defaults: { readonly apiUrl: string | undefined; readonly credentialEnv: string },
): AgilityClient {
  return new AgilityClient({
    baseUrl: baseUrlFromFlags(values, defaults.apiUrl),
    accessToken: readCredential(ctx.env, values['credential-env'] ?? defaults.credentialEnv),
    clock: ctx.clock,
    timeoutMs: timeoutFromEnv(ctx.env),
  });
}
