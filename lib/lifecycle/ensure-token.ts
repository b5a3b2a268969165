import type { PersonalAccessTokenCreationResponse } from '../api/models';
import { BadResponseError, hasErrorCode, isAgilityPatError } from '../core/errors';
import { findByManagedName, revokeAll } from './find-tokens';
import type { LifecycleDeps, TokenTarget } from './types';

/** What `ensureToken` did. */
export type EnsureOutcome = { action: 'created'; tokenId: string; expiryDate: string } | { action: 'skipped-expired'; expiryDate: string };

/**
 * The create hook of a slot whose generation is current (docs/design.md, "Hooks"): list; revoke any token
 * already carrying the managed name (its secret is unknown to us); create; deliver to every sink; if delivery
 * fails, revoke the new token and fail. Idempotent: a re-run after any failure (taint, SIGKILL) converges on
 * exactly one live token, delivered.
 *
 * Creation is never retried blindly: after an ambiguous failure (timeout, dropped connection, 5xx, unreadable
 * answer) the token may exist server-side, so list first, revoke what we cannot deliver, and create once more.
 */
export async function ensureToken(deps: LifecycleDeps, target: TokenTarget): Promise<EnsureOutcome> {
  if (target.expiryDate !== null && Date.parse(target.expiryDate) <= deps.clock()) {
    deps.log(
      `"${target.managedName}" expired at ${target.expiryDate}: creating nothing. Set a later expiresAt (or use rotation) and deploy again.`,
    );
    return { action: 'skipped-expired', expiryDate: target.expiryDate };
  }

  const existing = await findByManagedName(deps, target.managedName);
  await revokeAll(deps, existing, 'its secret was never delivered by this run, a fresh one replaces it');

  const created = await createOnce(deps, target).catch(async (e: unknown) => {
    if (!isAmbiguous(e)) throw e;
    deps.log(`creating "${target.managedName}" failed ambiguously (${describe(e)}); checking the token list before trying once more`);
    const maybeCreated = await findByManagedName(deps, target.managedName);
    await revokeAll(deps, maybeCreated, 'created by the failed attempt, its secret never arrived');
    return createOnce(deps, target);
  });

  try {
    await deps.deliver(created.secret, target.sinks, {
      declaredName: target.declaredName,
      managedName: target.managedName,
      expiryDate: created.token.expiryDate,
      generation: target.generation,
      tokenId: created.token.tokenID,
    });
  } catch (e) {
    deps.log(`delivery of "${target.managedName}" failed; revoking the new token so no undelivered token stays live`);
    await revokeAll(deps, [created.token], 'its delivery failed');
    throw e;
  }
  const where = target.sinks.length === 0 ? 'no sink' : `${target.sinks.length} sink(s)`;
  deps.log(`created "${target.managedName}" (${created.token.tokenID}), expires ${created.token.expiryDate}, delivered to ${where}`);
  return { action: 'created', tokenId: created.token.tokenID, expiryDate: created.token.expiryDate };
}

async function createOnce(
  deps: LifecycleDeps,
  target: TokenTarget,
): Promise<{ token: PersonalAccessTokenCreationResponse; secret: string }> {
  const token = await deps.api.createToken({ name: target.managedName, expiryDate: target.expiryDate });
  if (typeof token.token !== 'string' || token.token.length === 0) {
    // Agility returns the secret once, at creation; a create without it leaves a token nobody can use.
    await revokeAll(deps, [token], 'the API returned no secret for it');
    throw new BadResponseError(`Agility created "${target.managedName}" but returned no secret; it was revoked. Deploy again.`, {
      method: 'POST',
      path: '/api/v1/tokens/create',
    });
  }
  return { token, secret: token.token };
}

/** True when a create may have happened server-side although we got no usable answer. */
export function isAmbiguous(e: unknown): boolean {
  if (!isAgilityPatError(e)) return false;
  if (e.code === 'NETWORK' || e.code === 'TIMEOUT' || e.code === 'BAD_RESPONSE') return true;
  const status = e.details.status;
  return hasErrorCode(e, 'API_ERROR') && typeof status === 'number' && (status >= 500 || status === 408);
}

function describe(e: unknown): string {
  return isAgilityPatError(e) ? e.code : 'unexpected error';
}
