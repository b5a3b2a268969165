import type { PersonalAccessTokenResponse } from '../api/models';
import { hasErrorCode } from '../core/errors';
import type { LifecycleDeps } from './types';

/** Every listed token whose name is exactly `managedName` (the API's list is the source of truth). */
export async function findByManagedName(deps: LifecycleDeps, managedName: string): Promise<PersonalAccessTokenResponse[]> {
  const { tokens } = await deps.api.listTokens();
  return tokens.filter((t) => t.name === managedName);
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
