import { Duration } from '../../lib/core/duration';
import { hasErrorCode } from '../../lib/core/errors';
import { maxExpiryFor } from '../../lib/core/limits';
import {
  MAX_LIFETIME,
  MIN_ROTATION_PERIOD,
  ROTATION_GRACE,
  RotationPolicy,
  currentGeneration,
  defaultAnchorMs,
  defaultLifetimeMs,
  generationExpiryMs,
  generationStartMs,
  minimumLifetimeMs,
  nextRotationMs,
  slotGenerations,
  slotRole,
  validateRotation,
} from '../../lib/core/rotation';
import { errorOf } from '../helpers/error-of';

const D = 86_400_000;
const at = (iso: string): number => Date.parse(iso);
const iso = (ms: number): string => new Date(ms).toISOString();

// A leap day anchor: 30-day periods, 90-day lifetime.
const LEAP_ANCHOR = at('2028-02-29T00:00:00Z');
const P30: RotationPolicy = { everyMs: 30 * D, lifetimeMs: 90 * D, anchorMs: LEAP_ANCHOR, overlap: true };

describe('constants', () => {
  it('match docs/design.md ("Generations and slots"): rotation at least daily, 1 day of grace, lifetime at most 730 days', () => {
    expect(MIN_ROTATION_PERIOD.toMilliseconds()).toBe(D);
    expect(ROTATION_GRACE.toMilliseconds()).toBe(D);
    expect(MAX_LIFETIME.toMilliseconds()).toBe(730 * D);
  });
});

describe('currentGeneration', () => {
  it.each<[string, number]>([
    ['2028-02-29T00:00:00.000Z', 0],
    ['2028-02-28T23:59:59.999Z', -1],
    ['2020-01-01T00:00:00.000Z', -1],
    ['2028-03-29T23:59:59.999Z', 0],
    ['2028-03-30T00:00:00.000Z', 1],
    ['2029-02-22T23:59:59.999Z', 11],
    ['2029-02-23T00:00:00.000Z', 12],
    ['2029-02-23T00:00:00.001Z', 12],
  ])('at %s is %d (period boundaries are exact across the leap day)', (now, g) => {
    expect(currentGeneration(at(now), P30)).toBe(g);
  });

  it('is k exactly at anchor + k·P and k − 1 one millisecond before, for large k', () => {
    const p: RotationPolicy = { everyMs: D, lifetimeMs: 3 * D, anchorMs: 814_860_000, overlap: true };
    for (const k of [1, 2931, 20_000, 21_000, 1_000_000]) {
      const boundary = p.anchorMs + k * p.everyMs;
      expect(currentGeneration(boundary, p)).toBe(k);
      expect(currentGeneration(boundary - 1, p)).toBe(k - 1);
    }
  });

  it('jumps several generations when several periods went by', () => {
    expect(currentGeneration(LEAP_ANCHOR + 10 * 30 * D + 5, P30)).toBe(10);
    expect(currentGeneration(LEAP_ANCHOR + 15 * 30 * D + 5, P30)).toBe(15);
  });

  it('counts days of exactly 24 hours over a leap day', () => {
    const daily: RotationPolicy = { everyMs: D, lifetimeMs: 3 * D, anchorMs: at('2028-02-28T12:00:00Z'), overlap: true };
    expect(currentGeneration(at('2028-03-01T12:00:00Z'), daily)).toBe(2);
    expect(currentGeneration(at('2028-03-01T11:59:59.999Z'), daily)).toBe(1);
  });
});

describe('slots and roles', () => {
  it.each<[number, boolean, number[]]>([
    [0, true, [0, -1]],
    [1, true, [0, 1]],
    [2, true, [2, 1]],
    [11, true, [10, 11]],
    [2930, true, [2930, 2929]],
    [2931, true, [2930, 2931]],
    [-1, true, [-2, -1]],
    [0, false, [0]],
    [7, false, [7]],
  ])('G=%d with overlap %s gives slots %j', (G, overlap, slots) => {
    expect(slotGenerations(G, overlap)).toEqual(slots);
  });

  it('changes only one slot when G advances by one, both when it jumps', () => {
    const [a0, a1] = slotGenerations(10, true);
    const [b0, b1] = slotGenerations(11, true);
    expect([a0 === b0, a1 === b1]).toEqual([true, false]);
    const [c0, c1] = slotGenerations(12, true);
    expect([b0 === c0, b1 === c1]).toEqual([false, true]);
    const [d0, d1] = slotGenerations(15, true);
    expect([a0 === d0, a1 === d1]).toEqual([false, false]);
    // A repeated generation changes nothing.
    expect(slotGenerations(11, true)).toEqual([b0, b1]);
  });

  it.each<[number, number, string]>([
    [5, 5, 'ensure'],
    [4, 5, 'retain'],
    [3, 5, 'none'],
    [6, 5, 'none'],
    [-1, 0, 'none'],
    [-1, -1, 'none'],
    [0, 0, 'ensure'],
    [0, 1, 'retain'],
  ])('slot generation %d when G=%d is %s', (g, G, role) => {
    expect(slotRole(g, G)).toBe(role);
  });
});

