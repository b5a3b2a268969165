import type { AgilityClient } from '../api';
import { HOOK_ENV } from '../core/hook-contract';
import type { LifecycleDeps } from '../lifecycle';
import { realTime, verifyNewToken, type VerifyDeps } from '../lifecycle/verify-token';
import type { CliContext } from './context';

/**
 * The lifecycle's `verify`: a new token must authenticate `GET /api/v1/users/me` as the user of the OAuth credential
 * before any sink sees it. Undefined (no check) when `AGILITY_PAT_VERIFY` is `false` (the construct's `verify: false`).
 * The creator is asked once per hook process. Waits use real time, never the simulated `AGILITY_PAT_NOW`.
 */
export function tokenVerifier(
  ctx: Pick<CliContext, 'env'>,
  api: Pick<AgilityClient, 'me' | 'meWithToken'>,
  time: Pick<VerifyDeps, 'clock' | 'sleep'> = realTime,
): LifecycleDeps['verify'] {
  if (ctx.env[HOOK_ENV.verify]?.trim().toLowerCase() === 'false') return undefined;
  let creator: Promise<{ userID: number }> | undefined;
  const deps: VerifyDeps = {
    whoAmI: (secret) => api.meWithToken(secret),
    expectedUser: () => (creator ??= api.me()),
    ...time,
  };
  return (secret, token) => verifyNewToken(deps, secret, { managedName: token.managedName, tokenId: token.tokenId });
}
