/**
 * Agility Management API rules for Personal Access Tokens (docs/design.md, "Facts";
 * from the API's OpenAPI document `PersonalAccessTokenRequest` and the agility-cli README).
 */

/** `PersonalAccessTokenRequest.name`: minLength 1. */
export const TOKEN_NAME_MIN_LENGTH = 1;
/** `PersonalAccessTokenRequest.name`: maxLength 100. */
export const TOKEN_NAME_MAX_LENGTH = 100;
/** Active tokens one user may hold; the 11th creation gets 429. */
export const MAX_ACTIVE_TOKENS_PER_USER = 10;
/** Token creations one user may make in an hour; the 6th gets 429. */
export const MAX_CREATIONS_PER_HOUR = 5;
/** `expiryDate` defaults to, and may not exceed, this many years after creation. */
export const MAX_TOKEN_LIFETIME_YEARS = 2;

/** The latest expiry Agility accepts for a token created at `createdAtMs`: two calendar years later, UTC. */
export function maxExpiryFor(createdAtMs: number): number {
  const d = new Date(createdAtMs);
  d.setUTCFullYear(d.getUTCFullYear() + MAX_TOKEN_LIFETIME_YEARS);
  return d.getTime();
}
