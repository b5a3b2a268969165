import { AgilityClient } from '../api';
import { type ResolvedCredential, resolveCredential } from '../credentials';
import type { CliContext } from './context';
import { timeoutFromEnv } from './env-inputs';

/**
 * The credential chain for a command (docs/design.md, "Credentials"): the variable `credentialEnv`, else the stored
 * login for `baseUrl` (refreshed through `/oauth/refresh` when expired), else a CONFIG error. The token goes to the
 * caller's API client only, never into `ctx.env`.
 */
export function credentialFor(ctx: CliContext, baseUrl: string, credentialEnv: string): Promise<ResolvedCredential> {
  const timeoutMs = timeoutFromEnv(ctx.env);
  return resolveCredential({
    env: ctx.env,
    apiUrl: baseUrl,
    credentialEnv,
    clock: ctx.clock,
    refresh: (refreshToken) => new AgilityClient({ baseUrl, clock: ctx.clock, timeoutMs }).refresh(refreshToken),
  });
}

/** An API client for `baseUrl` signed in through {@link credentialFor}. */
export async function signedInClient(ctx: CliContext, baseUrl: string, credentialEnv: string): Promise<AgilityClient> {
  const { accessToken } = await credentialFor(ctx, baseUrl, credentialEnv);
  return new AgilityClient({ baseUrl, accessToken, clock: ctx.clock, timeoutMs: timeoutFromEnv(ctx.env) });
}
