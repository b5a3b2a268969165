/**
 * Typed errors with stable codes (docs/design.md, "Errors"; after undici `lib/core/errors.js` and aws-cdk `core/lib/errors.ts`).
 *
 * Recognise them with {@link isAgilityPatError} or by `code`, never by bare `instanceof`: jest realms and
 * duplicate package copies break `instanceof`. Messages say what failed, the offending value (never a
 * secret), why, and what to do.
 */

/** Every stable error code, with the process exit code the `agility-pat` command maps it to. */
export const ERROR_CODES = {
  /** A bug: an error none of the other codes describes reached the top of the program. */
  INTERNAL: 1,
  /** A value the user gave breaks a rule (bad name, expiry, URL, flag). */
  INVALID_INPUT: 2,
  /** Configuration is missing or inconsistent (credential variable unset, manifest unreadable). */
  CONFIG: 3,
  /** 401: the credential is missing, wrong or expired. */
  AUTH_FAILED: 4,
  /** 403 on a `/tokens` route: the credential is a PAT, and only OAuth sessions may manage tokens. */
  PAT_NOT_ALLOWED: 5,
  /** 403 elsewhere: the credential lacks permission. */
  FORBIDDEN: 6,
  /** 404: the token (or other object) does not exist. */
  NOT_FOUND: 7,
  /** 429: 10 active tokens per user, or 5 creations per hour. */
  RATE_LIMITED: 8,
  /** Any other unexpected HTTP status. */
  API_ERROR: 9,
  /** The connection failed or dropped. */
  NETWORK: 10,
  /** The request took longer than its timeout. */
  TIMEOUT: 11,
  /** The API answered with a body that is not what its OpenAPI document says. */
  BAD_RESPONSE: 12,
  /** A secret could not be delivered to a sink. */
  SINK_FAILED: 13,
  /** Another process held a lock (of a managed name or a sink file) for longer than the bounded wait. */
  LOCK_TIMEOUT: 14,
  /** The operating system refused access (EACCES, EPERM): a file or folder's permissions, or a privileged port. */
  PERMISSION_DENIED: 15,
  /** A new token did not authenticate as its owner within the verification window; it was revoked, nothing delivered. */
  VERIFY_FAILED: 16,
  /**
   * Another writer (a deploy or `tokens rotate`, maybe on another machine) revoked this delivery's token before its
   * delivery was recorded: this writer lost; it took back what it could (docs/design.md, "Many machines, one writer").
   */
  SUPERSEDED: 17,
  /** A SIGINT or SIGTERM stopped the program at a safe point: nothing is half done, and a rerun carries on. */
  INTERRUPTED: 130,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

const BRAND = Symbol.for('agility-pat.error');

/** Base class: a stable `code`, a message in user terms, optional structured `details` (never secrets). */
export class AgilityPatError extends Error {
  readonly code: ErrorCode;
  readonly details: Readonly<Record<string, unknown>>;
  readonly [BRAND] = true;

  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AgilityPatError';
    this.code = code;
    this.details = details;
  }

  /** The process exit code the `agility-pat` command uses for this error. */
  get exitCode(): number {
    return ERROR_CODES[this.code];
  }
}

/** True for any error raised by this package, whatever copy or realm it came from. */
export function isAgilityPatError(e: unknown): e is AgilityPatError {
  return typeof e === 'object' && e !== null && (e as Record<symbol, unknown>)[BRAND] === true;
}

/** True when `e` is one of ours with the given code. */
export function hasErrorCode(e: unknown, code: ErrorCode): e is AgilityPatError {
  return isAgilityPatError(e) && e.code === code;
}

/**
 * A value the user gave breaks a rule. Core functions say which prop or value and why; the construct layer adds the
 * construct path once ({@link withConstructPath}), so the user reads `prod/CiDeploy: rotation.every must be …`.
 */
export class InvalidInputError extends AgilityPatError {
  /** The construct whose props broke the rule, also at the front of the message and in `details.constructPath`. */
  readonly constructPath: string | undefined;

  constructor(message: string, details: Record<string, unknown> = {}, options: { constructPath?: string; cause?: unknown } = {}) {
    const { constructPath, cause } = options;
    super(
      'INVALID_INPUT',
      constructPath === undefined ? message : `${constructPath}: ${message}`,
      constructPath === undefined ? details : { ...details, constructPath },
      cause === undefined ? undefined : { cause },
    );
    this.name = 'InvalidInputError';
    this.constructPath = constructPath;
  }
}

/**
 * The INVALID_INPUT error `e` as the construct at `constructPath` reports it: the same message after
 * `<constructPath>: `, the same details plus `constructPath`, and `e` as the cause. Anything else, and an error that
 * already names its construct, is returned as it is.
 */
