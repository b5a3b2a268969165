import { InvalidInputError } from './errors';
import { TOKEN_NAME_MAX_LENGTH, TOKEN_NAME_MIN_LENGTH, maxExpiryFor } from './limits';

/** An environment variable name as POSIX shells accept it: letters, digits and underscores, not starting with a digit. */
export const ENV_VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Checks a token name against Agility's rule (`PersonalAccessTokenRequest.name`: 1–100 characters).
 * @param what how the caller names the value in messages, e.g. `name` or `rotation token "ci-deploy" managed name`.
 */
export function validateTokenName(name: unknown, what = 'name'): string {
  if (typeof name !== 'string') {
    throw new InvalidInputError(
      `${what} must be a string of ${TOKEN_NAME_MIN_LENGTH}–${TOKEN_NAME_MAX_LENGTH} characters, got ${typeof name}.`,
      { what },
    );
  }
  // Counted in code points, as JSON Schema's maxLength counts (the OpenAPI document is the contract). Managed names
  // are budgeted more strictly, in UTF-16 units (managed-name.ts), so a name synth accepts passes either reading.
  const length = [...name].length;
  if (name.trim().length === 0 || length < TOKEN_NAME_MIN_LENGTH) {
    throw new InvalidInputError(`${what} must not be empty: Agility requires 1–${TOKEN_NAME_MAX_LENGTH} characters.`, { what });
  }
  if (length > TOKEN_NAME_MAX_LENGTH) {
    throw new InvalidInputError(
      `${what} must be at most ${TOKEN_NAME_MAX_LENGTH} characters, got ${length} ("${name.slice(0, 40)}…"). Shorten it.`,
      { what, length },
    );
  }
  return name;
}

/** Parses an ISO-8601 instant that carries a time zone (`Z` or `±hh:mm`); a bare local time is ambiguous and refused. */
export function parseInstant(value: string | Date, what = 'date'): number {
  if (value instanceof Date) {
    const ms = value.getTime();
    if (Number.isNaN(ms)) throw new InvalidInputError(`${what} is not a valid date.`, { what });
    return ms;
  }
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2}))?$/i.test(value.trim())) {
    throw new InvalidInputError(
      `${what} must be an ISO-8601 date-time with a time zone, such as 2027-01-31T00:00:00Z, got "${String(value)}".`,
      { what, value: String(value) },
    );
  }
  const ms = Date.parse(value.trim());
  if (Number.isNaN(ms)) {
    throw new InvalidInputError(`${what} is not a real date: "${value}".`, { what, value });
  }
  return ms;
}

/**
 * Checks a token expiry against Agility's rule: in the future, and at most two years after `nowMs`.
 * Returns the expiry as epoch milliseconds.
 */
export function validateExpiry(expiry: string | Date | number, nowMs: number, what = 'expiryDate'): number {
  const ms = typeof expiry === 'number' ? expiry : parseInstant(expiry, what);
  const iso = new Date(ms).toISOString();
  if (ms <= nowMs) {
    throw new InvalidInputError(`${what} must be in the future, got ${iso} (now is ${new Date(nowMs).toISOString()}).`, {
      what,
      value: iso,
    });
  }
  const max = maxExpiryFor(nowMs);
  if (ms > max) {
    throw new InvalidInputError(
      `${what} must be at most 2 years away (Agility's limit), got ${iso}; the latest allowed now is ${new Date(max).toISOString()}.`,
      { what, value: iso },
    );
  }
  return ms;
}
