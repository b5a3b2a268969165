import { randomUUID } from 'node:crypto';
import type {
  PersonalAccessTokenCreationResponse,
  PersonalAccessTokenListResponse,
  PersonalAccessTokenResponse,
  ServerUser,
  TokenResponseData,
  WebsiteListing,
} from '../api/models';
import type { Clock } from '../core/clock';
import { isAgilityPatError } from '../core/errors';
import { MAX_ACTIVE_TOKENS_PER_USER, MAX_CREATIONS_PER_HOUR, maxExpiryFor } from '../core/limits';
import { validateExpiry, validateTokenName } from '../core/validation';
import { hashSecret, type SecretMinter } from './jwt';

/**
 * The emulator's model of the Agility Management API: users, Personal Access Tokens, OAuth sessions and
 * the rules between them (docs/design.md, "Facts"). No HTTP here: the server maps
 * a {@link RuleViolation}'s `kind` to a status. Time comes from the clock parameter only.
 *
 * Secrets are never stored: tokens and sessions are found by the SHA-256 of the bearer value.
 */

/** Seconds an OAuth access token lives ("about an hour", docs/design.md, "Facts"). */
export const ACCESS_TOKEN_LIFETIME_SECONDS = 3600;
/** Seconds an OAuth refresh token lives (undocumented upstream; the emulator's choice). */
export const REFRESH_TOKEN_LIFETIME_SECONDS = 30 * 24 * 3600;
/** The user any non-empty authorization code signs in, and whom `GET /oauth/Authorize` signs in without a `login_hint`. */
export const DEFAULT_USER_EMAIL = 'developer@example.com';
/** Seconds an authorization code from `/oauth/Authorize`, and a CLI sign-in waiting to be collected, stay usable. */
export const SIGN_IN_LIFETIME_SECONDS = 600;
/** The `state` of a CLI sign-in, as Agility's CLI sends it: `cli-code.<code>`. */
const CLI_STATE = /^cli-code\.([0-9a-z]{1,64})$/i;
/** The sample instance every emulator user can reach (a `-u` suffix: the US host). */
export const SAMPLE_INSTANCE_GUID = '1234abcd-u';
/** `notice` of every create response. */
export const CREATION_NOTICE = 'Store this token securely. It will not be shown again.';
/** 403 detail on every `/api/v1/tokens` route (and instance user writes) for a PAT caller. */
export const PAT_NOT_ALLOWED_DETAIL = 'PAT authentication not allowed for this endpoint';
/** 429 detail when the user already holds the maximum of active tokens. */
export const TOKEN_LIMIT_DETAIL = `Token limit reached: a user may have at most ${MAX_ACTIVE_TOKENS_PER_USER} active tokens`;
/** 429 detail when the user made the maximum of creations in the last rolling hour. */
export const RATE_LIMIT_DETAIL = `Rate limit exceeded: at most ${MAX_CREATIONS_PER_HOUR} tokens may be created per hour`;
/** 400 detail when an update tries to enable an expired token. */
export const EXPIRED_REENABLE_DETAIL = 'Expired tokens cannot be re-enabled';

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A signed-in Agility user. */
export interface UserRecord {
  userID: number;
  emailAddress: string;
  createdMs: number;
}

/** A Personal Access Token as the server keeps it: the secret only as its hash. */
export interface PatRecord {
  tokenID: string;
  userID: number;
  name: string;
  createdMs: number;
  expiryMs: number;
  lastUsedMs: number | null;
  enabled: boolean;
  /** Set by revoke (a soft delete: the record stays for audit). */
  revokedMs: number | null;
  secretHash: string;
}

/** An OAuth access or refresh token, by hash. */
export interface SessionRecord {
  hash: string;
  userID: number;
  expiresMs: number;
}

/** Who a bearer value belongs to, decided without side effects by {@link EmulatorState.identify}. */
export type Identity =
  | { kind: 'none' }
  | { kind: 'invalid'; reason: string }
  | { kind: 'oauth'; user: UserRecord }
  | { kind: 'pat'; user: UserRecord; token: PatRecord };

/** An authenticated caller. */
export type Caller = Extract<Identity, { kind: 'oauth' | 'pat' }>;

/** The HTTP-independent class of a refused request; the server maps it to 400, 401, 404, 410 or 429. */
export type RuleViolationKind = 'bad-request' | 'unauthorized' | 'not-found' | 'gone' | 'rate-limited';

