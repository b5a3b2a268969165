import { InvalidInputError } from './errors';

const MS_PER_SECOND = 1000;
const MS_PER_MINUTE = 60 * MS_PER_SECOND;
const MS_PER_HOUR = 60 * MS_PER_MINUTE;
const MS_PER_DAY = 24 * MS_PER_HOUR;

const BRAND = Symbol.for('agility-pat.duration');

/** Units from the largest to the smallest, as `toHumanString` and `toJSON` decompose a duration. */
const UNITS = [
  { ms: MS_PER_DAY, singular: 'day', plural: 'days' },
  { ms: MS_PER_HOUR, singular: 'hour', plural: 'hours' },
  { ms: MS_PER_MINUTE, singular: 'minute', plural: 'minutes' },
  { ms: MS_PER_SECOND, singular: 'second', plural: 'seconds' },
  { ms: 1, singular: 'millisecond', plural: 'milliseconds' },
] as const;

/** `30d`, `12h`, `90m`, `45s`, `1d12h`: each unit at most once, largest first. */
const COMPACT = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/i;
/** ISO-8601 durations with weeks, days, hours, minutes and (up to millisecond) seconds. */
const ISO = /^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)(?:[.,](\d{1,3}))?S)?)?$/i;
/** ISO-8601 with years or months in the date part: the length of a month or year depends on the calendar. */
const ISO_CALENDAR = /^P(?:\d+Y)?(?:\d+M)?(?:\d+W)?(?:\d+D)?(?:T.*)?$/i;

/**
 * A non-negative length of time, exact to the millisecond, immutable.
 *
 * Rotation periods and token lifetimes are Durations rather than strings (strong types over
 * `"30d"`). A day is exactly 24 hours (86 400 000 ms): rotation runs on UTC instants, not on calendar days,
 * so daylight-saving changes never shift it. Months and years are refused for the same reason: their length
 * depends on the calendar.
 *
 * @example Duration.days(30).toHumanString() // "30 days"
 * @example Duration.parse('1d12h').toJSON()  // "P1DT12H"
 */
export class Duration {
  /** Milliseconds, a non-negative safe integer. */
  private readonly ms: number;
  readonly [BRAND] = true;

  private constructor(ms: number, label: string) {
    if (typeof ms !== 'number' || !Number.isFinite(ms)) {
      throw new InvalidInputError(`${label} must be a finite number, got ${String(ms)}.`, { value: String(ms) });
    }
    if (ms < 0) {
      throw new InvalidInputError(`${label} must not be negative, got ${ms} ms.`, { value: ms });
    }
    if (!Number.isInteger(ms)) {
      throw new InvalidInputError(`${label} must be a whole number of milliseconds, got ${ms} ms.`, { value: ms });
    }
    if (!Number.isSafeInteger(ms)) {
      throw new InvalidInputError(`${label} is too large: ${ms} ms is beyond what can be counted exactly.`, { value: ms });
    }
    this.ms = ms;
    Object.freeze(this);
  }

  /** A duration of `n` milliseconds (a non-negative whole number). */
  static millis(n: number): Duration {
    return new Duration(n, `Duration.millis(${n})`);
  }

  /** A duration of `n` seconds; fractions are fine when they land on a whole millisecond. */
  static seconds(n: number): Duration {
    return new Duration(n * MS_PER_SECOND, `Duration.seconds(${n})`);
  }

  /** A duration of `n` minutes. */
  static minutes(n: number): Duration {
    return new Duration(n * MS_PER_MINUTE, `Duration.minutes(${n})`);
  }

  /** A duration of `n` hours. */
  static hours(n: number): Duration {
    return new Duration(n * MS_PER_HOUR, `Duration.hours(${n})`);
  }

  /** A duration of `n` days of exactly 24 hours. */
  static days(n: number): Duration {
    return new Duration(n * MS_PER_DAY, `Duration.days(${n})`);
  }