export function withConstructPath(e: unknown, constructPath: string): unknown {
  if (!hasErrorCode(e, 'INVALID_INPUT') || e.details.constructPath !== undefined) return e;
  return new InvalidInputError(e.message, { ...e.details }, { constructPath, cause: e });
}

export class ConfigError extends AgilityPatError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('CONFIG', message, details);
    this.name = 'ConfigError';
  }
}

/** HTTP-level failures carry the method, the path (no query string, no host credentials) and the status. */
export interface HttpErrorDetails extends Record<string, unknown> {
  method: string;
  path: string;
  status?: number;
}

export class AuthFailedError extends AgilityPatError {
  constructor(message: string, details: HttpErrorDetails) {
    super('AUTH_FAILED', message, details);
    this.name = 'AuthFailedError';
  }
}

export class PatNotAllowedError extends AgilityPatError {
  constructor(message: string, details: HttpErrorDetails) {
    super('PAT_NOT_ALLOWED', message, details);
    this.name = 'PatNotAllowedError';
  }
}

export class ForbiddenError extends AgilityPatError {
  constructor(message: string, details: HttpErrorDetails) {
    super('FORBIDDEN', message, details);
    this.name = 'ForbiddenError';
  }
}

export class NotFoundError extends AgilityPatError {
  constructor(message: string, details: HttpErrorDetails) {
    super('NOT_FOUND', message, details);
    this.name = 'NotFoundError';
  }
}

/** Which Agility limit a 429 hit, as far as the response tells. */
export type RateLimitKind = 'active-tokens' | 'creations-per-hour' | 'unknown';

export class RateLimitedError extends AgilityPatError {
  readonly limit: RateLimitKind;
  /** Seconds the API asked us to wait (`Retry-After`), when it said. */
  readonly retryAfterSeconds: number | undefined;

  constructor(message: string, details: HttpErrorDetails & { limit: RateLimitKind; retryAfterSeconds?: number }) {
    super('RATE_LIMITED', message, details);
    this.name = 'RateLimitedError';
    this.limit = details.limit;
    this.retryAfterSeconds = details.retryAfterSeconds;
  }
}

export class ApiError extends AgilityPatError {
  constructor(message: string, details: HttpErrorDetails) {
    super('API_ERROR', message, details);
    this.name = 'ApiError';
  }
}

export class NetworkError extends AgilityPatError {
  constructor(message: string, details: HttpErrorDetails, options?: { cause?: unknown }) {
    super('NETWORK', message, details, options);
    this.name = 'NetworkError';
  }
}

export class TimeoutError extends AgilityPatError {
  constructor(message: string, details: HttpErrorDetails & { timeoutMs: number }) {
    super('TIMEOUT', message, details);
    this.name = 'TimeoutError';
  }
}

export class BadResponseError extends AgilityPatError {
  constructor(message: string, details: HttpErrorDetails) {
    super('BAD_RESPONSE', message, details);
    this.name = 'BadResponseError';
  }
}

export class SinkError extends AgilityPatError {
  constructor(message: string, details: { sink: string } & Record<string, unknown>, options?: { cause?: unknown }) {
    super('SINK_FAILED', message, details, options);
    this.name = 'SinkError';
  }
}

export class LockTimeoutError extends AgilityPatError {
  constructor(message: string, details: { lock: string } & Record<string, unknown>) {
    super('LOCK_TIMEOUT', message, details);
    this.name = 'LockTimeoutError';
  }
}

/** The operating system refused access (EACCES, EPERM); the cause is the system error. */
export class PermissionDeniedError extends AgilityPatError {
  constructor(message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super('PERMISSION_DENIED', message, details, options);
    this.name = 'PermissionDeniedError';
  }
}

/** A bug: an unexpected error (not one of ours) that reached the top of the program; the cause is that error. */
export class InternalError extends AgilityPatError {
  constructor(message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super('INTERNAL', message, details, options);
    this.name = 'InternalError';
  }
}

export class InterruptedError extends AgilityPatError {
  constructor(message: string, details: { signal: string } & Record<string, unknown>) {
    super('INTERRUPTED', message, details);
    this.name = 'InterruptedError';
  }
}

/** A freshly created token that does not authenticate as the user who created it (details: `tokenId`, `attempts`, `waitedMs`). */
export class VerifyFailedError extends AgilityPatError {
  constructor(message: string, details: Record<string, unknown>, options?: { cause?: unknown }) {
    super('VERIFY_FAILED', message, details, options);
    this.name = 'VerifyFailedError';
  }
}

/**
 * A writer that lost the race for its managed name (details: `managedName`, `tokenId`, `restored`, `unrestorable`,
 * `marked`): its token was revoked by another writer before its delivery was recorded.
 */
export class SupersededError extends AgilityPatError {
  constructor(message: string, details: { managedName: string; tokenId: string } & Record<string, unknown>, options?: { cause?: unknown }) {
    super('SUPERSEDED', message, details, options);
    this.name = 'SupersededError';
  }
}
