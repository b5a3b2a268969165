import { resolveBaseUrl } from '../api';
import type { LifecycleDeps } from '../lifecycle';
import { LOCK_WAIT_MS, lockFileFor, withFileLock } from '../locks/file-lock';
import { deliverSecret, withoutCredentials } from '../sinks';
import { probeSinks } from '../sinks/sink-probe';
import type { CliContext } from './context';
import { printable } from '../core/printable';
import { signedInClient } from './credential';
import { tokenVerifier } from './verify-deps';

/**
 * Builds the lifecycle's collaborators from the command's context: the real client (signed in through the credential
 * chain), the real sinks, real locks.
 */
export async function lifecycleDeps(ctx: CliContext, apiUrl: string, credentialEnv: string): Promise<LifecycleDeps> {
  const baseUrl = resolveBaseUrl({ baseUrl: apiUrl });
  const api = await signedInClient(ctx, baseUrl, credentialEnv, {
    // A SIGINT or SIGTERM before the first sink cuts the request in flight (docs/design.md, "Hardening").
    signal: ctx.stops.abortSignal,
  });
  // Command sinks pick their allow-list from the hook's environment, never the OAuth credential: they are given one
  // secret, not the power to create and revoke the user's tokens. A stored login is never in the environment at all.
  const sinkEnv = withoutCredentials(ctx.env, credentialEnv);
  return {
    api,
    clock: ctx.clock,
    // Each new token is proven before any sink sees it, unless the token says verify: false.
    verify: tokenVerifier(ctx, api),
    deliver: (secret, sinks, info) => deliverSecret(secret, sinks, info, { cwd: ctx.cwd, env: sinkEnv }),
    // The reconciler's drift check reads the destinations back, as the deliveries wrote them; never with the secret.
    probeSinks: (sinks, token) => probeSinks(sinks, token, { cwd: ctx.cwd, env: sinkEnv }),
    // Lines quote token names from the API's list: printed inert.
    log: (line) => ctx.out(`agility-pat: ${printable(line)}`),
    // One lock per API and managed name, shared by every deploy of every project on this machine.
    lock: (managedName, fn) =>
      withFileLock(lockFileFor('name', `${baseUrl}\n${managedName}`), fn, {
        waitMs: LOCK_WAIT_MS.name,
        what: `the token "${managedName}"`,
      }),
    critical: (fn) => ctx.stops.critical(fn),
    checkpoint: () => ctx.stops.checkpoint(),
  };
}
