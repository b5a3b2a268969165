/**
 * `retireEarlyDue`, the rule of `rotation.retireEarly` (docs/design.md, "Usage-aware rotation and adoption"): every
 * branch, and the boundary instants of the quiet time and of the own-use window.
 */
import { pendingNameOf } from '../../lib/core/managed-name';
import { OWN_USE_WINDOW_MS, managedNameState } from '../../lib/core/token-state';
import { retireEarlyDue, type RetireEarlyFacts } from '../../lib/lifecycle/retire-early';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const Q = 12 * HOUR;
/** The previous generation was created at P, the current one a week later at C. */
const P = Date.parse('2027-03-01T00:00:00Z');
const C = P + 7 * DAY;
const CUR = 'ci [cdktf:prod~abcdef/g2]';
const PREV = 'ci [cdktf:prod~abcdef/g1]';
const iso = (ms: number) => new Date(ms).toISOString();

let ids = 0;
function tok(name: string, createdMs: number, lastUsedMs: number | null, extra: Partial<RetireEarlyFacts> = {}): RetireEarlyFacts {
  return {
    tokenID: `t${++ids}`,
    name,
    enabled: true,
    isExpired: false,
    expiryDate: iso(createdMs + 30 * DAY),
    createdDate: iso(createdMs),
    lastUsedDate: lastUsedMs === null ? null : iso(lastUsedMs),
    ...extra,
  };
}

/** The decision over one listing at `nowMs`. */
function decide(listed: RetireEarlyFacts[], nowMs: number, quietMs = Q) {
  return retireEarlyDue({
    current: managedNameState(listed, CUR, nowMs),
    previous: managedNameState(listed, PREV, nowMs),
    quietMs,
    nowMs,
  });
}

/** A consumer used the current token 1 hour after its creation, and the previous one last at `prevUse`. */
const usual = (prevUse: number | null) => [tok(CUR, C, C + HOUR), tok(PREV, P, prevUse)];

describe('retireEarlyDue', () => {
  const lastOld = C + 2 * HOUR;
  it.each<[string, boolean, number]>([
    ['quiet time minus 1 ms after the last use of the previous generation', false, lastOld + Q - 1],
    ['exactly the quiet time after it', true, lastOld + Q],
    ['the quiet time plus 1 ms after it', true, lastOld + Q + 1],
  ])('%s: due %s', (_, due, nowMs) => {
    const d = decide(usual(lastOld), nowMs);
    expect(d.due).toBe(due);
    expect(d.reason).toMatch(due ? /no use for 12 hours.*quiet time 12 hours/ : /less than the quiet time of 12 hours/);
  });

  it('takes the quiet time from the token (a 1-day quiet time is not yet over after 12 hours)', () => {
    expect(decide(usual(lastOld), lastOld + Q, DAY).due).toBe(false);
    expect(decide(usual(lastOld), lastOld + DAY, DAY).due).toBe(true);
  });

  it('is not due while no consumer has used the current generation, however quiet the previous one is', () => {
    const d = decide([tok(CUR, C, null), tok(PREV, P, null)], C + 6 * DAY);
    expect(d).toEqual({ due: false, reason: 'no consumer has used the current generation yet' });
  });

  it.each<[string, boolean, number]>([
    ['exactly at the end of the own-use window (the deploy may have verified it)', false, C + OWN_USE_WINDOW_MS],
    ['1 ms after the own-use window (a consumer)', true, C + OWN_USE_WINDOW_MS + 1],
  ])('with a use of the current token %s: due %s', (_, due, use) => {
    const d = decide([tok(CUR, C, use), tok(PREV, P, null)], C + DAY);
    expect(d.due).toBe(due);
  });

  it.each<[string, RetireEarlyFacts[]]>([
    ['missing', []],
    ['only pending', [tok(pendingNameOf(CUR), C, C + HOUR)]],
    ['disabled', [tok(CUR, C, C + HOUR, { enabled: false })]],
    ['duplicated', [tok(CUR, C, C + HOUR), tok(CUR, C, C + HOUR)]],
    ['delivered, with a pending leftover beside it', [tok(CUR, C, C + HOUR), tok(pendingNameOf(CUR), C, null)]],
  ])('is not due when the current generation is %s', (_, current) => {
    const d = decide([...current, tok(PREV, P, null)], C + 6 * DAY);
    expect(d).toEqual({ due: false, reason: 'the current generation is not healthy (missing, pending, disabled or duplicated)' });
  });

  it('reads the creation of a previous generation no consumer used as its last use', () => {
    // Used only by its own verify, within the own-use window: not a consumer's use.
    expect(decide(usual(P + 60_000), P + Q - 1).due).toBe(false);
    expect(decide([tok(CUR, P, P + HOUR), tok(PREV, P, P + 60_000)], P + Q).due).toBe(true);
    expect(decide(usual(null), C + HOUR).due).toBe(true);
  });

  it('takes the latest use over several delivered tokens of the previous generation', () => {
    const listed = [tok(CUR, C, C + HOUR), tok(PREV, P, C - DAY), tok(PREV, P, C + 5 * HOUR)];
    expect(decide(listed, C + 5 * HOUR + Q - 1).due).toBe(false);
    expect(decide(listed, C + 5 * HOUR + Q).due).toBe(true);
  });

  it.each<[string, RetireEarlyFacts[]]>([
    ['revoked (not listed)', []],
    ['disabled', [tok(PREV, P, null, { enabled: false })]],
    ['expired', [tok(PREV, P, null, { isExpired: true })]],
    ['only pending', [tok(pendingNameOf(PREV), P, null)]],
  ])('is not due when the previous generation is %s (nothing live to retire)', (_, previous) => {
    const d = decide([tok(CUR, C, C + HOUR), ...previous], C + 6 * DAY);
    expect(d).toEqual({ due: false, reason: 'the previous generation is not live' });
  });
});
