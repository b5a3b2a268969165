import { InvalidInputError } from './errors';
import { TOKEN_NAME_MAX_LENGTH, TOKEN_NAME_MIN_LENGTH, maxExpiryFor } from './limits';
import { firstUnprintable, printable } from './printable';

/** An environment variable name as POSIX shells accept it: letters, digits and underscores, not starting with a digit. */
export const ENV_VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Checks a token name against Agility's rule (`PersonalAccessTokenRequest.name`: 1–100 characters).
 * @param label how the caller names the value in messages, e.g. `name`.
 */
export function validateTokenName(name: unknown, label = 'name'): string {
  if (typeof name !== 'string') {
    throw new InvalidInputError(
      `${label} must be a string of ${TOKEN_NAME_MIN_LENGTH}–${TOKEN_NAME_MAX_LENGTH} characters, got ${typeof name}.`,
      { prop: label },
    );
  }
  // Counted in code points, as JSON Schema's maxLength counts (the OpenAPI document is the contract). Managed names
  // are budgeted more strictly, in UTF-16 units (managed-name.ts), so a name synth accepts passes either reading.
  const length = [...name].length;
  if (name.trim().length === 0 || length < TOKEN_NAME_MIN_LENGTH) {
    throw new InvalidInputError(`${label} must not be empty: Agility requires 1–${TOKEN_NAME_MAX_LENGTH} characters.`, { prop: label });
  }
  if (length > TOKEN_NAME_MAX_LENGTH) {
    throw new InvalidInputError(
      `${label} must be at most ${TOKEN_NAME_MAX_LENGTH} characters, got ${length} ("${name.slice(0, 40)}…"). Shorten it.`,
      { prop: label, length },
    );
  }
  return name;
}

/** Parses an ISO-8601 instant that carries a time zone (`Z` or `±hh:mm`); a bare local time is ambiguous and refused. */
export function parseInstant(value: string | Date, label = 'date'): number {
  if (value instanceof Date) {
    const ms = value.getTime();
    if (Number.isNaN(ms)) throw new InvalidInputError(`${label} is not a valid date.`, { prop: label });
    return ms;
  }
  const parts = typeof value === 'string' ? ISO_INSTANT.exec(value.trim()) : null;
  if (!parts) {
    throw new InvalidInputError(
      `${label} must be an ISO-8601 date-time with a time zone, such as 2027-01-31T00:00:00Z, got "${printable(String(value))}".`,
      { prop: label, value: String(value) },
    );
  }
  const impossible = impossibleField(parts);
  const ms = Date.parse((value as string).trim());
  // Date.parse rolls impossible dates over (2027-02-30 becomes 2 March, 24:00 the next day): refuse them instead.
  if (impossible || Number.isNaN(ms)) {
    throw new InvalidInputError(
      `${label} is not a real date: "${printable(String(value))}"${impossible ? ` (${impossible})` : ''}. Give a date that exists, such as 2027-02-28T00:00:00Z.`,
      { prop: label, value: String(value) },
    );
  }
  return ms;
}

/** Date, then optional time and zone: year, month, day, hour, minute, second, zone hours, zone minutes. */
const ISO_INSTANT = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-](\d{2}):?(\d{2})))?$/i;

/** Which field of a matched {@link ISO_INSTANT} is out of its calendar range, e.g. `February 2027 has 28 days`. */
function impossibleField(parts: RegExpExecArray): string | undefined {
  const [, y, mo, d, h = '0', mi = '0', s = '0', zh = '0', zm = '0'] = parts;
  const year = Number(y);
  const month = Number(mo);
  if (month < 1 || month > 12) return `month ${mo} does not exist`;
  const days = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (Number(d) < 1 || Number(d) > days) {
    return `${new Date(Date.UTC(year, month - 1, 1)).toLocaleString('en', { month: 'long', timeZone: 'UTC' })} ${y} has ${days} days`;
  }
  if (Number(h) > 23 || Number(zh) > 23) return 'hours go from 00 to 23';
  if (Number(mi) > 59 || Number(s) > 59 || Number(zm) > 59) return 'minutes and seconds go from 00 to 59';
  return undefined;
}

/**
 * The first character that would make a token name deceive a reader, described for a message (e.g. `U+202E at
 * position 4`), or `undefined`: control characters, bidi embeddings, overrides and isolates, zero-width characters
 * and other invisible format characters, line and paragraph separators, and lone surrogates (half an emoji, which
 * UTF-8 cannot carry). The managed name identifies a token: what a person reads in a listing must be what it is.
 */
export function unsafeNameCharacter(name: string): string | undefined {
  return firstUnprintable(name);
}

/**
 * Checks a token expiry against Agility's rule: in the future, and at most two years after `nowMs`.
 * Returns the expiry as epoch milliseconds.
 */
export function validateExpiry(expiry: string | Date | number, nowMs: number, label = 'expiryDate'): number {
  const ms = typeof expiry === 'number' ? expiry : parseInstant(expiry, label);
  const iso = new Date(ms).toISOString();
  if (ms <= nowMs) {
    throw new InvalidInputError(`${label} must be in the future, got ${iso} (now is ${new Date(nowMs).toISOString()}).`, {
      prop: label,
      value: iso,
    });
  }
  const max = maxExpiryFor(nowMs);
  if (ms > max) {
    throw new InvalidInputError(
      `${label} must be at most 2 years away (Agility's limit), got ${iso}; the latest allowed now is ${new Date(max).toISOString()}.`,
      { prop: label, value: iso },
    );
  }
  return ms;
}
