/**
 * Turns a non-2xx Management API response into the typed error of lib/core/errors.ts.
 *
 * Only 401 bodies are specified (RFC 7807 ProblemDetails); the others are read defensively from
 * `detail|message|title|error` or plain text (docs/design.md, "Facts"), redacted, and cut to 300 characters.
 */
import {
  type AgilityPatError,
  ApiError,
  AuthFailedError,
  ForbiddenError,
  type HttpErrorDetails,
  NotFoundError,
  PatNotAllowedError,
  type RateLimitKind,
  RateLimitedError,
} from '../core/errors';
import { MAX_ACTIVE_TOKENS_PER_USER, MAX_CREATIONS_PER_HOUR } from '../core/limits';
import { printable } from '../core/printable';
import { scrubText } from '../core/redact';

/** Longest excerpt of an error body that goes into a message. */
export const MAX_DETAIL_LENGTH = 300;

/** Path prefix of the token routes, which Agility refuses (403) to PAT callers. */
export const TOKENS_ROUTE_PREFIX = '/api/v1/tokens/';

/** What the client knows about a finished HTTP exchange when it maps a failure. */
export interface FailedResponse {
  method: string;
  /** URL path as sent, without host or query. */
  path: string;
  /** The route relative to the base URL, e.g. `/api/v1/tokens/create`. */
  route: string;
  status: number;
  headers: Record<string, string | string[] | undefined>;
  bodyText: string;
  /** The parsed body when it was JSON, else undefined. */
  json: unknown;
  /** Seconds from `Retry-After`, already parsed. */
  retryAfterSeconds: number | undefined;
}

/**
 * The human part of an error body: the first string among `detail`, `message`, `title`, `error` of a JSON object,
 * a JSON string, or the plain text; whitespace collapsed, secrets redacted, control and invisible characters escaped
 * (`printable`), then cut to {@link MAX_DETAIL_LENGTH} (redacting first, so a cut can never leave part of a secret
 * behind). `undefined` when there is nothing to show.
 */
export function readErrorDetail(json: unknown, bodyText: string, secrets: Iterable<string | undefined | null>): string | undefined {
  let text: string | undefined;
  if (typeof json === 'string') text = json;
  else if (typeof json === 'object' && json !== null && !Array.isArray(json)) {
    const o = json as Record<string, unknown>;
    for (const key of ['detail', 'message', 'title', 'error']) {
      if (typeof o[key] === 'string' && (o[key] as string).trim() !== '') {
        text = o[key] as string;
        break;
      }
    }
  } else if (json === undefined) text = bodyText;
  if (text === undefined) return undefined;
  // Escaped after the whitespace is collapsed: the text goes into messages printed on a terminal.
  const clean = printable(scrubText(text, secrets).replace(/\s+/g, ' ').trim());
  if (clean === '') return undefined;
  return clean.length > MAX_DETAIL_LENGTH ? `${clean.slice(0, MAX_DETAIL_LENGTH - 1)}…` : clean;
}

/**
 * Which Agility limit a 429 body talks about. Agility does not document these bodies, so this reads words:
 * "token limit", "active" or the number 10 → `active-tokens`; "per hour", "rate limit" or the number 5 →
 * `creations-per-hour`; anything else → `unknown`.
 */
export function classifyRateLimit(text: string): RateLimitKind {
  const t = text.toLowerCase();
  if (/token limit|\bactive\b/.test(t)) return 'active-tokens';
  if (/per hour|rate limit|an hour|hourly/.test(t)) return 'creations-per-hour';
  if (new RegExp(`\\b${MAX_ACTIVE_TOKENS_PER_USER}\\b`).test(t)) return 'active-tokens';
  if (new RegExp(`\\b${MAX_CREATIONS_PER_HOUR}\\b`).test(t)) return 'creations-per-hour';
  return 'unknown';
}

function requestId(headers: FailedResponse['headers']): string | undefined {
  for (const name of ['x-request-id', 'request-id', 'x-ms-request-id']) {
    const v = headers[name];
    const s = Array.isArray(v) ? v[0] : v;
    // Only short, plain ids: a header is server-controlled text and must not smuggle anything into messages.
    if (s && /^[\w.:-]{1,100}$/.test(s)) return s;
  }
  return undefined;
}

function retryIn(seconds: number | undefined, otherwise: string): string {
  return seconds === undefined ? otherwise : `retry in ${seconds} second${seconds === 1 ? '' : 's'} (Agility's Retry-After)`;
}

/** What every error of one failed response shares: the call's name, Agility's redacted words, and the details. */
interface FailureContext {
  /** `METHOD /path`. */
  readonly what: string;
  /** ` Agility said: "…".`, or empty. */
  readonly said: string;
  readonly detail: string | undefined;
  readonly details: HttpErrorDetails;
  readonly isTokensRoute: boolean;
  readonly secrets: readonly (string | undefined | null)[];
}

