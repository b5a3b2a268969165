import { Duration } from '../../lib/core/duration';
import { hasErrorCode } from '../../lib/core/errors';
import { resolveTokenSpec, validateStackTokens, type TokenSpecInput } from '../../lib/core/token-spec';
import { validateReplaces, validateRetireEarly } from '../../lib/core/usage-policy';
import type { RotationPolicy } from '../../lib/core/rotation';
import { errorOf } from '../helpers/error-of';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const NOW = Date.parse('2030-06-15T12:00:00Z');
const TAG = 'prod~3fa9c1';
const weekly: RotationPolicy = { everyMs: 7 * DAY, lifetimeMs: 15 * DAY, anchorMs: 0, overlap: true };
const weeklyNoOverlap: RotationPolicy = { ...weekly, overlap: false, lifetimeMs: 8 * DAY };

describe('validateRetireEarly', () => {
  it.each([
    ['absent', undefined, null],
    ['false', false, null],
    ['true: one day', true, { quietMs: DAY }],
    ['quietFor 6 hours', { quietFor: Duration.hours(6) }, { quietMs: 6 * HOUR }],
    ['quietFor 1 hour (the minimum)', { quietFor: Duration.hours(1) }, { quietMs: HOUR }],
  ])('%s', (_, given, expected) => {
    expect(validateRetireEarly(given as never, weekly)).toEqual(expected);
  });

  it.each([
    ['a string', 'yes', /must be true, false or \{ quietFor/],
    ['quietFor not a Duration', { quietFor: '1d' }, /must be true, false or \{ quietFor/],
    ['quietFor under an hour', { quietFor: Duration.minutes(59) }, /quietFor must be at least 1 hour/],
    ['quietFor as long as the period', { quietFor: Duration.days(7) }, /shorter than rotation.every \(7 days\)/],
  ])('refuses %s, naming the prop', (_, given, message) => {
    const e = errorOf(() => validateRetireEarly(given as never, weekly));
    expect(hasErrorCode(e, 'INVALID_INPUT')).toBe(true);
    expect((e as Error).message).toMatch(message);
    expect((e as Error).message).toMatch(/rotation\.retireEarly/);
  });

  it.each([
    ['without overlap', weeklyNoOverlap],
    ['without rotation', null],
  ])('refuses retireEarly %s: there is no previous generation to retire', (_, policy) => {
    expect((errorOf(() => validateRetireEarly(true, policy)) as Error).message).toMatch(/needs rotation with overlap/);
  });
});

describe('validateReplaces', () => {
  it.each([
    ['a name, rotating with overlap: one period', 'ci token (made by hand)', weekly, { ref: 'ci token (made by hand)', afterMs: 7 * DAY }],
    ['a name, rotating without overlap: at once', 'old', weeklyNoOverlap, { ref: 'old', afterMs: 0 }],
    ['a name, not rotating: 7 days', 'old', null, { ref: 'old', afterMs: 7 * DAY }],
    ['an explicit overlap', { token: 'old', overlap: Duration.days(2) }, weekly, { ref: 'old', afterMs: 2 * DAY }],
    ['overlap: false', { token: 'old', overlap: false }, weekly, { ref: 'old', afterMs: 0 }],
    ['a token id', '6f1c2d3e-0000-4000-8000-000000000001', null, { ref: '6f1c2d3e-0000-4000-8000-000000000001', afterMs: 7 * DAY }],
  ])('%s', (_, given, policy, expected) => {
    expect(validateReplaces(given as never, policy)).toEqual(expected);
  });

  it.each([
    ['an empty name', '', /replaces must be the exact name/],
    ['surrounding spaces', ' old ', /replaces must be the exact name/],
    ['a control character', 'old\nname', /replaces must be the exact name/],
    ['more than 100 characters', 'x'.repeat(101), /1–100 characters/],
    ['a managed name of any stack', 'ci [cdktf:other~abcdef/g3]', /carries a stack's "\[cdktf:…\]" marker/],
    ['a pending managed name', 'ci [cdktf:other~abcdef/g3/pending]', /carries a stack's/],
    ['a malformed marker', 'ci [cdktf: whatever]', /carries a stack's/],
    ['a number', 42, /replaces must be the exact name or id/],
    ['overlap not a Duration', { token: 'old', overlap: 7 }, /replaces.overlap must be a Duration/],
    ['a long form without token', { overlap: false }, /replaces must be the exact name or id/],
  ])('refuses %s', (_, given, message) => {
    const e = errorOf(() => validateReplaces(given as never, weekly));
    expect(hasErrorCode(e, 'INVALID_INPUT')).toBe(true);
    expect((e as Error).message).toMatch(message);
  });
});

describe('resolveTokenSpec and validateStackTokens carry the usage props', () => {
  const input = (over: Partial<TokenSpecInput>): TokenSpecInput => ({
    declaredName: 'ci',
    stackTag: TAG,
    sinks: [{ kind: 'file', path: 'ci.token' }],
    constructPath: 'prod/ci',
    ...over,
  });

  it('defaults: verify on, retireEarly off, replaces none', () => {
    const { spec } = resolveTokenSpec(input({ rotation: { every: Duration.days(7) } }), NOW);
    expect([spec.verify, spec.retireEarly, spec.replaces]).toEqual([true, null, null]);
  });

  it('resolves them with the rotation they depend on', () => {
    const { spec } = resolveTokenSpec(
      input({ rotation: { every: Duration.days(7), retireEarly: { quietFor: Duration.hours(12) } }, replaces: 'legacy', verify: false }),
      NOW,
    );
    expect([spec.verify, spec.retireEarly, spec.replaces]).toEqual([false, { quietMs: 12 * HOUR }, { ref: 'legacy', afterMs: 7 * DAY }]);
  });

  it('refuses a verify that is not a boolean', () => {
    expect((errorOf(() => resolveTokenSpec(input({ verify: 'no' as never }), NOW)) as Error).message).toMatch(
      /verify must be true or false/,
    );
  });

  it('refuses two tokens of a stack replacing one hand-made token, naming the first', () => {
    const a = resolveTokenSpec(input({ replaces: 'legacy' }), NOW).spec;
    const b = resolveTokenSpec(input({ declaredName: 'web', constructPath: 'prod/web', replaces: { token: 'legacy' } }), NOW).spec;
    expect((errorOf(() => validateStackTokens([a, b])) as Error).message).toMatch(/prod\/ci already replaces "legacy"/);
  });
});
