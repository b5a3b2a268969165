import { AgilityClient, resolveBaseUrl } from '../api';
import type { LifecycleDeps } from '../lifecycle';
import { deliverSecret } from '../sinks';
import type { CliContext } from './context';
import { readCredential } from './env-inputs';

/** Builds the lifecycle's collaborators from the command's context: the real client, the real sinks. */
export function lifecycleDeps(ctx: CliContext, apiUrl: string, credentialEnv: string): LifecycleDeps {
  const api = new AgilityClient({
    baseUrl: resolveBaseUrl({ baseUrl: apiUrl }),
    accessToken: readCredential(ctx.env, credentialEnv),
    clock: ctx.clock,
  });
  return {
    api,
    clock: ctx.clock,
    deliver: (secret, sinks, info) => deliverSecret(secret, sinks, info, { cwd: ctx.cwd, env: ctx.env }),
    log: (line) => ctx.out(`agility-pat: ${line}`),
  };
}
