import type { Dispatcher } from 'undici';
import { type Clock, systemClock } from '../core/clock';
import { BadResponseError, type HttpErrorDetails, InvalidInputError } from '../core/errors';
import { validateExpiry, validateTokenName } from '../core/validation';
import { validateBaseUrl } from './base-url';
import { errorFromResponse } from './http-errors';
import { type HttpAnswer, HttpTransport, secretForms } from './http-transport';
import type {
  PersonalAccessTokenCreationResponse,
  PersonalAccessTokenRequest,
  PersonalAccessTokenResponse,
  PersonalAccessTokenUpdateRequest,
  ServerUser,
  TokenResponseData,
} from './models';
import { ShapeMismatch, asCreationResponse, asListResponse, asServerUser, asTokenResponse, asTokenResponseData } from './response-shapes';
import type { RetryOptions } from './retry';

/** Options of {@link AgilityClient}. */
export interface AgilityClientOptions {
  /**
   * Management API base URL, e.g. `https://mgmt.aglty.io` (see `resolveBaseUrl` to derive it from an instance GUID).
   * Must be `https:`, except loopback hosts (the emulator); no credentials, query or fragment.
   */
  baseUrl: string;
  /**
   * OAuth access token (or PAT, for the routes that accept one), sent as `Authorization: Bearer`. It never
   * appears in errors or messages. Not needed for {@link AgilityClient.exchangeCode} and {@link AgilityClient.refresh}.
   * @default - no Authorization header
   */
  accessToken?: string;
  /** undici dispatcher for every request (a `MockAgent` in tests). @default - undici's global dispatcher */
  dispatcher?: Dispatcher;
  /** Clock for input validation (an expiry must be in the future and at most 2 years away), and nothing else. @default systemClock */
  clock?: Clock;
  /** Milliseconds allowed for each attempt, from sending to the end of the body. @default 30000 */
  timeoutMs?: number;
  /** Retry policy for GET and DELETE. POSTs (`createToken`, OAuth) and PUTs are never retried. @default {maxRetries: 3, baseDelayMs: 500, maxDelayMs: 30000} */
  retry?: RetryOptions;
  /** Waits between retries; tests inject one that records the delays. @default - a `setTimeout` promise */
  sleep?: (ms: number) => Promise<void>;
  /** Jitter source in [0, 1). @default Math.random */
  random?: () => number;
  /** `User-Agent` header. @default "agility-pat-cdktf" */
  userAgent?: string;
}

/** Default `User-Agent`. */
export const DEFAULT_USER_AGENT = 'agility-pat-cdktf';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

type Body = { kind: 'json'; value: unknown } | { kind: 'form'; value: Record<string, string> };

interface Call {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Route relative to the base URL, starting with `/`. */
  route: string;
  body?: Body;
  /** Send `Authorization: Bearer`; false for the OAuth routes, which take no bearer token. */
  auth: boolean;
  /** A bearer to send instead of the client's access token (a new PAT being verified); also kept out of errors. */
  bearer?: string;
  /** Values that must never show up in an error besides the access token (refresh token, authorization code). */
  extraSecrets?: string[];
}

type Answer = HttpAnswer;

/**
 * A client for the Agility Management API routes that manage Personal Access Tokens, plus `users/me` and OAuth.
 *
 * - Inputs are checked before any request (name 1–100 characters, expiry in the future and at most 2 years away,
 *   token ids must be uuids): bad input throws InvalidInputError and sends nothing.
 * - Failures are typed (lib/core/errors.ts) with `{method, path, status}` details; messages never hold the access
 *   token, an Authorization header, or a PAT secret.
 * - GET and DELETE are retried on network errors, timeouts and 408/429/500/502/503/504 with exponential backoff and
 *   full jitter, honouring `Retry-After`. POSTs are never retried: `createToken` surfaces any failure as is, since a
 *   lost answer may hide a token that was created (the caller lists before deciding). A retried DELETE that finds
 *   the token gone throws NotFoundError, which callers treat as "already revoked".
 */
export class AgilityClient {
  /** The normalised base URL every route is appended to (no trailing slash). */
  readonly baseUrl: string;
  // A private field: util.inspect and JSON.stringify of the client never show it.
  readonly #accessToken: string | undefined;
  readonly #clock: Clock;
  readonly #transport: HttpTransport;
  readonly #userAgent: string;

