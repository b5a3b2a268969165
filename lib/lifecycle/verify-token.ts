import { setTimeout as sleepFor } from 'node:timers/promises';
import { type Clock, systemClock } from '../core/clock';
import { VerifyFailedError, isAgilityPatError } from '../core/errors';

/** What {@link verifyNewToken} needs: two `users/me` calls and time. */
export interface VerifyDeps {
  /** `GET /api/v1/users/me` with the new token as the bearer. */
  whoAmI(secret: string): Promise<{ userID: number }>;
  /** `GET /api/v1/users/me` with the OAuth credential that created the token. */
  expectedUser(): Promise<{ userID: number }>;
  /** Real elapsed time (never a simulated instant: a frozen clock would never reach the deadline). */
  clock: Clock;
  sleep: (ms: number) => Promise<void>;
}

/** How long and how often a new token is tried. */
export interface VerifyOptions {
  /** The token's managed name, for messages. */
  readonly managedName: string;
  /** The token's id, for messages and details. */
  readonly tokenId: string;
  /** Give up once this much time has passed since the first attempt. @default 15000 */
  readonly withinMs?: number;
  /** Wait before the first retry; each retry waits twice as long as the one before. @default 500 */
  readonly firstDelayMs?: number;
  /** Upper bound on one wait. @default 8000 */
  readonly maxDelayMs?: number;
  /** Upper bound on attempts, whatever the time. @default 8 */
  readonly maxAttempts?: number;
}

export const DEFAULT_VERIFY_WITHIN_MS = 15_000;

/**
 * Proves a freshly created token works before any sink sees it: `GET /api/v1/users/me` with the token must answer
 * the same `userID` as with the OAuth credential that created it. A new token may take a moment to be accepted
 * everywhere (propagation), so a refusal (401, 403), a network failure or a server error is retried with
 * exponential backoff (0.5 s, 1 s, 2 s, … at most `maxDelayMs`) until `withinMs` has passed. A token that
 * authenticates as someone else fails at once.
 *
 * The caller revokes the token when this throws; nothing is delivered (docs/design.md, "Secrets").
 *
 * @throws VerifyFailedError (`VERIFY_FAILED`) naming the token, the attempts and the last reason; never the secret.
 * @throws whatever `expectedUser` throws (the OAuth credential itself failing is not the new token's fault).
 */
export async function verifyNewToken(deps: VerifyDeps, secret: string, options: VerifyOptions): Promise<void> {
  const expected = (await deps.expectedUser()).userID;
  const withinMs = options.withinMs ?? DEFAULT_VERIFY_WITHIN_MS;
  const firstDelayMs = options.firstDelayMs ?? 500;
  const maxDelayMs = options.maxDelayMs ?? 8_000;
  const maxAttempts = options.maxAttempts ?? 8;
  const started = deps.clock();
  const details = { token: options.managedName, tokenId: options.tokenId };
  let lastReason = '';
  let lastError: unknown;
  for (let attempt = 1; ; attempt++) {
    try {
      const seen = (await deps.whoAmI(secret)).userID;
      if (seen === expected) return;
      throw new VerifyFailedError(
        `the new token "${options.managedName}" (${options.tokenId}) authenticates as user ${seen}, not as user ${expected} who created it; ` +
          'it was revoked and nothing was delivered. Check that the API URL and the credential belong to the same Agility account, then deploy again.',
        { ...details, attempts: attempt, expectedUserID: expected, userID: seen },
      );
    } catch (e) {
      if (e instanceof VerifyFailedError || !isAgilityPatError(e)) throw e;
      lastError = e;
      lastReason = typeof e.details.status === 'number' ? `${e.code}, HTTP ${e.details.status}` : e.code;
    }
    const waitedMs = deps.clock() - started;
    const delay = Math.min(maxDelayMs, firstDelayMs * 2 ** (attempt - 1));
    if (attempt >= maxAttempts || waitedMs + delay > withinMs) {
      throw new VerifyFailedError(
        `the new token "${options.managedName}" (${options.tokenId}) was not accepted by GET /api/v1/users/me after ${attempt} attempt(s) ` +
          `over ${Math.round(waitedMs / 100) / 10} s (last: ${lastReason}); it was revoked and nothing was delivered. ` +
          'Agility may be slow to activate new tokens: deploy again, or set verify: false on the token to skip this check.',
        { ...details, attempts: attempt, waitedMs, lastReason },
        { cause: lastError },
      );
    }
    await deps.sleep(delay);
  }
}

/** The real clock and a `setTimeout` sleep, for {@link VerifyDeps}. */
export const realTime: Pick<VerifyDeps, 'clock' | 'sleep'> = {
  clock: systemClock,
  sleep: (ms) => sleepFor(ms).then(() => undefined),
};
