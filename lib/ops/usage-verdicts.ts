import { Duration } from '../core/duration';
import { consumerLastUseMs, OWN_USE_WINDOW_MS } from '../core/token-state';
import { DEFAULT_RETIRE_QUIET } from '../core/usage-policy';
import type { ListedTokenInfo } from './listed-token';

/**
 * The verdicts of `status` read from each token's `lastUsedDate` (docs/design.md, "Usage-aware rotation and
 * adoption"). Only a consumer's use counts: a use within `OWN_USE_WINDOW_MS` of a token's creation may be the
 * deploy's own verify call. Pure; each is one rule of the verdict table (`ops/status-verdicts`).
 */

const DAY_MS = 86_400_000;

/** What the usage verdicts of one declared token read. */
export interface UsageFacts {
  /** The live, delivered token of the current generation, with its managed name; null when there is none. */
  readonly current: ListedTokenInfo | null;
  /** The live, delivered token of the previous generation kept for overlap; null when there is none. */
  readonly previous: ListedTokenInfo | null;
  /** `rotation.retireEarly.quietFor` in ms, or null (then {@link DEFAULT_RETIRE_QUIET} applies). */
  readonly retireEarlyQuietMs: number | null;
  readonly unusedDays: number;
  readonly nowMs: number;
}

/**
 * `stale-consumer`: the current token has a consumer use, and the previous one was used by a consumer more than the
 * quiet time Q after the current one was created: some consumer never picked up the new secret. Its note, or undefined.
 */
export function staleConsumerNote(f: UsageFacts): string | undefined {
  if (!f.current || !f.previous) return undefined;
  const currentUse = consumerLastUseMs(f.current);
  const previousUse = consumerLastUseMs(f.previous);
  if (currentUse === null || previousUse === null) return undefined;
  const quietMs = f.retireEarlyQuietMs ?? DEFAULT_RETIRE_QUIET.toMilliseconds();
  if (previousUse - Date.parse(f.current.createdDate) <= quietMs) return undefined;
  return (
    `the previous secret ("${f.previous.name}") was still used on ${f.previous.lastUsedDate}, more than ${Duration.millis(quietMs)} ` +
    `after the current one was created (${f.current.createdDate}) and while the current one is in use: some consumer never picked up ` +
    `the new secret. Find it (it reads one of this token's sinks) and make it read the sink again; the old secret stops working when ` +
    `its overlap ends.`
  );
}

/**
 * `never-used`: a delivered generation (current or previous) with no consumer use, created more than `unusedDays` ago.
 * Its note, or undefined.
 */
export function neverUsedNote(f: UsageFacts): string | undefined {
  const unusedMs = f.unusedDays * DAY_MS;
  const neverUsed = [f.current, f.previous].filter(
    (t): t is ListedTokenInfo => t !== null && consumerLastUseMs(t) === null && f.nowMs - Date.parse(t.createdDate) > unusedMs,
  );
  if (neverUsed.length === 0) return undefined;
  return (
    `${neverUsed.map((t) => `"${t.name}" (created ${t.createdDate})`).join(' and ')} ${neverUsed.length > 1 ? 'have' : 'has'} ` +
    `had no consumer use for more than ${f.unusedDays} days (a use within ${OWN_USE_WINDOW_MS / 60_000} minutes of creation is the ` +
    `deploy's own check): if nothing needs the token, remove it from the code; if something should, check that it reads the sink.`
  );
}

/** `unused`: the current token's last consumer use is more than `unusedDays` ago. Its note, or undefined. */
export function unusedNote(f: UsageFacts): string | undefined {
  const currentUse = f.current ? consumerLastUseMs(f.current) : null;
  if (!f.current || currentUse === null || f.nowMs - currentUse <= f.unusedDays * DAY_MS) return undefined;
  return `not used since ${f.current.lastUsedDate}: if nothing needs it, remove it from the code.`;
}
