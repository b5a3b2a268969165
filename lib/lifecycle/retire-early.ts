import type { PersonalAccessTokenResponse } from '../api/models';
import type { ManifestToken } from '../core/manifest';
import {
  consumerLastUseMs,
  isHealthy,
  managedNameState,
  type ListedTokenFacts,
  type ManagedNameState,
  type TokenUsageFacts,
} from '../core/token-state';
import { Duration } from '../core/duration';
import { revokeAll } from './find-tokens';
import type { LifecycleDeps } from './types';

/**
 * `rotation.retireEarly` (docs/design.md, "Usage-aware rotation and adoption"): the previous generation is revoked
 * before its period ends once consumers have moved to the current one. The rule is pure ({@link retireEarlyDue}); the
 * reconciler's step ({@link retireEarlyStep}) checks it on its listing, then again under the previous name's lock on
 * a fresh listing, and only then revokes.
 */

/** What {@link retireEarlyDue} decides, and why in plain words (logged by the reconciler). */
export interface RetireEarlyDecision {
  readonly due: boolean;
  readonly reason: string;
}

/** A listed token as the rule reads it. */
export type RetireEarlyFacts = ListedTokenFacts & TokenUsageFacts;

/**
 * The rule: retire the previous generation now when all hold
 * - the previous generation has a live, delivered token (else there is nothing to retire);
 * - the current generation is healthy: exactly one delivered token, nothing pending or disabled;
 * - the current token has a consumer use (a use later than `OWN_USE_WINDOW_MS` (`core/token-state`) after its creation);
 * - the previous generation's last consumer use (its creation when it has none; the latest over its delivered
 *   tokens) is at least `quietMs` before `nowMs`.
 */
export function retireEarlyDue(input: {
  readonly current: ManagedNameState<RetireEarlyFacts>;
  readonly previous: ManagedNameState<RetireEarlyFacts>;
  readonly quietMs: number;
  readonly nowMs: number;
}): RetireEarlyDecision {
  const { current, previous, quietMs, nowMs } = input;
  if (previous.delivered.length === 0) return { due: false, reason: 'the previous generation is not live' };
  if (!isHealthy(current))
    return { due: false, reason: 'the current generation is not healthy (missing, pending, disabled or duplicated)' };
  const currentUse = consumerLastUseMs(current.delivered[0]!);
  if (currentUse === null) return { due: false, reason: 'no consumer has used the current generation yet' };
  const previousQuietSince = Math.max(...previous.delivered.map((t) => consumerLastUseMs(t) ?? Date.parse(t.createdDate ?? '')));
  const quietForMs = nowMs - previousQuietSince;
  if (Number.isNaN(quietForMs)) return { due: false, reason: 'the API did not say when the previous generation was created' };
  if (quietForMs < quietMs) {
    return {
      due: false,
      reason: `the previous generation was used ${describeMs(quietForMs)} ago, less than the quiet time of ${describeMs(quietMs)}`,
    };
  }
  return {
    due: true,
    reason: `the current generation is in use (last used ${new Date(currentUse).toISOString()}) and the previous one has had no use for ${describeMs(quietForMs)} (quiet time ${describeMs(quietMs)})`,
  };
}

/**
 * The reconciler's step: for each declared token with `retireEarly` and a retained previous generation, decides on
 * the reconciler's listing, and when due takes the previous name's lock, lists again, decides again and revokes
 * every token of that generation. A retained slot whose token was retired early stays a no-op: the retain hook never
 * creates. Returns the managed names retired.
 */
export async function retireEarlyStep(
  deps: LifecycleDeps,
  tokens: readonly ManifestToken[],
  listed: readonly PersonalAccessTokenResponse[],
  nowMs: number,
): Promise<string[]> {
  const retired: string[] = [];
  for (const token of tokens) {
    const previous = token.live.find((l) => l.role === 'retain');
    const policy = token.retireEarly;
    if (policy === null || previous === undefined) continue;
    // One decision over one listing at one instant, the reconciler's and then a fresh one under the lock.
    const decide = (list: readonly PersonalAccessTokenResponse[], atMs: number) => {
      const prev = managedNameState(list, previous.managedName, atMs);
      const current = managedNameState(list, token.currentManagedName, atMs);
      return { prev, ...retireEarlyDue({ current, previous: prev, quietMs: policy.quietMs, nowMs: atMs }) };
    };
    if (!decide(listed, nowMs).due) continue;
    deps.checkpoint();
    const revoked = await deps.lock(previous.managedName, async () => {
      const { tokens: fresh } = await deps.api.listTokens();
      const again = decide(fresh, deps.clock());
      if (!again.due) {
        deps.log(`kept "${previous.managedName}" after all: ${again.reason}`);
        return false;
      }
      const { prev } = again;
      await revokeAll(deps, [...prev.delivered, ...prev.pending, ...prev.disabled], `retired early: ${again.reason}`);
      return true;
    });
    if (revoked) retired.push(previous.managedName);
  }
  return retired;
}

/** A span in words, to the minute ("12 hours 3 minutes"); a use stamped in the future reads as 0. */
function describeMs(ms: number): string {
  return Duration.millis(Math.max(0, ms - (ms % 60_000))).toHumanString();
}