  /** @throws InvalidInputError for a bad base URL, access token, timeout or retry option. */
  constructor(options: AgilityClientOptions) {
    this.baseUrl = validateBaseUrl(options.baseUrl);
    const token = options.accessToken;
    if (token !== undefined && (typeof token !== 'string' || token === '' || /[\s\0]/.test(token))) {
      throw new InvalidInputError('accessToken must be a non-empty string without spaces or line breaks (the value is not shown).', {
        prop: 'accessToken',
      });
    }
    this.#accessToken = token;
    this.#clock = options.clock ?? systemClock;
    this.#transport = new HttpTransport({
      baseUrl: this.baseUrl,
      dispatcher: options.dispatcher,
      timeoutMs: options.timeoutMs,
      retry: options.retry,
      sleep: options.sleep,
      random: options.random,
    });
    this.#userAgent = options.userAgent ?? DEFAULT_USER_AGENT;
  }

  /**
   * `POST /api/v1/tokens/create`: creates a PAT and returns it with its secret (`token`), shown only this once.
   * `expiryDate` omitted or null lets Agility pick the maximum, 2 years. Never retried.
   * @throws InvalidInputError (before any request), RateLimitedError (10 active tokens, or 5 creations per hour),
   *   PatNotAllowedError, AuthFailedError, ApiError, NetworkError, TimeoutError, BadResponseError.
   */
  async createToken(req: { name: string; expiryDate?: string | Date | null }): Promise<PersonalAccessTokenCreationResponse> {
    const body: PersonalAccessTokenRequest = { name: validateTokenName(req?.name, 'name') };
    if (req.expiryDate !== undefined && req.expiryDate !== null) {
      body.expiryDate = new Date(validateExpiry(req.expiryDate, this.#clock(), 'expiryDate')).toISOString();
    }
    const call: Call = { method: 'POST', route: '/api/v1/tokens/create', body: { kind: 'json', value: body }, auth: true };
    const answer = await this.#send(call);
    return this.#shape(call, answer, asCreationResponse);
  }

  /** `GET /api/v1/tokens/list`: the caller's tokens (never their secrets); `tokens: null` is returned as `[]`. */
  async listTokens(): Promise<{ tokens: PersonalAccessTokenResponse[]; totalCount: number }> {
    const call: Call = { method: 'GET', route: '/api/v1/tokens/list', auth: true };
    return this.#shape(call, await this.#send(call), asListResponse);
  }

  /** `GET /api/v1/tokens/{tokenId}`. @throws NotFoundError for an unknown, foreign or revoked token. */
  async getToken(tokenId: string): Promise<PersonalAccessTokenResponse> {
    const call: Call = { method: 'GET', route: `/api/v1/tokens/${checkTokenId(tokenId)}`, auth: true };
    return this.#shape(call, await this.#send(call), asTokenResponse);
  }

  /**
   * `PUT /api/v1/tokens/{tokenId}/update`: renames and/or enables or disables a token (the expiry cannot change).
   * At least one of `name`, `enabled` must be given. Not retried.
   */
  async updateToken(tokenId: string, req: PersonalAccessTokenUpdateRequest): Promise<PersonalAccessTokenResponse> {
    const id = checkTokenId(tokenId);
    const body: PersonalAccessTokenUpdateRequest = {};
    if (req?.name !== undefined && req.name !== null) body.name = validateTokenName(req.name, 'name');
    if (req?.enabled !== undefined && req.enabled !== null) {
      if (typeof req.enabled !== 'boolean') {
        throw new InvalidInputError(`enabled must be true or false, got ${JSON.stringify(req.enabled)}.`, { prop: 'enabled' });
      }
      body.enabled = req.enabled;
    }
    if (Object.keys(body).length === 0) {
      throw new InvalidInputError('updateToken needs a new name or an enabled flag; nothing to change was given.', { prop: 'update' });
    }
    const call: Call = { method: 'PUT', route: `/api/v1/tokens/${id}/update`, body: { kind: 'json', value: body }, auth: true };
    return this.#shape(call, await this.#send(call), asTokenResponse);
  }

  /**
   * `DELETE /api/v1/tokens/{tokenId}/delete`: revokes a token (a soft delete; it cannot be restored). Retried like
   * reads; a 404 (including one after a retry whose first answer was lost) throws NotFoundError, meaning the token
   * is gone already.
   */
  async revokeToken(tokenId: string): Promise<void> {
    const call: Call = { method: 'DELETE', route: `/api/v1/tokens/${checkTokenId(tokenId)}/delete`, auth: true };
    await this.#send(call);
  }

  /** `GET /api/v1/users/me`: the signed-in user and the instances they can reach. Accepts OAuth tokens and PATs. */
  async me(): Promise<ServerUser> {
    const call: Call = { method: 'GET', route: '/api/v1/users/me', auth: true };
    return this.#shape(call, await this.#send(call), asServerUser);
  }

  /**
   * `GET /api/v1/users/me` with `secret` (a PAT) as the bearer instead of the client's credential: who the token
   * authenticates as. The secret appears in no error.
   */
  async meWithToken(secret: string): Promise<ServerUser> {
    if (typeof secret !== 'string' || secret === '' || /[\s\0]/.test(secret)) {
      throw new InvalidInputError('the token to check must be a non-empty string without spaces or line breaks (the value is not shown).', {
        prop: 'secret',
      });
    }
    const call: Call = { method: 'GET', route: '/api/v1/users/me', auth: true, bearer: secret, extraSecrets: [secret] };
    return this.#shape(call, await this.#send(call), asServerUser);
  }

  /** `POST /oauth/token` with the form field `code`: exchanges an authorization code for an OAuth session. Not retried. */
  async exchangeCode(code: string): Promise<TokenResponseData> {
    if (typeof code !== 'string' || code.trim() === '') {
      throw new InvalidInputError('the OAuth authorization code must be a non-empty string.', { prop: 'code' });
    }
    const call: Call = {
      method: 'POST',
      route: '/oauth/token',
      body: { kind: 'form', value: { code } },
      auth: false,
      extraSecrets: [code],
    };
    return this.#shape(call, await this.#send(call), asTokenResponseData);
  }

  /**
   * `POST /oauth/refresh` with the form field `refresh_token` (in the body, never the URL, so it stays out of logs).
   * Agility may rotate the refresh token: store the `refresh_token` of the answer when it has one. Not retried.
   */
  async refresh(refreshToken: string): Promise<TokenResponseData> {
    if (typeof refreshToken !== 'string' || refreshToken.trim() === '') {
      throw new InvalidInputError('the OAuth refresh token must be a non-empty string (the value is not shown).', { prop: 'refreshToken' });
    }
    const call: Call = {
      method: 'POST',
      route: '/oauth/refresh',
      body: { kind: 'form', value: { refresh_token: refreshToken } },
      auth: false,
      extraSecrets: [refreshToken],
    };
    return this.#shape(call, await this.#send(call), asTokenResponseData);
  }

  /**
   * `POST /oauth/CliPoll` with the form field `cliCode`: what Agility's own CLI polls after its browser sign-in
   * (not in Agility's API document; docs/oauth.md). Answers the session once the sign-in is complete and a 4xx
   * before it. Not retried: the caller polls.
   */
  async cliPoll(cliCode: string): Promise<TokenResponseData> {
    if (typeof cliCode !== 'string' || !/^[0-9a-z]{1,64}$/i.test(cliCode)) {
      throw new InvalidInputError('the CLI code must be 1 to 64 letters or digits.', { prop: 'cliCode' });
    }
    const call: Call = { method: 'POST', route: '/oauth/CliPoll', body: { kind: 'form', value: { cliCode } }, auth: false };
    return this.#shape(call, await this.#send(call), asTokenResponseData);
  }

  /** The values no error may contain. */
  #secrets(call: Call): string[] {
    return secretForms([this.#accessToken, ...(call.extraSecrets ?? [])]);
  }

  #path(call: Call): string {
    return this.#transport.path(call);
  }

  #details(call: Call, status?: number): HttpErrorDetails {
    return this.#transport.details(call, status);
  }

  /** Checks a 2xx answer's body against the API document's shape; a mismatch is a BadResponseError. */
  #shape<T>(call: Call, answer: Answer, as: (v: unknown) => T): T {
    const what = `${call.method} ${this.#path(call)}`;
    if (!answer.isJson) {
      throw new BadResponseError(
        `${what} answered ${answer.status} with a body that is not JSON${answer.bodyText.trim() === '' ? ' (it was empty)' : ''}; ` +
          `check that baseUrl (${this.baseUrl}) points at the Agility Management API and not at a proxy or login page.`,
        this.#details(call, answer.status),
      );
    }
    try {
      return as(answer.json);
    } catch (e) {
      if (!(e instanceof ShapeMismatch)) throw e;
      throw new BadResponseError(
        `${what} answered ${answer.status} with JSON that does not match Agility's API document: ${e.problem}. ` +
          `Check that baseUrl (${this.baseUrl}) points at the Agility Management API; if it does, the API has changed.`,
        { ...this.#details(call, answer.status), problem: e.problem },
      );
    }
  }

  /** Sends a call, retrying GET and DELETE on transient failures; returns a 2xx answer or throws a typed error. */
  async #send(call: Call): Promise<Answer> {
    const headers: Record<string, string> = {
      accept: 'application/json',
      'cache-control': 'no-cache',
      'user-agent': this.#userAgent,
    };
    const bearer = call.bearer ?? this.#accessToken;
    if (call.auth && bearer) headers.authorization = `Bearer ${bearer}`;
    let body: string | undefined;
    if (call.body?.kind === 'json') {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(call.body.value);
    } else if (call.body?.kind === 'form') {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(call.body.value).toString();
    }
    const secrets = this.#secrets(call);
    return this.#transport.send(
      { method: call.method, route: call.route, headers, body, retryable: call.method === 'GET' || call.method === 'DELETE', secrets },
      (answer, retryAfterSeconds) =>
        errorFromResponse({ method: call.method, path: this.#path(call), route: call.route, ...answer, retryAfterSeconds }, secrets),
    );
  }
}

/** Token ids are uuids (`tokenID`); anything else is refused before a request is built from it. */
function checkTokenId(tokenId: string): string {
  if (typeof tokenId !== 'string' || !UUID.test(tokenId)) {
    // Long values are not echoed: a secret pasted in the wrong place must not end up in a message.
    const shown =
      typeof tokenId === 'string' && tokenId.length <= 64
        ? JSON.stringify(tokenId)
        : typeof tokenId === 'string'
          ? `a ${tokenId.length}-character string`
          : typeof tokenId;
    throw new InvalidInputError(
      `tokenId must be a token's uuid (tokenID), such as 3f2504e0-4f89-41d3-9a0c-0305e82c3301, got ${shown}; list the tokens to find it.`,
      { prop: 'tokenId' },
    );
  }
  return tokenId;
}