describe('instants of a generation', () => {
  it.each<[number, string, string, string]>([
    [0, '2028-02-29T00:00:00.000Z', '2028-05-29T00:00:00.000Z', '2028-03-30T00:00:00.000Z'],
    [12, '2029-02-23T00:00:00.000Z', '2029-05-24T00:00:00.000Z', '2029-03-25T00:00:00.000Z'],
  ])('generation %d starts %s, expires %s, and the next rotation is %s', (g, start, expiry, next) => {
    expect(iso(generationStartMs(g, P30))).toBe(start);
    expect(iso(generationExpiryMs(g, P30))).toBe(expiry);
    expect(iso(nextRotationMs(g, P30))).toBe(next);
  });

  it("keeps the longest lifetime within Agility's 2 calendar years even from a leap day", () => {
    const p: RotationPolicy = { ...P30, lifetimeMs: MAX_LIFETIME.toMilliseconds() };
    expect(iso(generationExpiryMs(0, p))).toBe('2030-02-28T00:00:00.000Z');
    expect(iso(maxExpiryFor(generationStartMs(0, p)))).toBe('2030-03-01T00:00:00.000Z');
    expect(generationExpiryMs(0, p)).toBeLessThanOrEqual(maxExpiryFor(generationStartMs(0, p)));
  });
});

describe('defaultAnchorMs', () => {
  const every = 30 * D;

  it('is pinned for one token key (first 48 bits of sha256, mod the period, whole minutes)', () => {
    expect(defaultAnchorMs('prod~3fa9c1/ci-deploy', every)).toBe(814_860_000);
    expect(iso(defaultAnchorMs('prod~3fa9c1/ci-deploy', every))).toBe('1970-01-10T10:21:00.000Z');
  });

  it('lies in [0, every), on a whole minute, for many keys and periods', () => {
    for (const period of [D, 7 * D, every, 364 * D]) {
      for (let i = 0; i < 50; i++) {
        const a = defaultAnchorMs(`stack~abcdef/token-${i}`, period);
        expect(a).toBeGreaterThanOrEqual(0);
        expect(a).toBeLessThan(period);
        expect(a % 60_000).toBe(0);
      }
    }
  });

  it('differs for two token keys of one stack', () => {
    expect(defaultAnchorMs('prod~3fa9c1/preview', every)).toBe(2_554_020_000);
    expect(defaultAnchorMs('prod~3fa9c1/preview', every)).not.toBe(defaultAnchorMs('prod~3fa9c1/ci-deploy', every));
  });

  it('refuses a period that is not a positive whole number of milliseconds', () => {
    expect(
      hasErrorCode(
        errorOf(() => defaultAnchorMs('k', 0)),
        'INVALID_INPUT',
      ),
    ).toBe(true);
  });
});

describe('lifetimes', () => {
  it.each<[number, boolean, number, number]>([
    [30, true, 61, 90],
    [30, false, 31, 60],
    [1, true, 3, 3],
    [1, false, 2, 2],
    [300, true, 601, 730],
    [364, true, 729, 730],
    [365, false, 366, 730],
    [729, false, 730, 730],
  ])('every %d days with overlap %s: minimum %d days, default %d days', (days, overlap, minimum, def) => {
    expect(minimumLifetimeMs(days * D, overlap)).toBe(minimum * D);
    expect(defaultLifetimeMs(days * D, overlap)).toBe(def * D);
  });

  it('caps the default at 730 days when even the minimum does not fit', () => {
    expect(defaultLifetimeMs(400 * D, true)).toBe(730 * D);
  });
});