  /**
   * Parses `30d`, `12h`, `90m`, `45s`, combinations largest unit first (`1d12h`), or ISO-8601 (`P30D`,
   * `PT12H`, `P1DT2H`, `P2W`, `PT0.5S`). Case-insensitive; surrounding whitespace is ignored.
   * Months and years are refused (use days): their length depends on the calendar.
   * @throws InvalidInputError naming the text and the accepted forms.
   */
  static parse(text: string): Duration {
    if (typeof text !== 'string') {
      throw new InvalidInputError(`a duration must be a string such as "30d" or "P30D", got ${typeof text}.`, { value: String(text) });
    }
    const t = text.trim();
    const label = `the duration "${text}"`;
    const compact = COMPACT.exec(t);
    if (t !== '' && compact) {
      const [, d, h, m, s] = compact;
      return new Duration(sum([d, MS_PER_DAY], [h, MS_PER_HOUR], [m, MS_PER_MINUTE], [s, MS_PER_SECOND]), label);
    }
    const iso = ISO.exec(t);
    // "P" and "PT" alone name no amount at all.
    if (iso && !/^PT?$/i.test(t) && !/T$/i.test(t)) {
      const [, w, d, h, m, s, frac] = iso;
      const fracMs = frac === undefined ? 0 : Number(frac.padEnd(3, '0'));
      return new Duration(
        sum([w, 7 * MS_PER_DAY], [d, MS_PER_DAY], [h, MS_PER_HOUR], [m, MS_PER_MINUTE], [s, MS_PER_SECOND]) + fracMs,
        label,
      );
    }
    if (ISO_CALENDAR.test(t) && /^P[^T]*[YM]/i.test(t)) {
      throw new InvalidInputError(
        `${label} uses months or years, whose length depends on the calendar; give the period in days instead (e.g. "P90D" or "90d").`,
        { value: text },
      );
    }
    throw new InvalidInputError(
      `${label} is not a duration: use a number and unit such as "30d", "12h", "90m", "45s" or "1d12h", or ISO-8601 such as "P30D" or "PT12H".`,
      { value: text },
    );
  }

  /** True for a Duration from any copy of this package (bare `instanceof` breaks across copies and jest realms). */
  static isDuration(value: unknown): value is Duration {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }

  /** The duration in milliseconds. */
  toMilliseconds(): number {
    return this.ms;
  }

  /** The duration in days of 24 hours, fractional (`Duration.hours(36).toDays()` is 1.5). */
  toDays(): number {
    return this.ms / MS_PER_DAY;
  }

  /** The sum of this duration and `other`. */
  plus(other: Duration): Duration {
    return new Duration(this.ms + other.toMilliseconds(), `${this} plus ${other}`);
  }

  /** This duration multiplied by a non-negative `factor`; the result must be a whole number of milliseconds. */
  times(factor: number): Duration {
    return new Duration(this.ms * factor, `${this} times ${factor}`);
  }

  /** Negative, zero or positive as this duration is shorter than, equal to or longer than `other`. */
  compareTo(other: Duration): number {
    return Math.sign(this.ms - other.toMilliseconds());
  }

  /**
   * The duration in the largest exact units, for messages: "30 days", "4 hours", "1 day 12 hours",
   * "1 hour 30 minutes", "0 seconds".
   */
  toHumanString(): string {
    if (this.ms === 0) return '0 seconds';
    return split(this.ms)
      .map(({ n, unit }) => `${n} ${n === 1 ? unit.singular : unit.plural}`)
      .join(' ');
  }

  /** Same as {@link toHumanString}. */
  toString(): string {
    return this.toHumanString();
  }

  /** ISO-8601, days as the largest unit: `P30D`, `PT4H`, `P1DT12H`, `PT1.5S`, `PT0S`. */
  toJSON(): string {
    if (this.ms === 0) return 'PT0S';
    let days = 0;
    let time = '';
    let seconds = 0;
    let millis = 0;
    for (const { n, unit } of split(this.ms)) {
      if (unit.ms === MS_PER_DAY) days = n;
      else if (unit.ms === MS_PER_HOUR) time += `${n}H`;
      else if (unit.ms === MS_PER_MINUTE) time += `${n}M`;
      else if (unit.ms === MS_PER_SECOND) seconds = n;
      else millis = n;
    }
    if (seconds || millis) time += millis ? `${seconds}.${String(millis).padStart(3, '0').replace(/0+$/, '')}S` : `${seconds}S`;
    return `P${days ? `${days}D` : ''}${time ? `T${time}` : ''}`;
  }
}

function sum(...parts: [string | undefined, number][]): number {
  let total = 0;
  for (const [digits, unitMs] of parts) if (digits !== undefined) total += Number(digits) * unitMs;
  return total;
}

function split(ms: number): { n: number; unit: (typeof UNITS)[number] }[] {
  const out: { n: number; unit: (typeof UNITS)[number] }[] = [];
  let rest = ms;
  for (const unit of UNITS) {
    const n = Math.floor(rest / unit.ms);
    if (n > 0) out.push({ n, unit });
    rest -= n * unit.ms;
  }
  return out;
}
