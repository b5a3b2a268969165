import { AgilityClient, resolveBaseUrl } from '../api';
import type { LifecycleDeps } from '../lifecycle';
import { deliverSecret, withoutCredentials } from '../sinks';
import type { CliContext } from './context';
import { readCredential } from './env-inputs';

/** Builds the lifecycle's collaborators from the command's context: the real client, the real sinks. */
export function lifecycleDeps(ctx: CliContext, apiUrl: string, credentialEnv: string): LifecycleDeps {
  const api = new AgilityClient({
    baseUrl: resolveBaseUrl({ baseUrl: apiUrl }),
    accessToken: readCredential(ctx.env, credentialEnv),
    clock: ctx.clock,
  });
  // Command sinks inherit the hook's environment, but not the OAuth credential: they are given one secret, not the
  // power to create and revoke the user's tokens.
  const sinkEnv = withoutCredentials(ctx.env, credentialEnv);
  return {
    api,
    clock: ctx.clock,
    deliver: (secret, sinks, info) => deliverSecret(secret, sinks, info, { cwd: ctx.cwd, env: sinkEnv }),
    log: (line) => ctx.out(`agility-pat: ${line}`),
  };
}