/** A request the API's rules refuse. `detail` is safe to send: it never holds a secret. */
export class RuleViolation extends Error {
  constructor(
    readonly kind: RuleViolationKind,
    readonly detail: string,
    readonly extra: { field?: string; retryAfterSeconds?: number; limit?: 'active-tokens' | 'creations-per-hour' } = {},
  ) {
    super(detail);
    this.name = 'RuleViolation';
  }
}

/** A CLI sign-in: started by `/oauth/Authorize`, signed in by `/oauth/CliAuth`, collected by `/oauth/CliPoll`. */
type CliSignIn =
  | { status: 'started'; expiresMs: number }
  | { status: 'collected'; expiresMs: number }
  | { status: 'signed-in'; userID: number; offline: boolean; expiresMs: number };

/** Body fields of `POST /api/v1/tokens/create`, keys already matched case-insensitively; values unchecked. */
export interface CreateTokenInput {
  name?: unknown;
  expiryDate?: unknown;
}

/** Body fields of `PUT /api/v1/tokens/{tokenId}/update`; values unchecked. */
export interface UpdateTokenInput {
  name?: unknown;
  enabled?: unknown;
}

/** What the state file holds (format version 1): everything but secrets, the request log and faults. */
export interface StateSnapshot {
  version: 1;
  /** The frozen emulator clock, ISO-8601, or null while it follows real time. */
  clock: string | null;
  nextUserID: number;
  users: Array<{ userID: number; emailAddress: string; createdDate: string }>;
  tokens: Array<{
    tokenID: string;
    userID: number;
    name: string;
    createdDate: string;
    expiryDate: string;
    lastUsedDate: string | null;
    enabled: boolean;
    revokedDate: string | null;
    secretHash: string;
  }>;
  accessTokens: Array<{ hash: string; userID: number; expiresAt: string }>;
  refreshTokens: Array<{ hash: string; userID: number; expiresAt: string }>;
}

const iso = (ms: number): string => new Date(ms).toISOString();

function toMs(value: unknown, what: string): number {
  const ms = typeof value === 'string' ? Date.parse(value) : NaN;
  if (Number.isNaN(ms)) throw new TypeError(`${what} is not an ISO-8601 date: ${JSON.stringify(value)}`);
  return ms;
}

/** Turns a core validation error into a 400 naming the body field, ASP.NET style (`Name`, `ExpiryDate`). */
function asBadRequest(e: unknown, field: string): never {
  if (isAgilityPatError(e)) throw new RuleViolation('bad-request', e.message, { field });
  throw e;
}

/** The Agility rules over one emulator's users, tokens and sessions. */
export class EmulatorState {
  private readonly users = new Map<string, UserRecord>();
  private readonly usersById = new Map<number, UserRecord>();
  private readonly tokens: PatRecord[] = [];
  private readonly tokensByHash = new Map<string, PatRecord>();
  private readonly accessTokens = new Map<string, SessionRecord>();
  private readonly refreshTokens = new Map<string, SessionRecord>();
  /** Authorization codes from `/oauth/Authorize` by hash: single use, in memory only (they live minutes). */
  private readonly authCodes = new Map<string, { userID: number; offline: boolean; expiresMs: number }>();
  /** CLI sign-ins by code (the `X` of `state=cli-code.X`), in memory only. */
  private readonly cliSignIns = new Map<string, CliSignIn>();
  private nextUserID = 1;
  private revisionCount = 0;

  /**
   * @param now the emulator clock.
   * @param minter makes (and remembers) every secret this state hands out.
   * @param snapshot a state file's content to start from. @default - empty
   */
  /**
   * Propagation delay (the `POST /__emulator/pat-activation` fault): a PAT younger than this many seconds of emulator
   * time is refused with 401 everywhere, as a new token that has not reached every server yet. 0: active at once.
   */
  patActivationSeconds = 0;

  constructor(
    private readonly now: Clock,
    private readonly minter: SecretMinter,
    snapshot?: StateSnapshot,
  ) {
    if (snapshot) this.load(snapshot);
  }

  /** Grows by one on every change, so the server knows when to write the state file. */
  get revision(): number {
    return this.revisionCount;
  }

  // ---- OAuth -------------------------------------------------------------------------------------

