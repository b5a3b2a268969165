import type { TokenResponseData } from '../api/models';
import { DEFAULT_BASE_URL } from '../api/base-url';
import type { Clock } from '../core/clock';
import { AuthFailedError, BadResponseError, ConfigError, InvalidInputError, hasErrorCode } from '../core/errors';
import { ENV_VAR_NAME } from '../core/validation';
import {
  DEFAULT_PROFILE,
  type StoredLogin,
  type StoredUser,
  credentialsFilePath,
  findLogin,
  profileForCredentialEnv,
  readLogins,
  withCredentialsLock,
  writeLogins,
} from './store';

/**
 * The credential chain (docs/design.md, "Credentials"): where hooks, `status` and `tokens …` find the OAuth access
 * token for an API URL.
 *
 * 1. The stack's credential variable (`AGILITY_ACCESS_TOKEN`, or the stack's `credentialEnv`): CI works as before.
 * 2. Else the stored login for that API URL under the variable's profile ({@link profileForCredentialEnv}); when its
 *    access token has expired, it is refreshed through `/oauth/refresh` and written back under the credentials lock.
 *    The file is read again once the lock is held, so parallel hooks refresh once: the first refreshes, the others
 *    find the fresh token.
 * 3. Else a CONFIG error saying to run `npx agility-pat auth login`.
 *
 * The token is returned to the caller, which hands it to the API client only: it is never put into the process
 * environment, so no command sink can inherit it, whichever step supplied it.
 */

/**
 * A stored access token this close to its expiry counts as expired: a hook may wait minutes for a name lock and then
 * create, verify and deliver, and its calls must not outlive the token.
 */
export const EXPIRY_MARGIN_MS = 5 * 60_000;

/** What the chain needs. */
export interface CredentialLookup {
  readonly env: NodeJS.ProcessEnv;
  /** The normalised API base URL the credential is for. */
  readonly apiUrl: string;
  /** The variable checked first; its profile picks the stored login. */
  readonly credentialEnv: string;
  readonly clock: Clock;
  /** `POST /oauth/refresh` against `apiUrl`. */
  readonly refresh: (refreshToken: string) => Promise<TokenResponseData>;
}

/** Which step of the chain supplied the credential (never the credential itself). */
export type CredentialSource =
  | { readonly kind: 'variable'; readonly variable: string }
  | { readonly kind: 'login'; readonly profile: string; readonly file: string; readonly user: StoredUser; readonly refreshed: boolean };

/** The access token and where it came from. */
export interface ResolvedCredential {
  readonly accessToken: string;
  readonly source: CredentialSource;
}

/** Runs the chain. @throws ConfigError when no step has a credential; AuthFailedError when a refresh is refused. */
export async function resolveCredential(lookup: CredentialLookup): Promise<ResolvedCredential> {
  const { env, credentialEnv } = lookup;
  if (!ENV_VAR_NAME.test(credentialEnv)) {
    throw new InvalidInputError(`the credential variable name must be a valid environment variable name, got "${credentialEnv}".`, {
      prop: 'credentialEnv',
    });
  }
  const fromVariable = env[credentialEnv]?.trim();
  if (fromVariable) return { accessToken: fromVariable, source: { kind: 'variable', variable: credentialEnv } };

  const profile = profileForCredentialEnv(credentialEnv);
  const file = credentialsFilePath(env);
  const login = await findLogin(file, lookup.apiUrl, profile);
  if (!login) throw noCredential(lookup, profile, file);
  if (isFresh(login, lookup.clock())) return fromLogin(login, file, false);
  return refreshStoredLogin(lookup, login, file);
}

/** True while the stored access token has more than {@link EXPIRY_MARGIN_MS} left. */
export function isFresh(login: StoredLogin, nowMs: number): boolean {
  return Date.parse(login.expiresAt) - EXPIRY_MARGIN_MS > nowMs;
}

