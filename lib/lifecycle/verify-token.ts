import { setTimeout as sleepFor } from 'node:timers/promises';
import { type Clock, systemClock } from '../core/clock';
import { type AgilityPatError, VerifyFailedError, hasErrorCode, isAgilityPatError } from '../core/errors';

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
  /** Keep trying until this much time has passed since the first attempt. @default 15000 */
  readonly withinMs?: number;
  /** Wait before the first retry; each retry waits twice as long as the one before. @default 500 */
  readonly firstDelayMs?: number;
  /** Upper bound on one wait. @default 4000 */
  readonly maxDelayMs?: number;
  /** Upper bound on attempts, whatever the time. @default 12 */
  readonly maxAttempts?: number;
}

export const DEFAULT_VERIFY_WITHIN_MS = 15_000;

/** The refusals that mean "not active yet": 401, or 403 from the API (a PAT refused on this route for now). */
const NOT_ACTIVE_YET = new Set(['AUTH_FAILED', 'FORBIDDEN', 'PAT_NOT_ALLOWED']);

/**
 * Proves a freshly created token works before any sink sees it: `GET /api/v1/users/me` with the token must answer
 * the same `userID` as with the OAuth credential that created it.
 *
 * A new token may take a moment to be accepted (propagation), so a refusal (HTTP 401 or 403) is retried with
 * exponential backoff (0.5 s, 1 s, 2 s, then every `maxDelayMs`) until `withinMs` (15 s) has passed since the first
 * attempt; the last wait is shortened so that one more attempt is made at the deadline. Anything else fails at once
 * with its own cause: a token that authenticates as someone else, a network failure or timeout, a server error the
 * client's own retries did not get past, an answer without a user, or a secret the client refuses to send (one with
 * spaces or line breaks).
 *
 * The caller revokes the token when this throws; nothing is delivered (docs/design.md, "Secrets").
 *
 * @throws VerifyFailedError (`VERIFY_FAILED`) naming the token, the attempts and the reason; never the secret.
 * @throws whatever `expectedUser` throws (the OAuth credential itself failing is not the new token's fault).
 */
export async function verifyNewToken(deps: VerifyDeps, secret: string, options: VerifyOptions): Promise<void> {
  const expected = (await deps.expectedUser()).userID;
  const withinMs = options.withinMs ?? DEFAULT_VERIFY_WITHIN_MS;
  const firstDelayMs = options.firstDelayMs ?? 500;
  const maxDelayMs = options.maxDelayMs ?? 4_000;
  const maxAttempts = options.maxAttempts ?? 12;
  const started = deps.clock();
  const details = { token: options.managedName, tokenId: options.tokenId };
  const named = `the new token "${options.managedName}" (${options.tokenId})`;
  const elapsed = (ms: number): string => `${Math.round(ms / 100) / 10} s`;
  for (let attempt = 1; ; attempt++) {
    let refusal: unknown;
    try {
      const seen = (await deps.whoAmI(secret)).userID;
      if (seen === expected) return;
      throw new VerifyFailedError(
        `${named} authenticates as user ${seen}, not as user ${expected} who created it; ` +
          'it was revoked and nothing was delivered. Check that the API URL and the credential belong to the same Agility account, then deploy again.',
        { ...details, attempts: attempt, expectedUserID: expected, userID: seen },
      );
    } catch (e) {
      if (e instanceof VerifyFailedError || hasErrorCode(e, 'INTERRUPTED')) throw e;
      if (!isAgilityPatError(e) || !NOT_ACTIVE_YET.has(e.code)) {
        const cause = isAgilityPatError(e) ? `${e.code}: ${e.message}` : 'an unexpected error';
        throw new VerifyFailedError(
          `${named} could not be checked with GET /api/v1/users/me (${cause}); it was revoked and nothing was delivered. ` +
            'Fix what the cause says, then deploy again.',
          { ...details, attempts: attempt, waitedMs: deps.clock() - started, reason: isAgilityPatError(e) ? e.code : 'unexpected' },
          { cause: e },
        );
      }
      refusal = e;
    }
    const waitedMs = deps.clock() - started;
    const left = withinMs - waitedMs;
    if (attempt >= maxAttempts || left <= 0) {
      const e = refusal as AgilityPatError;
      const lastReason = typeof e.details.status === 'number' ? `${e.code}, HTTP ${e.details.status}` : e.code;
      throw new VerifyFailedError(
        `${named} was not accepted by GET /api/v1/users/me after ${attempt} attempt(s) over ${elapsed(waitedMs)} ` +
          `(last: ${lastReason}); it was revoked and nothing was delivered. ` +
          'Agility may be slow to activate new tokens: deploy again, or set verify: false on the token to skip this check.',
        { ...details, attempts: attempt, waitedMs, lastReason },
        { cause: refusal },
      );
    }
    // The last wait is shortened to end at the deadline, where one more attempt is made.
    await deps.sleep(Math.min(maxDelayMs, firstDelayMs * 2 ** (attempt - 1), left));
  }
}

/** The real clock and a `setTimeout` sleep, for {@link VerifyDeps}. */
export const realTime: Pick<VerifyDeps, 'clock' | 'sleep'> = {
  clock: systemClock,
  sleep: (ms) => sleepFor(ms).then(() => undefined),
};
