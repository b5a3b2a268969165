/**
 * The formats the schemas in lib/schemas use, for the validators generated from them (lib/generated/): plain
 * functions, so that the runtime needs no ajv-formats.
 */

/** A date-time with a time but no offset, as a .NET API may write a UTC `DateTime` (`2027-01-01T00:00:00`). */
const NO_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/;

/**
 * The date-time as sent, except that one without an offset gets `Z`: Agility's instants are UTC, and `Date.parse`
 * would read a bare date-time as local time, moving every expiry by the machine's UTC offset.
 */
export function asUtcDateTime(value: string): string {
  return NO_OFFSET.test(value) ? `${value}Z` : value;
}

/** `date-time`: an ISO-8601 date and time (read as UTC without an offset) that `Date.parse` understands. */
export function isDateTime(value: string): boolean {
  return /^\d{4}-\d{2}-\d{2}T/.test(value) && !Number.isNaN(Date.parse(asUtcDateTime(value)));
}

export const formats = { 'date-time': isDateTime };
