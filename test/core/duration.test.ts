import { Duration } from '../../lib/core/duration';
import { hasErrorCode } from '../../lib/core/errors';
import { errorOf } from '../helpers/error-of';

const H = 3_600_000;
const D = 24 * H;

describe('Duration.parse', () => {
  it.each<[string, number]>([
    ['30d', 30 * D],
    ['12h', 12 * H],
    ['90m', 90 * 60_000],
    ['45s', 45_000],
    ['1d12h', D + 12 * H],
    ['1d2h3m4s', D + 2 * H + 3 * 60_000 + 4000],
    ['  7D ', 7 * D],
    ['0d', 0],
    ['P30D', 30 * D],
    ['PT12H', 12 * H],
    ['P1DT2H', D + 2 * H],
    ['PT90M', 90 * 60_000],
    ['PT1.5S', 1500],
    ['PT0.001S', 1],
    ['P2W', 14 * D],
    ['p1dt12h', D + 12 * H],
  ])('parses %j as %d ms', (text, ms) => {
    expect(Duration.parse(text).toMilliseconds()).toBe(ms);
  });

  it.each<[string, RegExp]>([
    ['P1M', /months or years.*in days/],
    ['P1Y', /months or years.*in days/],
    ['P1Y2M3D', /months or years/],
    ['', /is not a duration/],
    ['30', /is not a duration/],
    ['d', /is not a duration/],
    ['12h1d', /is not a duration/],
    ['-1d', /is not a duration/],
    ['1.5d', /is not a duration/],
    ['30 days', /is not a duration/],
    ['P', /is not a duration/],
    ['PT', /is not a duration/],
    ['P1DT', /is not a duration/],
    ['PT0.0001S', /is not a duration/],
  ])('refuses %j with an InvalidInputError', (text, message) => {
    const e = errorOf(() => Duration.parse(text));
    expect(hasErrorCode(e, 'INVALID_INPUT')).toBe(true);
    expect(e.message).toMatch(message);
    expect(e.message).toContain(JSON.stringify(text));
  });

  it('names the accepted forms when a text is not a duration', () => {
    expect(errorOf(() => Duration.parse('soon')).message).toBe(
      'the duration "soon" is not a duration: use a number and unit such as "30d", "12h", "90m", "45s" or "1d12h", or ISO-8601 such as "P30D" or "PT12H".',
    );
  });
});

describe('Duration factories', () => {
  it.each<[string, number, () => Duration]>([
    ['millis(1)', 1, () => Duration.millis(1)],
    ['seconds(1.5)', 1500, () => Duration.seconds(1.5)],
    ['minutes(90)', 90 * 60_000, () => Duration.minutes(90)],
    ['hours(36)', 36 * H, () => Duration.hours(36)],
    ['days(730)', 730 * D, () => Duration.days(730)],
    ['days(0)', 0, () => Duration.days(0)],
  ])('%s is %d ms', (_label, ms, make) => {
    expect(make().toMilliseconds()).toBe(ms);
  });

  it.each<[string, () => Duration, RegExp]>([
    ['days(-1)', () => Duration.days(-1), /must not be negative/],
    ['hours(NaN)', () => Duration.hours(NaN), /must be a finite number/],
    ['days(Infinity)', () => Duration.days(Infinity), /must be a finite number/],
    ['millis(0.5)', () => Duration.millis(0.5), /whole number of milliseconds/],
    ['seconds(0.0001)', () => Duration.seconds(0.0001), /whole number of milliseconds/],
    ['millis(2**53)', () => Duration.millis(2 ** 53), /too large/],
  ])('%s is an InvalidInputError', (_label, make, message) => {
    const e = errorOf(make);
    expect(hasErrorCode(e, 'INVALID_INPUT')).toBe(true);
    expect(e.message).toMatch(message);
  });
});

describe('Duration formatting', () => {
  it.each<[Duration, string, string]>([
    [Duration.days(30), '30 days', 'P30D'],
    [Duration.days(1), '1 day', 'P1D'],
    [Duration.hours(4), '4 hours', 'PT4H'],
    [Duration.hours(36), '1 day 12 hours', 'P1DT12H'],
    [Duration.minutes(90), '1 hour 30 minutes', 'PT1H30M'],
    [Duration.minutes(1), '1 minute', 'PT1M'],
    [Duration.seconds(45), '45 seconds', 'PT45S'],
    [Duration.millis(1500), '1 second 500 milliseconds', 'PT1.5S'],
    [Duration.millis(1001), '1 second 1 millisecond', 'PT1.001S'],
    [Duration.millis(20), '20 milliseconds', 'PT0.02S'],
    [Duration.parse('1d2h3m4s'), '1 day 2 hours 3 minutes 4 seconds', 'P1DT2H3M4S'],
    [Duration.days(0), '0 seconds', 'PT0S'],
    [Duration.parse('P2W'), '14 days', 'P14D'],
  ])('%s reads "%s" and serialises as %s', (d, human, iso) => {
    expect(d.toHumanString()).toBe(human);
    expect(d.toString()).toBe(human);
    expect(`${d}`).toBe(human);
    expect(d.toJSON()).toBe(iso);
    expect(JSON.stringify({ d })).toBe(`{"d":"${iso}"}`);
  });

  it('round-trips its ISO-8601 form through parse', () => {
    for (const ms of [0, 1, 999, 61_000, 3 * H + 1, 400 * D + 5 * H + 7 * 60_000 + 8_009]) {
      const d = Duration.millis(ms);
      expect(Duration.parse(d.toJSON()).toMilliseconds()).toBe(ms);
    }
  });
});

describe('Duration arithmetic', () => {
  it('adds, multiplies and converts to fractional days', () => {
    expect(Duration.days(1).plus(Duration.hours(12)).toMilliseconds()).toBe(36 * H);
    expect(Duration.days(30).times(2).toHumanString()).toBe('60 days');
    expect(Duration.hours(36).toDays()).toBe(1.5);
    expect(Duration.hours(1).times(1.5).toHumanString()).toBe('1 hour 30 minutes');
  });

  it('refuses a negative or non-finite factor', () => {
    expect(
      hasErrorCode(
        errorOf(() => Duration.days(1).times(-1)),
        'INVALID_INPUT',
      ),
    ).toBe(true);
    expect(
      hasErrorCode(
        errorOf(() => Duration.days(1).times(Infinity)),
        'INVALID_INPUT',
      ),
    ).toBe(true);
  });

  it('compares by length', () => {
    expect(Duration.days(1).compareTo(Duration.hours(24))).toBe(0);
    expect(Duration.hours(4).compareTo(Duration.days(1))).toBeLessThan(0);
    expect(Duration.days(2).compareTo(Duration.days(1))).toBeGreaterThan(0);
  });

  it('is immutable', () => {
    const d = Duration.days(1);
    expect(Object.isFrozen(d)).toBe(true);
    d.plus(Duration.days(1));
    expect(d.toMilliseconds()).toBe(D);
  });

  it('recognises durations by brand, not by class identity', () => {
    expect(Duration.isDuration(Duration.days(1))).toBe(true);
    expect(Duration.isDuration({ toMilliseconds: () => 1 })).toBe(false);
    expect(Duration.isDuration('30d')).toBe(false);
    expect(Duration.isDuration(null)).toBe(false);
  });
});
