import { InvalidInputError } from '../core/errors';

/**
 * How the client retries idempotent requests (GET and DELETE; never a POST such as `tokens/create`).
 * The policy follows the .NET 2.x Management SDK, and also retries DELETE (docs/design.md, "Retry policy").
 */
export interface RetryOptions {
  /** Retries after the first attempt; 0 disables retrying. @default 3 */
  maxRetries?: number;
  /** Backoff base in milliseconds: retry n (0-based) waits up to `baseDelayMs·2^n`. @default 500 */
  baseDelayMs?: number;
  /** Upper bound in milliseconds on any wait, including one asked for by `Retry-After`. @default 30000 */
  maxDelayMs?: number;
}

/** {@link RetryOptions} with every default filled in. */
export type ResolvedRetryOptions = Required<RetryOptions>;

export const DEFAULT_RETRY: Readonly<ResolvedRetryOptions> = Object.freeze({ maxRetries: 3, baseDelayMs: 500, maxDelayMs: 30_000 });

/** Statuses worth another try: request timeout, too many requests, and transient server or gateway failures. */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([408, 429, 500, 502, 503, 504]);

/** Fills in defaults and checks the values are whole, non-negative numbers. */
export function resolveRetryOptions(retry: RetryOptions = {}): ResolvedRetryOptions {
  const out = { ...DEFAULT_RETRY, ...stripUndefined(retry) };
  for (const key of ['maxRetries', 'baseDelayMs', 'maxDelayMs'] as const) {
    const v = out[key];
    if (!Number.isInteger(v) || v < 0) {
      throw new InvalidInputError(`retry.${key} must be a whole number of at least 0, got ${String(v)}.`, { prop: `retry.${key}` });
    }
  }
  return out;
}

function stripUndefined(o: RetryOptions): RetryOptions {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

/**
 * The wait before retry number `attempt` (0 for the first retry): "full jitter", a uniform draw from
 * `[0, min(maxDelayMs, baseDelayMs·2^attempt))`, so clients that failed together do not retry together.
 * @param random a source in [0, 1), like `Math.random`.
 */
export function backoffDelayMs(attempt: number, retry: ResolvedRetryOptions, random: () => number): number {
  const ceiling = Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** attempt);
  const r = Math.min(Math.max(random(), 0), 1);
  return Math.floor(r * ceiling);
}

/**
 * Reads a `Retry-After` header (RFC 9110 section 10.2.3): whole seconds, or an HTTP date, which is measured from
 * `nowMs` (the response's own `Date` header when the caller has it). Returns whole seconds (0 for a past date),
 * or `undefined` when the header is absent or unreadable.
 */
export function parseRetryAfter(value: string | string[] | undefined, nowMs: number): number | undefined {
  const v = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!v) return undefined;
  if (/^\d+$/.test(v)) return Number(v);
  // HTTP dates start with a day name; without this check Date.parse would also accept things like "3.5".
  if (!/^[A-Za-z]{3}/.test(v)) return undefined;
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, Math.ceil((at - nowMs) / 1000));
}
