import { carriesStackMarker } from './managed-name';
import type { ManifestToken } from './manifest';
import { isExpiredToken, isHealthy, managedNameState, tokensMatchingRef, type ListedTokenFacts } from './token-state';

/**
 * The rules of `replaces`: a managed token takes over a token made by hand (docs/design.md, "Usage-aware rotation and
 * adoption"). Pure; `status` and the reconciler's step (`lib/lifecycle/replace-hand-made.ts`) share them.
 */

/** What a `replaces` reference resolves to among the listed tokens that have not expired. */
export type ReplacedTokenMatch<T extends ListedTokenFacts> =
  /** No token has that id or name: already revoked (or expired, or never existed). Nothing to do. */
  | { readonly kind: 'gone' }
  /** Exactly one token made by hand. */
  | { readonly kind: 'found'; readonly token: T }
  /** Several tokens bear that name: which one is meant cannot be known. Nothing is revoked. */
  | { readonly kind: 'ambiguous'; readonly tokens: readonly T[] }
  /** The reference resolves to a token carrying a stack's marker: never touched. */
  | { readonly kind: 'managed'; readonly token: T };

/**
 * Resolves a `replaces` reference: a token id (any case) first, else an exact name, among tokens that have not expired
 * (an expired token authenticates nothing and counts toward no limit, so it is as good as gone).
 */
export function findReplacedToken<T extends ListedTokenFacts>(ref: string, listed: readonly T[], nowMs: number): ReplacedTokenMatch<T> {
  const matches = tokensMatchingRef(
    ref,
    listed.filter((t) => !isExpiredToken(t, nowMs)),
  );
  if (matches.length === 0) return { kind: 'gone' };
  const managed = matches.find((t) => t.name !== null && carriesStackMarker(t.name));
  if (managed) return { kind: 'managed', token: managed };
  if (matches.length > 1) return { kind: 'ambiguous', tokens: matches };
  return { kind: 'found', token: matches[0]! };
}

/** When the hand-made token replaced by `token` is to be revoked. */
export interface ReplacementTiming {
  /**
   * The earliest creation among the live, delivered tokens of the declared name (any generation the stack keeps),
   * epoch ms; null when none is delivered yet.
   */
  readonly firstDeliveredMs: number | null;
  /** `firstDeliveredMs + afterMs`; null until the managed token is delivered. */
  readonly revokeAtMs: number | null;
  /** True when the current generation is healthy and `revokeAtMs` has come. */
  readonly due: boolean;
}

/**
 * The replacement rule: the hand-made token is revoked once the current generation of `token` is healthy (exactly one
 * live, delivered token, nothing pending) and `now >= firstDelivered + replaces.afterMs`. Creation stands for delivery
 * (the two are seconds apart, and the server records only creation); the earliest live generation can only move
 * later, so the hand-made token is never revoked before its overlap.
 */
export function replacementDue(
  token: ManifestToken,
  listed: readonly (ListedTokenFacts & { readonly createdDate: string | null })[],
  nowMs: number,
): ReplacementTiming {
  const afterMs = token.replaces?.afterMs ?? 0;
  const created = token.live
    .flatMap((l) => managedNameState(listed, l.managedName, nowMs).delivered.map((t) => Date.parse(t.createdDate ?? '')))
    // A token listed without its creation date cannot start the clock.
    .filter(Number.isFinite);
  const firstDeliveredMs = created.length === 0 ? null : Math.min(...created);
  const revokeAtMs = firstDeliveredMs === null ? null : firstDeliveredMs + afterMs;
  const healthy = isHealthy(managedNameState(listed, token.currentManagedName, nowMs));
  return { firstDeliveredMs, revokeAtMs, due: healthy && revokeAtMs !== null && nowMs >= revokeAtMs };
}

/** A `replaces` reference that cannot be acted on: several tokens, or a token carrying a stack's marker. */
export type ReplacementProblemMatch<T extends ListedTokenFacts> = Extract<ReplacedTokenMatch<T>, { kind: 'ambiguous' | 'managed' }>;

/** Why a `replaces` reference cannot be acted on, and what to do: one sentence for the error and for `status`. */
export function replacementProblem(
  token: Pick<ManifestToken, 'constructPath' | 'replaces'>,
  match: ReplacementProblemMatch<ListedTokenFacts>,
): string {
  const ref = JSON.stringify(token.replaces?.ref);
  if (match.kind === 'managed') {
    return `${token.constructPath}: replaces ${ref} resolves to "${match.token.name}" (${match.token.tokenID}), which carries a stack's marker: a managed token is never replaced. Point replaces at the token made by hand.`;
  }
  return `${token.constructPath}: replaces ${ref} matches ${match.tokens.length} tokens (ids ${match.tokens.map((t) => t.tokenID).join(', ')}): set replaces to the id of the one to take over.`;
}
