import type { PersonalAccessTokenResponse } from '../api/models';
import { hasErrorCode } from '../core/errors';
import { managedNameState, type ManagedNameState } from '../core/token-state';
import type { LifecycleDeps } from './types';

/** Lists the user's tokens and sorts those of one managed name (the API's list is the source of truth). */
export async function listManagedName(deps: LifecycleDeps, managedName: string): Promise<ManagedNameState<PersonalAccessTokenResponse>> {
  const { tokens } = await deps.api.listTokens();
  return managedNameState(tokens, managedName, deps.clock());
}

/**
 * Revokes each token; one that is already gone (404) counts as revoked. Returns how many were revoked here.
 * Revoked tokens cannot be restored (Agility soft-deletes them), so this is final.
 */
export async function revokeAll(deps: LifecycleDeps, tokens: readonly PersonalAccessTokenResponse[], why: string): Promise<number> {
  let revoked = 0;
  for (const t of tokens) {
    try {
      await deps.api.revokeToken(t.tokenID);
      revoked++;
      deps.log(`revoked "${t.name}" (${t.tokenID}): ${why}`);
    } catch (e) {
      if (!hasErrorCode(e, 'NOT_FOUND')) throw e;
      deps.log(`"${t.name}" (${t.tokenID}) was already revoked`);
    }
  }
  return revoked;
}
