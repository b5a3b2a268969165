/**
 * Checks that 2xx bodies have the fields and types the Management API's OpenAPI document promises, and returns them
 * typed. The schema (lib/schemas/api-responses.schema.json) is derived from the OpenAPI document at build time and
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

function token(o: Record<string, unknown>): PersonalAccessTokenResponse {
  return {
    tokenID: o.tokenID as string,
    name: o.name as string | null,
    createdDate: utc(o.createdDate as string),
    expiryDate: utc(o.expiryDate as string),
    lastUsedDate: utc((o.lastUsedDate as string | null | undefined) ?? null),
    enabled: o.enabled as boolean,
    isExpired: o.isExpired as boolean,
    daysUntilExpiration: o.daysUntilExpiration as number,
  };
}

/** `PersonalAccessTokenResponse`; a missing `lastUsedDate` is read as null (never used). */
export function asTokenResponse(v: unknown, at = 'body'): PersonalAccessTokenResponse {
  return token(check(validateTokenResponse, 'PersonalAccessTokenResponse', v, at));
}

/** `PersonalAccessTokenCreationResponse`: a token plus its secret `token`, which must be a non-empty string. */
export function asCreationResponse(v: unknown, at = 'body'): PersonalAccessTokenCreationResponse {
  const o = check(validateCreationResponse, 'PersonalAccessTokenCreationResponse', v, at);
  return { ...token(o), token: o.token as string, notice: (o.notice as string | null | undefined) ?? null };
}

/** `PersonalAccessTokenListResponse`, with `tokens: null` read as an empty list. */
export function asListResponse(v: unknown, at = 'body'): { tokens: PersonalAccessTokenResponse[]; totalCount: number } {
  const o = check(validateListResponse, 'PersonalAccessTokenListResponse', v, at);
  return { tokens: ((o.tokens as Record<string, unknown>[] | null) ?? []).map(token), totalCount: o.totalCount as number };
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
