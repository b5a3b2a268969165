import { promises as fs } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { ConfigError } from '../core/errors';
import { DEFAULT_CREDENTIAL_ENV } from '../core/hook-contract';
import { writeFileAtomic } from '../fs/write-file-atomic';
import { lockFileFor, withFileLock } from '../locks/file-lock';

/**
 * The credentials store of `agility-pat auth login` (docs/design.md, "Credentials"; docs/oauth.md): one JSON file in
 * the user's configuration folder holding one stored login per (API base URL, profile). The folder is 0700 and the
 * file 0600; every change is a read-modify-write under one lock, written atomically, so parallel hooks that refresh
 * a login and a `auth login` or `auth logout` running meanwhile never lose each other's entries or see half a file.
 * The file holds the logins and nothing else.
 */

/** The folder under the configuration home, and the file in it. */
export const CREDENTIALS_DIR = 'agility-pat';
export const CREDENTIALS_FILE = 'credentials.json';
/** The profile of the default credential variable ({@link DEFAULT_CREDENTIAL_ENV}). */
export const DEFAULT_PROFILE = 'default';
/** What a profile name may be: a credential variable's name, or `default`. */
export const PROFILE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
/** How long a change to the credentials file waits for another process holding its lock. */
export const CREDENTIALS_LOCK_WAIT_MS = 60_000;

/** The user a login signed in, from `users/me`. */
export interface StoredUser {
  readonly userID: number;
  readonly emailAddress: string | null;
}

/** One stored login. The tokens never leave this file except as a bearer header or `auth login --print`. */
export interface StoredLogin {
  /** The normalised Management API base URL the login is for. */
  readonly apiUrl: string;
  readonly profile: string;
  readonly accessToken: string;
  /** When the access token stops working, ISO-8601 (sign-in time + `expires_in`). */
  readonly expiresAt: string;
  /** Absent when Agility answered without one (docs/oauth.md, "Refresh tokens"). */
  readonly refreshToken?: string;
  readonly user: StoredUser;
  /** When `auth login` signed in, ISO-8601. */
  readonly signedInAt: string;
}

interface CredentialsDocument {
  version: 1;
  logins: StoredLogin[];
}

/**
 * The profile a credential variable's stored login lives under: `default` for {@link DEFAULT_CREDENTIAL_ENV}, else
 * the variable's own name. So a stack whose `credentialEnv` is `BOT_TOKEN` can only fall back to the login stored by
 * `auth login --profile BOT_TOKEN`, never to the default user's (tokens belong to the user who creates them).
 */
export function profileForCredentialEnv(credentialEnv: string): string {
  return credentialEnv === DEFAULT_CREDENTIAL_ENV ? DEFAULT_PROFILE : credentialEnv;
}

/**
 * `$XDG_CONFIG_HOME/agility-pat/credentials.json` when that variable holds an absolute path (the XDG rule), else
 * `~/.config/agility-pat/credentials.json` (`HOME` from `env`, else the account's home folder).
 */
export function credentialsFilePath(env: NodeJS.ProcessEnv): string {
  const xdg = env.XDG_CONFIG_HOME;
  const base = xdg && isAbsolute(xdg) ? xdg : join(env.HOME || homedir(), '.config');
  return join(base, CREDENTIALS_DIR, CREDENTIALS_FILE);
}

/** Every stored login of `file`; none when the file does not exist. @throws ConfigError for a file that is not ours. */
export async function readLogins(file: string): Promise<StoredLogin[]> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new ConfigError(
      `cannot read the credentials file ${file} (${(e as NodeJS.ErrnoException).code ?? 'error'}): check its permissions.`,
      {
        prop: 'credentials file',
        path: file,
      },
    );
  }
  return parseDocument(text, file).logins;
}

/** The stored login for `apiUrl` and `profile`, or undefined. */
export async function findLogin(file: string, apiUrl: string, profile: string): Promise<StoredLogin | undefined> {
  return (await readLogins(file)).find((l) => l.apiUrl === apiUrl && l.profile === profile);
}

/**
 * Runs `fn` holding the credentials file's lock. `fn` reads the file after the lock is taken (never before), so a
 * change another process made while this one waited is seen.
 */
export function withCredentialsLock<T>(file: string, fn: () => Promise<T>): Promise<T> {
  return withFileLock(lockFileFor('file', file), fn, { waitMs: CREDENTIALS_LOCK_WAIT_MS, what: `the credentials file ${file}` });
}

/** Adds or replaces the login of its (API URL, profile), under the lock. */
export async function saveLogin(file: string, login: StoredLogin): Promise<void> {
  await withCredentialsLock(file, async () => {
    const others = (await readLogins(file)).filter((l) => !(l.apiUrl === login.apiUrl && l.profile === login.profile));
    await writeLogins(file, [...others, login]);
  });
}

/** Removes the login of (API URL, profile), under the lock; false when there was none. */
export async function removeLogin(file: string, apiUrl: string, profile: string): Promise<boolean> {
  return withCredentialsLock(file, async () => {
    const logins = await readLogins(file);
    const kept = logins.filter((l) => !(l.apiUrl === apiUrl && l.profile === profile));
    if (kept.length === logins.length) return false;
    await writeLogins(file, kept);
    return true;
  });
}

/**
 * Writes the whole file atomically with mode 0600, in a folder made (or narrowed to) 0700. Call it holding
 * {@link withCredentialsLock}.
 */
export async function writeLogins(file: string, logins: readonly StoredLogin[]): Promise<void> {
  const dir = join(file, '..');
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  // mkdir's mode is narrowed by the umask and not applied to a folder that already exists.
  await fs.chmod(dir, 0o700);
  const doc: CredentialsDocument = { version: 1, logins: [...logins] };
  await writeFileAtomic(file, `${JSON.stringify(doc, null, 2)}\n`, { mode: 0o600 });
}

function parseDocument(text: string, file: string): CredentialsDocument {
  const broken = (why: string): ConfigError =>
    new ConfigError(`the credentials file ${file} ${why}: delete it and sign in again with \`npx agility-pat auth login\`.`, {
      prop: 'credentials file',
      path: file,
    });
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw broken('is not valid JSON');
  }
  const doc = value as Partial<CredentialsDocument> | null;
  if (typeof doc !== 'object' || doc === null || doc.version !== 1 || !Array.isArray(doc.logins)) {
    throw broken('is not a version 1 agility-pat credentials file');
  }
  for (const l of doc.logins) if (!isLogin(l)) throw broken('holds an entry that is not a stored login');
  return doc as CredentialsDocument;
}

function isLogin(l: unknown): l is StoredLogin {
  const o = l as Partial<StoredLogin> | null;
  return (
    typeof o === 'object' &&
    o !== null &&
    typeof o.apiUrl === 'string' &&
    typeof o.profile === 'string' &&
    typeof o.accessToken === 'string' &&
    o.accessToken !== '' &&
    typeof o.expiresAt === 'string' &&
    !Number.isNaN(Date.parse(o.expiresAt)) &&
    (o.refreshToken === undefined || (typeof o.refreshToken === 'string' && o.refreshToken !== '')) &&
    typeof o.user === 'object' &&
    o.user !== null &&
    typeof o.user.userID === 'number' &&
    typeof o.signedInAt === 'string'
  );
}