  /**
   * `POST /oauth/token`: any non-empty code signs in the default user, `user:<email>` that user (created on
   * first sign-in). Returns a fresh access token (1 hour) and refresh token (30 days).
   */
  signIn(code: unknown): TokenResponseData {
    if (typeof code !== 'string' || code.trim() === '') {
      throw new RuleViolation('bad-request', 'The form field "code" is required: send the authorization code from /oauth/authorize.', {
        field: 'code',
      });
    }
    const issued = this.takeAuthCode(code.trim());
    if (issued) return this.issueSession(issued.user, issued.offline);
    const match = /^user:(.+)$/i.exec(code.trim());
    const email = match ? match[1].trim().toLowerCase() : DEFAULT_USER_EMAIL;
    return this.issueSession(this.userFor(email));
  }

  /**
   * `GET /oauth/Authorize`: signs in at once (`login_hint`, else {@link DEFAULT_USER_EMAIL}: the emulator has no
   * password page) and returns where to redirect: `redirect_uri` with `code` and `state` added. A `state` of the
   * form `cli-code.X` starts a CLI sign-in for X, which `/oauth/CliPoll` then knows. A refresh token is issued only
   * when `scope` holds `offline_access`, as Agility's SDKs document.
   */
  authorize(input: { responseType?: string; redirectUri?: string; state?: string; scope?: string; loginHint?: string }): string {
    if (input.responseType !== 'code') {
      throw new RuleViolation('bad-request', `response_type must be "code", got ${JSON.stringify(input.responseType ?? null)}.`, {
        field: 'response_type',
      });
    }
    let redirect: URL;
    try {
      redirect = new URL(input.redirectUri ?? '');
      if (redirect.protocol !== 'http:' && redirect.protocol !== 'https:') throw new TypeError('not http');
    } catch {
      throw new RuleViolation('bad-request', 'redirect_uri must be an absolute http(s) URL.', { field: 'redirect_uri' });
    }
    const email = (input.loginHint?.trim() || DEFAULT_USER_EMAIL).toLowerCase();
    const user = this.userFor(email);
    const offline = (input.scope ?? '').split(/\s+/).includes('offline_access');
    const code = this.minter.refreshToken();
    const expiresMs = this.now() + SIGN_IN_LIFETIME_SECONDS * 1000;
    this.authCodes.set(hashSecret(code), { userID: user.userID, offline, expiresMs });
    const cli = CLI_STATE.exec(input.state ?? '');
    if (cli && !this.cliSignIns.has(cli[1])) this.cliSignIns.set(cli[1], { status: 'started', expiresMs });
    redirect.searchParams.set('code', code);
    if (input.state !== undefined) redirect.searchParams.set('state', input.state);
    return redirect.toString();
  }

  /**
   * `GET /oauth/CliAuth`: the redirect of a CLI sign-in. Trades the authorization code for the sign-in of the CLI
   * code in `state` (`cli-code.X`), which `/oauth/CliPoll` then hands out once. Returns the signed-in email.
   */
  cliAuth(code: string | undefined, state: string | undefined): string {
    const cli = CLI_STATE.exec(state ?? '');
    if (!cli) throw new RuleViolation('bad-request', 'state must be "cli-code.<code>", as /oauth/Authorize was given.', { field: 'state' });
    const issued = code ? this.takeAuthCode(code) : undefined;
    if (!issued) {
      throw new RuleViolation('bad-request', 'code is missing, unknown, already used or expired: start the sign-in again.', {
        field: 'code',
      });
    }
    const current = this.cliSignIns.get(cli[1]);
    if (current && current.status !== 'started') {
      throw new RuleViolation('bad-request', `The CLI code ${cli[1]} has already been signed in: start the sign-in again.`, {
        field: 'state',
      });
    }
    this.cliSignIns.set(cli[1], {
      status: 'signed-in',
      userID: issued.user.userID,
      offline: issued.offline,
      expiresMs: this.now() + SIGN_IN_LIFETIME_SECONDS * 1000,
    });
    return issued.user.emailAddress;
  }

