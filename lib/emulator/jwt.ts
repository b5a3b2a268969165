import { createHash, createHmac, randomBytes, randomUUID } from 'node:crypto';

/**
 * JWT-shaped secrets for the emulator, made with node:crypto only.
 *
 * Agility describes a PAT as "the actual JWT token value" and its README example starts with an HS256
 * header (docs/design.md, "Facts"), so PAT secrets and OAuth access tokens here are
 * `base64url(header).base64url(payload).base64url(HMAC-SHA256)`. The emulator never verifies the
 * signature: it finds a secret by its SHA-256 hash, which is what lets a PAT survive a restart with a new
 * signing key.
 */

/** Which credential a secret is: the `kind` claim of every emulator JWT. */
export type SecretKind = 'pat' | 'oauth';

/** The claims the emulator puts in its JWTs. Times are whole seconds since the epoch (RFC 7519). */
export interface EmulatorJwtClaims {
  /** The user's numeric `userID`, as a string. */
  sub: string;
  /** The token's id: `tokenID` for a PAT, a random uuid for an access token. */
  jti: string;
  iat: number;
  exp: number;
  kind: SecretKind;
  iss: string;
}

const HEADER = { alg: 'HS256', typ: 'JWT' } as const;
const ISSUER = 'agility-management-api-emulator';

function b64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

/** Signs `claims` with HMAC-SHA256 under `key` and returns the compact JWT. */
export function signJwt(claims: EmulatorJwtClaims, key: Buffer): string {
  const signingInput = `${b64url(HEADER)}.${b64url(claims)}`;
  const signature = createHmac('sha256', key).update(signingInput).digest('base64url');
  return `${signingInput}.${signature}`;
}

/** Reads the claims of a compact JWT without checking its signature; undefined when it is not JWT-shaped. */
export function decodeJwtClaims(token: string): Partial<EmulatorJwtClaims> | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const claims: unknown = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    return typeof claims === 'object' && claims !== null && !Array.isArray(claims) ? (claims as Partial<EmulatorJwtClaims>) : undefined;
  } catch {
    return undefined;
  }
}

/** The SHA-256 of a secret, hex: the only form in which the emulator keeps secrets, in memory and on disk. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/**
 * Makes every secret one emulator issues, with one random signing key, and remembers each secret in memory
 * so tests can scan outputs for them ({@link SecretMinter.issued}).
 */
export interface SecretMinter {
  /** A PAT secret for token `tokenID` of user `userID`, expiring at `expiresAtMs`. */
  pat(userID: number, tokenID: string, issuedAtMs: number, expiresAtMs: number): string;
  /** An OAuth access token for user `userID`, expiring at `expiresAtMs`. */
  accessToken(userID: number, issuedAtMs: number, expiresAtMs: number): string;
  /** An opaque OAuth refresh token (random, not a JWT). */
  refreshToken(): string;
  /** Every secret made so far, oldest first. */
  issued(): string[];
}

/** A {@link SecretMinter} with a fresh random key (or `key`, for tests). */
export function createSecretMinter(key: Buffer = randomBytes(32)): SecretMinter {
  const issued: string[] = [];
  const remember = (secret: string): string => {
    issued.push(secret);
    return secret;
  };
  const seconds = (ms: number): number => Math.floor(ms / 1000);
  return {
    pat: (userID, tokenID, issuedAtMs, expiresAtMs) =>
      remember(
        signJwt({ sub: String(userID), jti: tokenID, iat: seconds(issuedAtMs), exp: seconds(expiresAtMs), kind: 'pat', iss: ISSUER }, key),
      ),
    accessToken: (userID, issuedAtMs, expiresAtMs) =>
      remember(
        signJwt(
          { sub: String(userID), jti: randomUUID(), iat: seconds(issuedAtMs), exp: seconds(expiresAtMs), kind: 'oauth', iss: ISSUER },
          key,
        ),
      ),
    refreshToken: () => remember(randomBytes(32).toString('base64url')),
    issued: () => [...issued],
  };
}