/** The stored login a sign-in or refresh answer makes. @throws BadResponseError without an access token. */
export function loginFromSession(
  base: Pick<StoredLogin, 'apiUrl' | 'profile' | 'user' | 'signedInAt'> & { readonly refreshToken?: string },
  session: TokenResponseData,
  nowMs: number,
  route: string,
): StoredLogin {
  if (!session.access_token) {
    throw new BadResponseError(
      `the sign-in (POST ${route}) answered without an access_token: sign in again with \`npx agility-pat auth login\`.`,
      {
        method: 'POST',
        path: route,
      },
    );
  }
  // Without expires_in the token is taken to live as long as Agility documents ("typically 1 hour").
  const seconds = session.expires_in && session.expires_in > 0 ? session.expires_in : 3600;
  const refreshToken = session.refresh_token || base.refreshToken;
  return {
    apiUrl: base.apiUrl,
    profile: base.profile,
    accessToken: session.access_token,
    expiresAt: new Date(nowMs + seconds * 1000).toISOString(),
    ...(refreshToken ? { refreshToken } : {}),
    user: base.user,
    signedInAt: base.signedInAt,
  };
}

/**
 * Refreshes an expired stored login under the credentials lock: the file is read again once the lock is held, and
 * a login another process refreshed meanwhile is used as it is. Agility may rotate the refresh token (the old one
 * then stops working), so the answer is written back before the access token is used.
 */
async function refreshStoredLogin(lookup: CredentialLookup, seen: StoredLogin, file: string): Promise<ResolvedCredential> {
  return withCredentialsLock(file, async () => {
    const logins = await readLogins(file);
    const current = logins.find((l) => l.apiUrl === seen.apiUrl && l.profile === seen.profile);
    if (!current) throw noCredential(lookup, seen.profile, file); // signed out meanwhile
    const now = lookup.clock();
    if (isFresh(current, now)) return fromLogin(current, file, false);
    if (!current.refreshToken) {
      throw new ConfigError(
        `the stored login for ${current.apiUrl}${profileNote(current.profile)} expired at ${current.expiresAt} and holds no refresh ` +
          `token (Agility answered the sign-in without one): ${loginCommand(current.apiUrl, current.profile)} again.`,
        { prop: 'stored login', path: file },
      );
    }
    let session: TokenResponseData;
    try {
      session = await lookup.refresh(current.refreshToken);
    } catch (e) {
      if (!hasErrorCode(e, 'AUTH_FAILED')) throw e;
      throw new AuthFailedError(
        `the Agility API refused the refresh token of the stored login for ${current.apiUrl}${profileNote(current.profile)} (expired, ` +
          `revoked or already used): ${loginCommand(current.apiUrl, current.profile)} again.`,
        e.details as { method: string; path: string; status?: number },
      );
    }
    const refreshed = loginFromSession(current, session, now, '/oauth/refresh');
    await writeLogins(
      file,
      logins.map((l) => (l === current ? refreshed : l)),
    );
    return fromLogin(refreshed, file, true);
  });
}

function fromLogin(login: StoredLogin, file: string, refreshed: boolean): ResolvedCredential {
  return { accessToken: login.accessToken, source: { kind: 'login', profile: login.profile, file, user: login.user, refreshed } };
}

function noCredential(lookup: CredentialLookup, profile: string, file: string): ConfigError {
  return new ConfigError(
    `no Agility credential for ${lookup.apiUrl}: the environment variable ${lookup.credentialEnv} is empty or not set, and no ` +
      `login${profileNote(profile)} is stored in ${file}; ${loginCommand(lookup.apiUrl, profile)}, or put an OAuth access token ` +
      `in ${lookup.credentialEnv} (docs/oauth.md).`,
    { prop: lookup.credentialEnv },
  );
}

/** `run \`npx agility-pat auth login [--api-url URL] [--profile NAME]\``, with only the flags that differ from the defaults. */
export function loginCommand(apiUrl: string, profile: string): string {
  const flags = `${apiUrl === DEFAULT_BASE_URL ? '' : ` --api-url ${apiUrl}`}${profile === DEFAULT_PROFILE ? '' : ` --profile ${profile}`}`;
  return `run \`npx agility-pat auth login${flags}\``;
}

function profileNote(profile: string): string {
  return profile === DEFAULT_PROFILE ? '' : ` (profile ${profile})`;
}