/** Step 1: read the body's detail (redacted) and the request id once, for whichever error the status calls for. */
function failureContext(res: FailedResponse, secrets: Iterable<string | undefined | null>): FailureContext {
  const secretList = [...secrets];
  const detail = readErrorDetail(res.json, res.bodyText, secretList);
  const details: HttpErrorDetails = { method: res.method, path: res.path, status: res.status };
  const id = requestId(res.headers);
  if (id) details.requestId = id;
  if (detail) details.agilityDetail = detail;
  return {
    what: `${res.method} ${res.path}`,
    said: detail ? ` Agility said: "${detail}".` : '',
    detail,
    details,
    isTokensRoute: res.route.startsWith(TOKENS_ROUTE_PREFIX),
    secrets: secretList,
  };
}

const authFailed = (_res: FailedResponse, { what, said, details }: FailureContext): AgilityPatError =>
  new AuthFailedError(
    `${what} failed: the Agility credential was refused (401): it is missing, wrong or expired; sign in again ` +
      `to get a fresh OAuth access token (they last about an hour), or check the token you configured, then retry.${said}`,
    details,
  );

const forbidden = (_res: FailedResponse, { what, said, details, isTokensRoute }: FailureContext): AgilityPatError =>
  isTokensRoute
    ? new PatNotAllowedError(
        `${what} was refused (403): this credential is a Personal Access Token; Agility only lets OAuth sessions manage tokens. ` +
          `Sign in with OAuth and use that session's access token to create, list, update or revoke tokens; ` +
          `PATs work for the other Management API calls.${said}`,
        details,
      )
    : new ForbiddenError(
        `${what} was refused (403): the credential is valid but its user lacks permission for this request; ` +
          `use an account with access to it.${said}`,
        details,
      );

const notFound = (_res: FailedResponse, { what, said, details, isTokensRoute }: FailureContext): AgilityPatError =>
  new NotFoundError(
    isTokensRoute
      ? `${what} failed (404): the token does not exist, belongs to another user, or was already revoked; list the tokens to see the current ones.${said}`
      : `${what} failed (404): Agility has no such resource; check the base URL and the id.${said}`,
    details,
  );

const rateLimited = (res: FailedResponse, { what, said, details, detail, secrets }: FailureContext): AgilityPatError => {
  const limit =
    res.method === 'POST' && res.route === `${TOKENS_ROUTE_PREFIX}create`
      ? classifyRateLimit(`${detail ?? ''} ${scrubText(res.bodyText, secrets)}`)
      : 'unknown';
  const rateDetails = {
    ...details,
    limit,
    ...(res.retryAfterSeconds !== undefined ? { retryAfterSeconds: res.retryAfterSeconds } : {}),
  };
  const why =
    limit === 'active-tokens'
      ? `a user may have at most ${MAX_ACTIVE_TOKENS_PER_USER} active tokens. Revoke tokens you no longer need (or wait for one to expire), then ${retryIn(res.retryAfterSeconds, 'retry')}.`
      : limit === 'creations-per-hour'
        ? `Agility allows at most ${MAX_CREATIONS_PER_HOUR} token creations per hour for a user; ${retryIn(res.retryAfterSeconds, 'retry when an hour has passed since the earliest of the recent creations')}.`
        : `Agility's rate limit was hit; ${retryIn(res.retryAfterSeconds, 'wait a while and retry')}.`;
  return new RateLimitedError(`${what} was refused (429, limit: ${limit}): ${why}${said}`, rateDetails);
};

const otherStatus = (res: FailedResponse, { what, said, details }: FailureContext): AgilityPatError => {
  const why =
    res.status === 400
      ? 'Agility rejected the request as invalid (400); check the values sent.'
      : res.status >= 500
        ? `Agility had a server-side problem (${res.status}); retry later.`
        : `Agility answered with unexpected HTTP status ${res.status}.`;
  return new ApiError(`${what} failed: ${why}${said}`, details);
};

/** Step 2: the error of each status that has its own; {@link otherStatus} for the rest. */
const ERROR_OF_STATUS: Readonly<Record<number, (res: FailedResponse, ctx: FailureContext) => AgilityPatError>> = {
  401: authFailed,
  403: forbidden,
  404: notFound,
  429: rateLimited,
};

/**
 * The typed error for a non-2xx response: 401 → AuthFailedError; 403 on a `/api/v1/tokens/…` route →
 * PatNotAllowedError, elsewhere ForbiddenError; 404 → NotFoundError; 429 → RateLimitedError (with the limit and
 * `Retry-After`); anything else → ApiError. Details carry `{method, path, status}` and, when known, `requestId`
 * and the redacted `agilityDetail`.
 */
export function errorFromResponse(res: FailedResponse, secrets: Iterable<string | undefined | null>): AgilityPatError {
  return (ERROR_OF_STATUS[res.status] ?? otherStatus)(res, failureContext(res, secrets));
}
