import type { PersonalAccessTokenResponse } from '../api/models';
import { isExpiredToken } from '../core/token-state';

const DAY_MS = 86_400_000;

/** A listed token as `tokens list` and `status` show it. Never a secret: Agility returns one only at creation. */
export interface ListedTokenInfo {
  readonly tokenID: string;
  readonly name: string;
  readonly createdDate: string | null;
  readonly expiryDate: string;
  /** Whole days until expiry, rounded down; negative once expired. */
  readonly daysLeft: number;
  readonly lastUsedDate: string | null;
  readonly enabled: boolean;
  readonly expired: boolean;
}

/** A token of the list at the instant `nowMs`. */
export function describeListedToken(t: PersonalAccessTokenResponse, nowMs: number): ListedTokenInfo {
  return {
    tokenID: t.tokenID,
    name: t.name ?? '',
    createdDate: t.createdDate,
    expiryDate: t.expiryDate,
    daysLeft: daysUntil(t.expiryDate, nowMs),
    lastUsedDate: t.lastUsedDate,
    enabled: t.enabled,
    // The flag, or the date: a token past its expiry is expired even if the listing was cached a moment earlier.
    expired: isExpiredToken(t, nowMs),
  };
}

/** Whole days from `nowMs` until the ISO-8601 instant `iso`, rounded down. */
export function daysUntil(iso: string, nowMs: number): number {
  return Math.floor((Date.parse(iso) - nowMs) / DAY_MS);
}