  /**
   * `POST /oauth/CliPoll`: the session of a completed CLI sign-in, once. Before the sign-in (400), after it has
   * been collected (410), and for a code no `/oauth/Authorize` started (404), a clear 4xx.
   */
  cliPoll(cliCode: unknown): { session: TokenResponseData; email: string } {
    if (typeof cliCode !== 'string' || cliCode.trim() === '') {
      throw new RuleViolation('bad-request', 'The form field "cliCode" is required.', { field: 'cliCode' });
    }
    const entry = this.cliSignIns.get(cliCode.trim());
    if (!entry || entry.expiresMs <= this.now()) {
      throw new RuleViolation('not-found', 'Unknown or expired CLI code: start the sign-in again (GET /oauth/Authorize).');
    }
    if (entry.status === 'started') {
      throw new RuleViolation(
        'bad-request',
        'The sign-in for this CLI code is not complete yet: finish it in the browser, then poll again.',
        {
          field: 'cliCode',
        },
      );
    }
    if (entry.status === 'collected') {
      throw new RuleViolation('gone', 'The sign-in for this CLI code has already been collected: start the sign-in again.');
    }
    const user = this.usersById.get(entry.userID);
    if (!user) throw new RuleViolation('not-found', 'The CLI sign-in belongs to no known user: start the sign-in again.');
    this.cliSignIns.set(cliCode.trim(), { status: 'collected', expiresMs: entry.expiresMs });
    return { session: this.issueSession(user, entry.offline), email: user.emailAddress };
  }

  /**
   * `POST /oauth/refresh`: trades a live refresh token for a new access token and a NEW refresh token; the
   * old refresh token stops working (rotation).
   */
  refresh(refreshToken: unknown): TokenResponseData {
    if (typeof refreshToken !== 'string' || refreshToken === '') {
      throw new RuleViolation('bad-request', 'refresh_token is required (query string, form field or JSON body).', {
        field: 'refresh_token',
      });
    }
    const hash = hashSecret(refreshToken);
    const record = this.refreshTokens.get(hash);
    if (!record || record.expiresMs <= this.now()) {
      throw new RuleViolation('unauthorized', 'The refresh token is unknown, already used or expired. Sign in again.');
    }
    this.refreshTokens.delete(hash);
    const user = this.usersById.get(record.userID);
    if (!user) throw new RuleViolation('unauthorized', 'The refresh token belongs to no known user. Sign in again.');
    return this.issueSession(user);
  }

  // ---- Authentication ----------------------------------------------------------------------------

  /** Who an `Authorization` header value speaks for, with no side effect (the request log uses this). */
  identify(authorization: string | undefined): Identity {
    if (authorization === undefined || authorization === '') return { kind: 'none' };
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (!m) return { kind: 'invalid', reason: 'The Authorization header must be "Bearer <token>".' };
    const hash = hashSecret(m[1]);
    const now = this.now();
    const session = this.accessTokens.get(hash);
    if (session) {
      const user = this.usersById.get(session.userID);
      if (session.expiresMs <= now) return { kind: 'invalid', reason: 'The access token has expired. Refresh it or sign in again.' };
      if (user) return { kind: 'oauth', user };
    }
    const token = this.tokensByHash.get(hash);
    if (token) {
      const user = this.usersById.get(token.userID);
      if (token.revokedMs !== null) return { kind: 'invalid', reason: 'The personal access token has been revoked.' };
      if (token.expiryMs <= now) return { kind: 'invalid', reason: 'The personal access token has expired.' };
      if (!token.enabled) return { kind: 'invalid', reason: 'The personal access token is disabled.' };
      if (now - token.createdMs < this.patActivationSeconds * 1000) {
        return { kind: 'invalid', reason: 'The personal access token is not active yet.' };
      }
      if (user) return { kind: 'pat', user, token };
    }
    return { kind: 'invalid', reason: 'The bearer token is not valid.' };
  }

  /**
   * Authenticates an API call: like {@link identify}, but a PAT's `lastUsedDate` becomes now ("last time
   * the token was used for authentication"). Throws an `unauthorized` RuleViolation when there is no valid
   * credential.
   */
  authenticate(authorization: string | undefined): Caller {
    const identity = this.identify(authorization);
    if (identity.kind === 'none') throw new RuleViolation('unauthorized', 'Authentication required: send "Authorization: Bearer <token>".');
    if (identity.kind === 'invalid') throw new RuleViolation('unauthorized', identity.reason);
    if (identity.kind === 'pat') {
      identity.token.lastUsedMs = this.now();
      this.changed();
    }
    return identity;
  }

  // ---- Personal Access Tokens --------------------------------------------------------------------