describe('validateRotation', () => {
  const NOW = at('2030-06-15T12:00:00Z');
  const KEY = 'prod~3fa9c1/ci-deploy';

  it('applies the defaults: overlap, 3 periods of lifetime, the spread-out anchor', () => {
    expect(validateRotation({ every: Duration.days(30) }, NOW, KEY)).toEqual({
      everyMs: 30 * D,
      lifetimeMs: 90 * D,
      anchorMs: 814_860_000,
      overlap: true,
    });
    expect(validateRotation({ every: Duration.days(30), overlap: false }, NOW, KEY).lifetimeMs).toBe(60 * D);
  });

  it('keeps what the user gave', () => {
    const anchor = at('2028-02-29T00:00:00Z');
    expect(validateRotation({ every: Duration.days(7), lifetime: Duration.days(15), overlap: true, anchor }, NOW, KEY)).toEqual({
      everyMs: 7 * D,
      lifetimeMs: 15 * D,
      anchorMs: anchor,
      overlap: true,
    });
  });

  it.each<[string, Parameters<typeof validateRotation>[0], string]>([
    [
      'a period under a day',
      { every: Duration.hours(4) },
      'rotation.every must be at least 1 day, got 4 hours: each rotation creates a token, and Agility allows 5 creations an hour.',
    ],
    [
      'a lifetime under two periods plus grace',
      { every: Duration.days(30), lifetime: Duration.days(45) },
      'rotation.lifetime must cover two rotation periods plus 1 day of grace (at least 61 days for every 30 days), got 45 days.',
    ],
    [
      'a lifetime under one period plus grace without overlap',
      { every: Duration.days(30), lifetime: Duration.days(30), overlap: false },
      'rotation.lifetime must cover one rotation period plus 1 day of grace (at least 31 days for every 30 days), got 30 days.',
    ],
    [
      'a lifetime just under the minimum',
      { every: Duration.days(1), lifetime: Duration.parse('2d23h59m') },
      'rotation.lifetime must cover two rotation periods plus 1 day of grace (at least 3 days for every 1 day), got 2 days 23 hours 59 minutes.',
    ],
    [
      'a lifetime over 730 days',
      { every: Duration.days(30), lifetime: Duration.days(731) },
      "rotation.lifetime must be at most 730 days (Agility's limit is 2 years from creation), got 731 days.",
    ],
    [
      'a period too long for two periods plus grace',
      { every: Duration.days(400) },
      'rotation.every of 400 days is too long with overlap: a token must live two rotation periods plus 1 day of grace (801 days), ' +
        'more than the 730 days Agility allows. Use rotation.every of at most 364 days 12 hours, or overlap: false.',
    ],
    [
      'an anchor in the future',
      { every: Duration.days(30), anchor: at('2030-06-15T12:00:00.001Z') },
      'rotation.anchor must not be in the future, got 2030-06-15T12:00:00.001Z (now is 2030-06-15T12:00:00.000Z): ' +
        'no generation would exist yet. Use a past instant, or omit rotation.anchor to get a spread-out default.',
    ],
    [
      'a period that is not a Duration',
      { every: '30d' as unknown as Duration },
      'rotation.every must be a Duration such as Duration.days(30), got 30d.',
    ],
  ])('refuses %s with a message naming the prop, the rule and the value', (_label, input, message) => {
    const e = errorOf(() => validateRotation(input, NOW, KEY));
    expect(hasErrorCode(e, 'INVALID_INPUT')).toBe(true);
    // The prop only: the construct layer adds its path (test/construct/synth.test.ts).
    expect(e.message).toBe(message);
    expect(hasErrorCode(e, 'INVALID_INPUT') && e.details.prop).toBe(message.split(' ')[0]);
  });

  it('accepts exactly the minimum lifetime, exactly 730 days, exactly 1 day and an anchor at now', () => {
    expect(validateRotation({ every: Duration.days(30), lifetime: Duration.days(61) }, NOW, KEY).lifetimeMs).toBe(61 * D);
    expect(validateRotation({ every: Duration.days(30), lifetime: Duration.days(730) }, NOW, KEY).lifetimeMs).toBe(730 * D);
    expect(validateRotation({ every: Duration.days(1) }, NOW, KEY).everyMs).toBe(D);
    expect(validateRotation({ every: Duration.days(1), anchor: NOW }, NOW, KEY).anchorMs).toBe(NOW);
  });

  it('gives a generation of at least 0 with the default anchor and with a past user anchor', () => {
    const def = validateRotation({ every: Duration.days(30) }, NOW, KEY);
    expect(currentGeneration(NOW, def)).toBe(Math.floor((NOW - 814_860_000) / (30 * D)));
    const past = validateRotation({ every: Duration.days(30), anchor: NOW - 1 }, NOW, KEY);
    expect(currentGeneration(NOW, past)).toBe(0);
  });
});
