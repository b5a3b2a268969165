/**
 * Checks that 2xx bodies have the fields and types the Management API's OpenAPI document promises, and
 * returns them typed. Hand-written rather than ajv: ajv is only a dev dependency here, and a few fields matter.
 *
 * Problems name the field and the JSON type received, never the value: a create response carries the PAT secret.
 */
import type { PersonalAccessTokenCreationResponse, PersonalAccessTokenResponse, ServerUser, TokenResponseData } from './models';

/** A 2xx body that does not match the API document; `problem` says which field and why, without values. */
export class ShapeMismatch extends Error {
  constructor(readonly problem: string) {
    super(problem);
    this.name = 'ShapeMismatch';
  }
}

/** The JSON type of a value, for messages: `null`, `array`, `string`, `number`, `boolean`, `object`, `undefined`. */
export function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

function record(v: unknown, at: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ShapeMismatch(`${at} must be a JSON object, got ${jsonType(v)}`);
  return v as Record<string, unknown>;
}

function str(
  o: Record<string, unknown>,
  key: string,
  at: string,
  opts: { nullable?: boolean; optional?: boolean; nonEmpty?: boolean } = {},
): string | null {
  const v = o[key];
  if (v === undefined && opts.optional) return null;
  if (v === null && opts.nullable) return null;
  if (typeof v !== 'string' || (opts.nonEmpty && v === '')) {
    const want = `${opts.nonEmpty ? 'a non-empty string' : 'a string'}${opts.nullable ? ' or null' : ''}`;
    throw new ShapeMismatch(`${at}.${key} must be ${want}, got ${v === '' ? 'an empty string' : jsonType(v)}`);
  }
  return v;
}

/** A date-time with a time but no offset, as a .NET API may write a UTC `DateTime` (`2027-01-01T00:00:00`). */
const NO_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/;

/**
 * A date-time field, returned as sent, except that one without an offset gets `Z`: Agility's instants are UTC, and
 * `Date.parse` would read a bare date-time as local time, moving every expiry by the machine's UTC offset.
 */
function date(o: Record<string, unknown>, key: string, at: string, nullable = false): string | null {
  const raw = str(o, key, at, { nullable, optional: nullable });
  const v = raw !== null && NO_OFFSET.test(raw) ? `${raw}Z` : raw;
  if (v !== null && Number.isNaN(Date.parse(v)))
    throw new ShapeMismatch(`${at}.${key} must be an ISO-8601 date-time, got a string that is not a date`);
  return v;
}

function bool(o: Record<string, unknown>, key: string, at: string): boolean {
  const v = o[key];
  if (typeof v !== 'boolean') throw new ShapeMismatch(`${at}.${key} must be a boolean, got ${jsonType(v)}`);
  return v;
}

function int(o: Record<string, unknown>, key: string, at: string, opts: { nullable?: boolean } = {}): number | null {
  const v = o[key];
  if ((v === null || v === undefined) && opts.nullable) return null;
  if (typeof v !== 'number' || !Number.isInteger(v)) {
    throw new ShapeMismatch(
      `${at}.${key} must be an integer${opts.nullable ? ' or null' : ''}, got ${typeof v === 'number' ? 'a fraction' : jsonType(v)}`,
    );
  }
  return v;
}

/** `PersonalAccessTokenResponse`; a missing `lastUsedDate` is read as null (never used). */
export function asTokenResponse(v: unknown, at = 'body'): PersonalAccessTokenResponse {
  const o = record(v, at);
  return {
    tokenID: str(o, 'tokenID', at, { nonEmpty: true }) as string,
    name: str(o, 'name', at, { nullable: true }),
    createdDate: date(o, 'createdDate', at) as string,
    expiryDate: date(o, 'expiryDate', at) as string,
    lastUsedDate: date(o, 'lastUsedDate', at, true),
    enabled: bool(o, 'enabled', at),
    isExpired: bool(o, 'isExpired', at),
    daysUntilExpiration: int(o, 'daysUntilExpiration', at) as number,
  };
}

/** `PersonalAccessTokenCreationResponse`: a token plus its secret `token`, which must be a non-empty string. */
export function asCreationResponse(v: unknown, at = 'body'): PersonalAccessTokenCreationResponse {
  const base = asTokenResponse(v, at);
  const o = v as Record<string, unknown>;
  return {
    ...base,
    token: str(o, 'token', at, { nonEmpty: true }),
    notice: str(o, 'notice', at, { nullable: true, optional: true }),
  };
}

/** `PersonalAccessTokenListResponse`, with `tokens: null` read as an empty list. */
export function asListResponse(v: unknown, at = 'body'): { tokens: PersonalAccessTokenResponse[]; totalCount: number } {
  const o = record(v, at);
  const raw = o.tokens;
  if (raw !== null && raw !== undefined && !Array.isArray(raw))
    throw new ShapeMismatch(`${at}.tokens must be an array or null, got ${jsonType(raw)}`);
  if (raw === undefined) throw new ShapeMismatch(`${at}.tokens must be an array or null, got undefined`);
  const tokens = (raw ?? []).map((t, i) => asTokenResponse(t, `${at}.tokens[${i}]`));
  return { tokens, totalCount: int(o, 'totalCount', at) as number };
}

/** `TokenResponseData` (snake_case): `access_token` must be a non-empty string; the other fields may be null. */
export function asTokenResponseData(v: unknown, at = 'body'): TokenResponseData {
  const o = record(v, at);
  return {
    access_token: str(o, 'access_token', at, { nonEmpty: true }),
    expires_in: int(o, 'expires_in', at, { nullable: true }),
    refresh_token: str(o, 'refresh_token', at, { nullable: true, optional: true }),
    token_type: str(o, 'token_type', at, { nullable: true, optional: true }),
  };
}

/** `ServerUser`: checks `userID` and `websiteAccess` (array or null) and returns the object as sent. */
export function asServerUser(v: unknown, at = 'body'): ServerUser {
  const o = record(v, at);
  int(o, 'userID', at);
  const access = o.websiteAccess;
  if (access !== null && access !== undefined && !Array.isArray(access)) {
    throw new ShapeMismatch(`${at}.websiteAccess must be an array or null, got ${jsonType(access)}`);
  }
  return o as unknown as ServerUser;
}