  /**
   * `POST /api/v1/tokens/create`: checks the name (1–100 characters) and expiry (future, at most two
   * calendar years away; omitted or null means exactly two years), then the limits (10 active tokens,
   * 5 creations per rolling hour), and returns the only response that carries the secret.
   */
  createToken(user: UserRecord, input: CreateTokenInput): PersonalAccessTokenCreationResponse {
    const now = this.now();
    let name: string;
    try {
      name = validateTokenName(input.name, 'name');
    } catch (e) {
      asBadRequest(e, 'Name');
    }
    let expiryMs: number;
    if (input.expiryDate === undefined || input.expiryDate === null) {
      expiryMs = maxExpiryFor(now);
    } else if (typeof input.expiryDate !== 'string') {
      throw new RuleViolation('bad-request', `expiryDate must be an ISO-8601 date-time string or null, got ${typeof input.expiryDate}.`, {
        field: 'ExpiryDate',
      });
    } else {
      try {
        expiryMs = validateExpiry(input.expiryDate, now, 'expiryDate');
      } catch (e) {
        asBadRequest(e, 'ExpiryDate');
      }
    }

    const mine = this.tokens.filter((t) => t.userID === user.userID);
    if (mine.filter((t) => this.isActive(t, now)).length >= MAX_ACTIVE_TOKENS_PER_USER) {
      throw new RuleViolation('rate-limited', TOKEN_LIMIT_DETAIL, { limit: 'active-tokens' });
    }
    const inWindow = mine.filter((t) => t.createdMs > now - HOUR_MS).map((t) => t.createdMs);
    if (inWindow.length >= MAX_CREATIONS_PER_HOUR) {
      const oldest = Math.min(...inWindow);
      const retryAfterSeconds = Math.max(1, Math.ceil((oldest + HOUR_MS - now) / 1000));
      throw new RuleViolation('rate-limited', RATE_LIMIT_DETAIL, { limit: 'creations-per-hour', retryAfterSeconds });
    }

    const tokenID = randomUUID();
    const secret = this.minter.pat(user.userID, tokenID, now, expiryMs);
    const record: PatRecord = {
      tokenID,
      userID: user.userID,
      name,
      createdMs: now,
      expiryMs,
      lastUsedMs: null,
      enabled: true,
      revokedMs: null,
      secretHash: hashSecret(secret),
    };
    this.tokens.push(record);
    this.tokensByHash.set(record.secretHash, record);
    this.changed();
    return { ...this.view(record, now), token: secret, notice: CREATION_NOTICE };
  }

  /**
   * `GET /api/v1/tokens/list`: the caller's tokens that are not revoked (expired ones included, with
   * `isExpired: true`), oldest first; `totalCount` counts only active ones. Never a secret.
   */
  listTokens(user: UserRecord): PersonalAccessTokenListResponse {
    const now = this.now();
    const visible = this.tokens.filter((t) => t.userID === user.userID && t.revokedMs === null);
    // Array.prototype.sort is stable, so tokens created in the same instant keep their creation order.
    visible.sort((a, b) => a.createdMs - b.createdMs);
    return { tokens: visible.map((t) => this.view(t, now)), totalCount: visible.filter((t) => this.isActive(t, now)).length };
  }

  /** `GET /api/v1/tokens/{tokenId}`: 404 for an unknown, another user's or a revoked token. */
  getToken(user: UserRecord, tokenId: string): PersonalAccessTokenResponse {
    return this.view(this.findOwn(user, tokenId), this.now());
  }

  /**
   * `PUT /api/v1/tokens/{tokenId}/update`: renames and/or enables or disables a token. Null or absent
   * fields stay as they are. An expired token cannot be enabled.
   */
  updateToken(user: UserRecord, tokenId: string, input: UpdateTokenInput): PersonalAccessTokenResponse {
    const token = this.findOwn(user, tokenId);
    const now = this.now();
    let name = token.name;
    if (input.name !== undefined && input.name !== null) {
      try {
        name = validateTokenName(input.name, 'name');
      } catch (e) {
        asBadRequest(e, 'Name');
      }
    }
    if (input.enabled !== undefined && input.enabled !== null && typeof input.enabled !== 'boolean') {
      throw new RuleViolation('bad-request', `enabled must be true, false or null, got ${JSON.stringify(input.enabled)}.`, {
        field: 'Enabled',
      });
    }
    if (input.enabled === true && token.expiryMs <= now) {
      throw new RuleViolation('bad-request', EXPIRED_REENABLE_DETAIL, { field: 'Enabled' });
    }
    token.name = name;
    if (typeof input.enabled === 'boolean') token.enabled = input.enabled;
    this.changed();
    return this.view(token, now);
  }

