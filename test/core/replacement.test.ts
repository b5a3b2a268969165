import { formatManagedName, pendingNameOf } from '../../lib/core/managed-name';
import type { ManifestToken } from '../../lib/core/manifest';
import { findReplacedToken, replacementDue, replacementProblem } from '../../lib/core/replacement';
import type { ListedTokenFacts } from '../../lib/core/token-state';

const DAY = 86_400_000;
const T0 = Date.parse('2027-03-01T00:00:00Z');
const TAG = 'prod~abcdef';
const name = (g: number, tag = TAG) => formatManagedName({ declaredName: 'ci', stackTag: tag, generation: g });

type Listed = ListedTokenFacts & { createdDate: string };
let ids = 0;
function listed(tokenName: string, createdMs = T0, over: Partial<Listed> = {}): Listed {
  return {
    tokenID: `00000000-0000-4000-8000-${String(++ids).padStart(12, '0')}`,
    name: tokenName,
    enabled: true,
    isExpired: false,
    expiryDate: new Date(T0 + 365 * DAY).toISOString(),
    createdDate: new Date(createdMs).toISOString(),
    ...over,
  };
}

/** `ci` at generation 5 keeping 4, replacing `legacy` after 7 days. */
const token: ManifestToken = {
  declaredName: 'ci',
  constructPath: 'prod/ci',
  currentGeneration: 5,
  currentManagedName: name(5),
  expiryDate: null,
  nextRotation: null,
  live: [
    { managedName: name(5), generation: 5, role: 'ensure', expiryDate: null },
    { managedName: name(4), generation: 4, role: 'retain', expiryDate: null },
  ],
  sinks: [],
  verify: true,
  retireEarly: null,
  replaces: { ref: 'legacy', afterMs: 7 * DAY },
};

describe('findReplacedToken', () => {
  it('finds a token made by hand by exact name, or by id in any case', () => {
    const legacy = listed('legacy');
    const others = [listed('legacy '), listed('Legacy'), listed(name(5))];
    expect(findReplacedToken('legacy', [...others, legacy], T0)).toEqual({ kind: 'found', token: legacy });
    expect(findReplacedToken(legacy.tokenID.toUpperCase(), [...others, legacy], T0)).toEqual({ kind: 'found', token: legacy });
  });

  it('an id wins over a token whose name happens to be that id', () => {
    const byId = listed('something');
    const named = listed(byId.tokenID);
    expect(findReplacedToken(byId.tokenID, [named, byId], T0)).toEqual({ kind: 'found', token: byId });
  });

  it.each<[string, Listed[]]>([
    ['nothing listed', []],
    ['only an expired token of that name', [listed('legacy', T0, { isExpired: true })]],
    ['only a token whose expiry date has passed', [listed('legacy', T0, { expiryDate: new Date(T0 - 1).toISOString() })]],
  ])('is gone with %s', (_, tokens) => {
    expect(findReplacedToken('legacy', tokens, T0)).toEqual({ kind: 'gone' });
  });

  it('is ambiguous when several live tokens bear the name', () => {
    const a = listed('legacy');
    const b = listed('legacy', T0, { enabled: false });
    expect(findReplacedToken('legacy', [a, b], T0)).toEqual({ kind: 'ambiguous', tokens: [a, b] });
  });

  it.each([
    ["this stack's managed token", name(5)],
    ["another stack's managed token", name(5, 'other~123456')],
    ['a pending token', pendingNameOf(name(5))],
    ['a token with a malformed marker', 'ci [cdktf:broken]'],
  ])('never resolves to %s, even by its id', (_, tokenName) => {
    const marked = listed(tokenName);
    expect(findReplacedToken(marked.tokenID, [marked], T0)).toEqual({ kind: 'managed', token: marked });
    expect(findReplacedToken(tokenName, [marked], T0)).toEqual({ kind: 'managed', token: marked });
  });

  it('names the ids of an ambiguous reference and the marker of a managed one in its problem sentence', () => {
    const [a, b] = [listed('legacy'), listed('legacy')];
    expect(replacementProblem(token, { kind: 'ambiguous', tokens: [a, b] })).toMatch(
      new RegExp(`prod/ci: replaces "legacy" matches 2 tokens \\(ids ${a.tokenID}, ${b.tokenID}\\)`),
    );
    expect(replacementProblem(token, { kind: 'managed', token: listed(name(1, 'x~123456')) })).toMatch(/carries a stack's marker/);
  });
});

describe('replacementDue: one overlap after the first delivery, and only while the current generation is healthy', () => {
  const current = (createdMs: number, over: Partial<Listed> = {}) => listed(name(5), createdMs, over);

  it.each<[string, () => Listed[], number, boolean, number | null]>([
    ['the managed token is not delivered yet', () => [], T0 + 30 * DAY, false, null],
    ['only a pending token exists', () => [listed(pendingNameOf(name(5)))], T0 + 30 * DAY, false, null],
    ['1 ms before the overlap ends', () => [current(T0)], T0 + 7 * DAY - 1, false, T0 + 7 * DAY],
    ['exactly when the overlap ends', () => [current(T0)], T0 + 7 * DAY, true, T0 + 7 * DAY],
    ['after the overlap', () => [current(T0)], T0 + 8 * DAY, true, T0 + 7 * DAY],
    [
      'the previous generation was delivered first: it starts the clock',
      () => [listed(name(4), T0 - 5 * DAY), current(T0)],
      T0 + 2 * DAY,
      true,
      T0 + 2 * DAY,
    ],
    ['a disabled current token does not count as delivered', () => [current(T0, { enabled: false })], T0 + 8 * DAY, false, null],
    [
      'a pending token beside the current one: not healthy',
      () => [current(T0), listed(pendingNameOf(name(5)))],
      T0 + 8 * DAY,
      false,
      T0 + 7 * DAY,
    ],
    ['two current tokens: not healthy', () => [current(T0), current(T0 + DAY)], T0 + 9 * DAY, false, T0 + 7 * DAY],
    [
      "another stack's token of the same declared name does not count",
      () => [listed(name(5, 'x~123456'), T0 - 30 * DAY), current(T0)],
      T0 + 7 * DAY - 1,
      false,
      T0 + 7 * DAY,
    ],
  ])('%s', (_, tokens, nowMs, due, revokeAtMs) => {
    const timing = replacementDue(token, tokens(), nowMs);
    expect(timing.due).toBe(due);
    expect(timing.revokeAtMs).toBe(revokeAtMs);
  });

  it('with no overlap, it is due as soon as the current generation is delivered', () => {
    const atOnce = { ...token, replaces: { ref: 'legacy', afterMs: 0 } };
    expect(replacementDue(atOnce, [current(T0)], T0)).toEqual({ firstDeliveredMs: T0, revokeAtMs: T0, due: true });
  });
});
