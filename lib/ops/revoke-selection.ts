import { InvalidInputError, NotFoundError } from '../core/errors';
import { parseManagedName } from '../core/managed-name';
import { tokensMatchingRef } from '../core/token-state';
import type { PersonalAccessTokenResponse } from '../api/models';

/** Which stacks' tokens `tokens revoke` may touch. */
export type StackScope =
  /** Only tokens no stack manages. */
  | { readonly kind: 'none' }
  /** Tokens of this stack tag, and tokens no stack manages. */
  | { readonly kind: 'stack'; readonly stackTag: string }
  /** Any token. */
  | { readonly kind: 'any' };

/** A token chosen for revocation. */
export interface RevokeTarget {
  readonly tokenID: string;
  readonly name: string;
  /** The stack tag in its marker, or null. */
  readonly managedBy: string | null;
}

/**
 * Resolves each reference (a token id, or an exact token name such as a managed name) against the listed tokens,
 * and checks the stack scope. All or nothing: nothing is chosen unless every reference resolves and is allowed.
 *
 * @throws NotFoundError for a reference that matches no listed token.
 * @throws InvalidInputError for a name shared by several tokens, or a token managed by a stack outside `scope`.
 */
export function selectTokensToRevoke(
  refs: readonly string[],
  listed: readonly PersonalAccessTokenResponse[],
  scope: StackScope,
): RevokeTarget[] {
  const chosen = new Map<string, RevokeTarget>();
  for (const ref of refs) {
    const matches = tokensMatchingRef(ref, listed);
    if (matches.length === 0) {
      throw new NotFoundError(
        `no token with the id or name ${JSON.stringify(ref)} is listed for this user (already revoked, or a typo): nothing was revoked. Run agility-pat tokens list.`,
        { method: 'GET', path: '/api/v1/tokens/list' },
      );
    }
    if (matches.length > 1) {
      throw new InvalidInputError(
        `${matches.length} tokens are named ${JSON.stringify(ref)} (ids ${matches.map((t) => t.tokenID).join(', ')}): nothing was revoked. Pass the token id instead.`,
        { prop: 'token', value: ref },
      );
    }
    const t = matches[0];
    const managedBy = parseManagedName(t.name ?? '')?.stackTag ?? null;
    if (managedBy !== null && scope.kind !== 'any' && !(scope.kind === 'stack' && scope.stackTag === managedBy)) {
      throw new InvalidInputError(
        `"${t.name}" is managed by the stack ${managedBy}` +
          (scope.kind === 'stack' ? `, not by --stack-tag ${scope.stackTag}` : '') +
          `: nothing was revoked. Revoking it outside Terraform makes that stack recreate it on its next deploy; ` +
          `if you mean it, pass --stack-tag ${managedBy} or --any-stack.`,
        { prop: 'token', value: t.name, managedBy },
      );
    }
    chosen.set(t.tokenID, { tokenID: t.tokenID, name: t.name ?? '', managedBy });
  }
  return [...chosen.values()];
}