  /** `DELETE /api/v1/tokens/{tokenId}/delete`: a soft delete; the token stays in state, revoked, for audit. */
  revokeToken(user: UserRecord, tokenId: string): void {
    const token = this.findOwn(user, tokenId);
    token.revokedMs = this.now();
    this.changed();
  }

  // ---- Users -------------------------------------------------------------------------------------

  /** `GET /api/v1/users/me`: the caller as `ServerUser`, with access to the sample instance. */
  serverUser(user: UserRecord): ServerUser {
    const { firstName, lastName } = namesFor(user.emailAddress);
    return {
      userID: user.userID,
      userName: user.emailAddress,
      emailAddress: user.emailAddress,
      firstName,
      lastName,
      isSuspended: false,
      isProfileComplete: true,
      userTypeID: 1,
      timeZoneRegion: 'UTC',
      jobRole: 'Developer',
      createdDate: iso(user.createdMs),
      currentWebsite: SAMPLE_INSTANCE_GUID,
      websiteAccess: [sampleWebsite()],
    };
  }

  // ---- Persistence -------------------------------------------------------------------------------

  /** Everything the state file keeps (no secrets: only their hashes). `clock` is filled in by the caller. */
  toSnapshot(clock: number | undefined): StateSnapshot {
    const now = this.now();
    return {
      version: 1,
      clock: clock === undefined ? null : iso(clock),
      nextUserID: this.nextUserID,
      users: [...this.usersById.values()].map((u) => ({ userID: u.userID, emailAddress: u.emailAddress, createdDate: iso(u.createdMs) })),
      tokens: this.tokens.map((t) => ({
        tokenID: t.tokenID,
        userID: t.userID,
        name: t.name,
        createdDate: iso(t.createdMs),
        expiryDate: iso(t.expiryMs),
        lastUsedDate: t.lastUsedMs === null ? null : iso(t.lastUsedMs),
        enabled: t.enabled,
        revokedDate: t.revokedMs === null ? null : iso(t.revokedMs),
        secretHash: t.secretHash,
      })),
      // Dead sessions are dropped here so the file does not grow without bound.
      accessTokens: [...this.accessTokens.values()]
        .filter((s) => s.expiresMs > now)
        .map((s) => ({ hash: s.hash, userID: s.userID, expiresAt: iso(s.expiresMs) })),
      refreshTokens: [...this.refreshTokens.values()]
        .filter((s) => s.expiresMs > now)
        .map((s) => ({ hash: s.hash, userID: s.userID, expiresAt: iso(s.expiresMs) })),
    };
  }

  // ---- internals ---------------------------------------------------------------------------------

  private load(s: StateSnapshot): void {
    if (s.version !== 1) throw new TypeError(`unsupported state file version ${JSON.stringify(s.version)} (expected 1)`);
    for (const u of s.users) {
      const user: UserRecord = { userID: u.userID, emailAddress: u.emailAddress, createdMs: toMs(u.createdDate, 'users[].createdDate') };
      this.users.set(user.emailAddress.toLowerCase(), user);
      this.usersById.set(user.userID, user);
    }
    for (const t of s.tokens) {
      const record: PatRecord = {
        tokenID: t.tokenID,
        userID: t.userID,
        name: t.name,
        createdMs: toMs(t.createdDate, 'tokens[].createdDate'),
        expiryMs: toMs(t.expiryDate, 'tokens[].expiryDate'),
        lastUsedMs: t.lastUsedDate === null ? null : toMs(t.lastUsedDate, 'tokens[].lastUsedDate'),
        enabled: t.enabled,
        revokedMs: t.revokedDate === null ? null : toMs(t.revokedDate, 'tokens[].revokedDate'),
        secretHash: t.secretHash,
      };
      this.tokens.push(record);
      this.tokensByHash.set(record.secretHash, record);
    }
    for (const a of s.accessTokens)
      this.accessTokens.set(a.hash, { hash: a.hash, userID: a.userID, expiresMs: toMs(a.expiresAt, 'accessTokens[].expiresAt') });
    for (const r of s.refreshTokens)
      this.refreshTokens.set(r.hash, { hash: r.hash, userID: r.userID, expiresMs: toMs(r.expiresAt, 'refreshTokens[].expiresAt') });
    this.nextUserID = Math.max(s.nextUserID, ...[...this.usersById.keys()].map((id) => id + 1), 1);
  }

