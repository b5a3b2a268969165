/**
 * Checks that 2xx bodies have the fields the program needs, of the types the Management API's OpenAPI document gives
 * them, and returns them typed, with documented defaults for the optional ones (the document marks no response field
 * as required). The schema (lib/schemas/api-responses.schema.json) is derived from the OpenAPI document at build time and
 * compiled into plain functions (lib/generated/api-responses.ts), so the hook needs no ajv.
 *
 * Problems name the field and the JSON type received, never the value: a create response carries the PAT secret.
 */
import {
  validateCreationResponse,
  validateListResponse,
  validateServerUser,
  validateTokenResponse,
  validateTokenResponseData,
  schema as apiSchema,
} from '../generated/api-responses';
import { asUtcDateTime } from '../schemas/formats';
import { schemaProblem, type SchemaValidator } from '../schemas/schema-problem';
import type { PersonalAccessTokenCreationResponse, PersonalAccessTokenResponse, ServerUser, TokenResponseData } from './models';

/** A 2xx body without a field the program needs, or with one of the wrong type; `problem` says which and why, without values. */
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

/** What a wrong value was, without the value itself. */
function received(rule: string, v: unknown): string {
  if (v === '') return 'an empty string';
  if (typeof v === 'number' && rule.includes('integer')) return 'a fraction';
  if (typeof v === 'string' && rule.includes('date-time')) return 'a string that is not a date';
  return jsonType(v);
}

/** Checks `v` against one of the API schemas; throws ShapeMismatch naming the field and what it got. */
function check(validate: unknown, definition: keyof typeof apiSchema.definitions, v: unknown, at: string): Record<string, unknown> {
  const problem = schemaProblem(validate as SchemaValidator, v, { document: apiSchema, own: apiSchema.definitions[definition], root: at });
  if (problem) throw new ShapeMismatch(`${problem.field} ${problem.rule}, got ${received(problem.rule, problem.value)}`);
  return v as Record<string, unknown>;
}

/** A date-time as sent, with `Z` added when it has no offset (see {@link asUtcDateTime}); null stays null. */
function utc<T extends string | null | undefined>(v: T): T | string {
  return typeof v === 'string' ? asUtcDateTime(v) : v;
}

/** Whether a token is enabled when the API does not say: it is listed (not revoked), so it is taken as enabled. */
export const DEFAULT_TOKEN_ENABLED = true;

/**
 * A token with the defaults of what the API may leave out: `name` null (such a token is never managed), `enabled`
 * {@link DEFAULT_TOKEN_ENABLED}, `createdDate` and `lastUsedDate` null, `isExpired` false (the program also compares
 * `expiryDate` with the clock), `daysUntilExpiration` null.
 */
function token(o: Record<string, unknown>): PersonalAccessTokenResponse {
  return {
    tokenID: o.tokenID as string,
    name: (o.name as string | null | undefined) ?? null,
    createdDate: utc((o.createdDate as string | null | undefined) ?? null),
    expiryDate: utc(o.expiryDate as string),
    lastUsedDate: utc((o.lastUsedDate as string | null | undefined) ?? null),
    enabled: (o.enabled as boolean | undefined) ?? DEFAULT_TOKEN_ENABLED,
    isExpired: (o.isExpired as boolean | undefined) ?? false,
    daysUntilExpiration: (o.daysUntilExpiration as number | null | undefined) ?? null,
  };
}

/** `PersonalAccessTokenResponse`, with the defaults of {@link token}. */
export function asTokenResponse(v: unknown, at = 'body'): PersonalAccessTokenResponse {
  return token(check(validateTokenResponse, 'PersonalAccessTokenResponse', v, at));
}

/** `PersonalAccessTokenCreationResponse`: a token plus its secret `token`, which must be a non-empty string. */
export function asCreationResponse(v: unknown, at = 'body'): PersonalAccessTokenCreationResponse {
  const o = check(validateCreationResponse, 'PersonalAccessTokenCreationResponse', v, at);
  return { ...token(o), token: o.token as string, notice: (o.notice as string | null | undefined) ?? null };
}

/** A token list as the program reads it: the usable entries, and why each of the others was skipped. */
export interface TokenList {
  readonly tokens: PersonalAccessTokenResponse[];
  /** As sent, else the number of usable enabled entries not yet expired by their flag. */
  readonly totalCount: number;
  /** One problem per entry left out (`body.tokens[3].tokenID is required …`), without values. */
  readonly skipped: string[];
}

/**
 * `PersonalAccessTokenListResponse`, with `tokens: null` read as an empty list. Each entry is checked on its own: one
 * the program cannot use (no `tokenID` or `expiryDate`, a field of the wrong type) is left out and named in
 * `skipped`, so one odd token made by another tool does not stop every command.
 */
export function asListResponse(v: unknown, at = 'body'): TokenList {
  const o = check(validateListResponse, 'PersonalAccessTokenListResponse', v, at);
  const tokens: PersonalAccessTokenResponse[] = [];
  const skipped: string[] = [];
  ((o.tokens as unknown[] | null) ?? []).forEach((entry, i) => {
    try {
      tokens.push(asTokenResponse(entry, `${at}.tokens[${i}]`));
    } catch (e) {
      if (!(e instanceof ShapeMismatch)) throw e;
      skipped.push(e.problem);
    }
  });
  const totalCount = typeof o.totalCount === 'number' ? o.totalCount : tokens.filter((t) => t.enabled && !t.isExpired).length;
  return { tokens, totalCount, skipped };
}

/** `TokenResponseData` (snake_case): `access_token` must be a non-empty string; the other fields may be null. */
export function asTokenResponseData(v: unknown, at = 'body'): TokenResponseData {
  const o = check(validateTokenResponseData, 'TokenResponseData', v, at);
  return {
    access_token: o.access_token as string,
    expires_in: (o.expires_in as number | null | undefined) ?? null,
    refresh_token: (o.refresh_token as string | null | undefined) ?? null,
    token_type: (o.token_type as string | null | undefined) ?? null,
  };
}

/** `ServerUser`: checks `userID` and `websiteAccess` (array or null) and returns the object as sent. */
export function asServerUser(v: unknown, at = 'body'): ServerUser {
  return check(validateServerUser, 'ServerUser', v, at) as unknown as ServerUser;
}
