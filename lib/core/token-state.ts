import { deliveredNameOf, parseManagedName, pendingNameOf } from './managed-name';
import { liveManagedNames, type StackManifest } from './manifest';

/**
 * What the lifecycle hooks, the reconciler and `status` conclude from the API's token list: one definition of a live
 * token and of the states a managed name can be in, so that they never disagree (docs/design.md, "Delivery record").
 * Pure: the list and the instant are inputs.
 */

/** The fields of a listed token that decide its state (`PersonalAccessTokenResponse` has them). */
export interface ListedTokenFacts {
  readonly tokenID: string;
  readonly name: string | null;
  readonly enabled: boolean;
  readonly isExpired: boolean;
  readonly expiryDate: string;
}

/**
 * The listed tokens a reference names, as `tokens revoke` and `replaces` read it: those whose id it is (in any case),
 * else those whose exact name it is.
 */
export function tokensMatchingRef<T extends Pick<ListedTokenFacts, 'tokenID' | 'name'>>(ref: string, listed: readonly T[]): T[] {
  const byId = listed.filter((t) => t.tokenID.toLowerCase() === ref.toLowerCase());
  return byId.length > 0 ? byId : listed.filter((t) => t.name === ref);
}

/** True when the token has passed its expiry: by Agility's flag, or by its date (the flag may lag). */
export function isExpiredToken(t: ListedTokenFacts, nowMs: number): boolean {
  return t.isExpired || Date.parse(t.expiryDate) <= nowMs;
}

/**
 * A live token authenticates: it is enabled and not expired. A disabled token is not live (its secret does not
 * work), but it still exists and can be revoked; an expired one is harmless and is left alone.
 */
export function isLiveToken(t: ListedTokenFacts, nowMs: number): boolean {
  return t.enabled && !isExpiredToken(t, nowMs);
}

/** The listed tokens that bear one managed name, sorted by what must happen to them. */
export interface ManagedNameState<T extends ListedTokenFacts> {
  /** Live, under the managed name: created, delivered to every sink, then renamed. Healthy when exactly one. */
  readonly delivered: readonly T[];
  /** Under the pending name, not expired: created and never delivered (or its delivery never recorded). Revocable. */
  readonly pending: readonly T[];
  /** Under the managed name, disabled and not expired: its secret does not work. Revocable. */
  readonly disabled: readonly T[];
}

/** Sorts the listed tokens of `managedName` (and its pending name) into {@link ManagedNameState}. */
export function managedNameState<T extends ListedTokenFacts>(
  listed: readonly T[],
  managedName: string,
  nowMs: number,
): ManagedNameState<T> {
  const pendingName = pendingNameOf(managedName);
  const notExpired = listed.filter((t) => !isExpiredToken(t, nowMs));
  return {
    delivered: notExpired.filter((t) => t.name === managedName && t.enabled),
    pending: notExpired.filter((t) => t.name === pendingName),
    disabled: notExpired.filter((t) => t.name === managedName && !t.enabled),
  };
}

/** True when the name has exactly one live, delivered token and nothing else to clean up. */
export function isHealthy(state: ManagedNameState<ListedTokenFacts>): boolean {
  return state.delivered.length === 1 && state.pending.length === 0 && state.disabled.length === 0;
}

/**
 * Tokens that carry this stack's marker but that the manifest does not keep: not expired, and not a name the manifest
 * keeps live (managed or pending), except a newer generation of a declared token. A generation newer than the
 * manifest's is never an orphan: another machine or a later synth deployed it, and this manifest is behind.
 */
export interface StackTokenClassification<T extends ListedTokenFacts> {
  readonly orphans: readonly T[];
  /** Declared name → the newest generation listed above the manifest's current one. */
  readonly newerGenerations: ReadonlyMap<string, number>;
}

/** Classifies the listed tokens bearing `manifest.stackTag` (see {@link StackTokenClassification}). */
export function classifyStackTokens<T extends ListedTokenFacts>(
  manifest: StackManifest,
  listed: readonly T[],
  nowMs: number,
): StackTokenClassification<T> {
  const kept = liveManagedNames(manifest);
  const current = new Map(manifest.tokens.map((t) => [t.declaredName, t.currentGeneration]));
  const orphans: T[] = [];
  const newerGenerations = new Map<string, number>();
  for (const t of listed) {
    if (t.name === null || isExpiredToken(t, nowMs)) continue;
    const parts = parseManagedName(t.name);
    if (!parts || parts.stackTag !== manifest.stackTag) continue;
    if (kept.has(deliveredNameOf(t.name))) continue;
    const currentGeneration = current.get(parts.declaredName);
    if (currentGeneration !== undefined && parts.generation > currentGeneration) {
      newerGenerations.set(parts.declaredName, Math.max(parts.generation, newerGenerations.get(parts.declaredName) ?? 0));
      continue;
    }
    orphans.push(t);
  }
  return { orphans, newerGenerations };
}

/** The fields of a listed token that tell when it was used. */
export interface TokenUsageFacts {
  /** Null when the API leaves it out: then no use counts as the deploy's own. */
  readonly createdDate: string | null;
  readonly lastUsedDate: string | null;
}

/**
 * A use within this long after a token's creation may be the deploy's own proof that the token works (`verify`:
 * `users/me` with the new secret, retried for up to 15 seconds), so it is not counted as a consumer's use
 * (docs/design.md, "Usage-aware rotation and adoption").
 */
export const OWN_USE_WINDOW_MS = 5 * 60_000;

/**
 * When a consumer last used the token, epoch ms; null when none has: never used, or used only within
 * {@link OWN_USE_WINDOW_MS} of its creation. Agility reports only the last use of a token, never the first.
 */
export function consumerLastUseMs(t: TokenUsageFacts): number | null {
  if (t.lastUsedDate === null) return null;
  const last = Date.parse(t.lastUsedDate);
  return last - Date.parse(t.createdDate ?? '') <= OWN_USE_WINDOW_MS ? null : last;
}

/** How far a created token's expiry may be from the one asked for: Agility may round it to its day. */
export const CREATED_EXPIRY_TOLERANCE_MS = 86_400_000;

/**
 * What is wrong with the expiry Agility returned for a token just created, or undefined when nothing is: it must be
 * in the future, and within a day of the expiry asked for (when one was; none asks for Agility's 2-year default).
 */
export function createdExpiryProblem(returned: string, asked: string | null, nowMs: number): string | undefined {
  const returnedMs = Date.parse(returned);
  if (!(returnedMs > nowMs)) return `an expiry already past (${returned})`;
  if (asked !== null && Math.abs(returnedMs - Date.parse(asked)) > CREATED_EXPIRY_TOLERANCE_MS) {
    return `the expiry ${returned}, more than a day from the ${asked} asked for`;
  }
  return undefined;
}