  private changed(): void {
    this.revisionCount += 1;
  }

  private userFor(email: string): UserRecord {
    let user = this.users.get(email);
    if (!user) {
      user = { userID: this.nextUserID++, emailAddress: email, createdMs: this.now() };
      this.users.set(email, user);
      this.usersById.set(user.userID, user);
      this.changed();
    }
    return user;
  }

  /** A new access token (1 hour of emulator time) and, when `offline`, a refresh token (30 days). */
  private issueSession(user: UserRecord, offline = true): TokenResponseData {
    const now = this.now();
    const accessExpiresMs = now + ACCESS_TOKEN_LIFETIME_SECONDS * 1000;
    const access = this.minter.accessToken(user.userID, now, accessExpiresMs);
    this.accessTokens.set(hashSecret(access), { hash: hashSecret(access), userID: user.userID, expiresMs: accessExpiresMs });
    let refresh: string | null = null;
    if (offline) {
      refresh = this.minter.refreshToken();
      this.refreshTokens.set(hashSecret(refresh), {
        hash: hashSecret(refresh),
        userID: user.userID,
        expiresMs: now + REFRESH_TOKEN_LIFETIME_SECONDS * 1000,
      });
    }
    this.changed();
    return { access_token: access, expires_in: ACCESS_TOKEN_LIFETIME_SECONDS, refresh_token: refresh, token_type: 'Bearer' };
  }

  /** Uses up a live authorization code from {@link authorize}. */
  private takeAuthCode(code: string): { user: UserRecord; offline: boolean } | undefined {
    const hash = hashSecret(code);
    const issued = this.authCodes.get(hash);
    if (!issued) return undefined;
    this.authCodes.delete(hash);
    const user = this.usersById.get(issued.userID);
    return issued.expiresMs > this.now() && user ? { user, offline: issued.offline } : undefined;
  }

  /** Active = not revoked and not expired; a disabled token still counts toward the limit. */
  private isActive(t: PatRecord, now: number): boolean {
    return t.revokedMs === null && t.expiryMs > now;
  }

  private findOwn(user: UserRecord, tokenId: string): PatRecord {
    if (!UUID.test(tokenId)) {
      throw new RuleViolation(
        'bad-request',
        `tokenId must be a uuid such as 3fa85f64-5717-4562-b3fc-2c963f66afa6, got "${tokenId.slice(0, 60)}".`,
        {
          field: 'tokenId',
        },
      );
    }
    const id = tokenId.toLowerCase();
    const token = this.tokens.find((t) => t.tokenID === id && t.userID === user.userID && t.revokedMs === null);
    if (!token) throw new RuleViolation('not-found', 'Token not found');
    return token;
  }

  private view(t: PatRecord, now: number): PersonalAccessTokenResponse {
    return {
      tokenID: t.tokenID,
      name: t.name,
      createdDate: iso(t.createdMs),
      expiryDate: iso(t.expiryMs),
      lastUsedDate: t.lastUsedMs === null ? null : iso(t.lastUsedMs),
      enabled: t.enabled,
      isExpired: now >= t.expiryMs,
      daysUntilExpiration: Math.floor((t.expiryMs - now) / DAY_MS),
    };
  }
}

function namesFor(email: string): { firstName: string; lastName: string } {
  const local = email.split('@')[0] || 'user';
  return { firstName: local.charAt(0).toUpperCase() + local.slice(1), lastName: 'Emulator' };
}

function sampleWebsite(): WebsiteListing {
  return {
    guid: SAMPLE_INSTANCE_GUID,
    websiteName: 'Emulator Sample Instance',
    displayName: 'Emulator Sample Instance',
    orgCode: 'emulator',
    orgName: 'Emulator Organization',
    managerUrl: 'https://app.agilitycms.com',
    isOwner: true,
    isCurrent: true,
    isDormant: false,
    isRestoring: false,
    teamID: null,
    version: '3.0',
    websiteID: 1,
    websiteNameStripped: 'emulatorsampleinstance',
  };
}
