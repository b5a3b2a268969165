import { promises as fs } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { AgilityClient } from '../../api';
import type { ServerUser, TokenResponseData } from '../../api/models';
import { Duration } from '../../core/duration';
import { AuthFailedError, BadResponseError, ConfigError, InvalidInputError, SinkError, hasErrorCode } from '../../core/errors';
import { DEFAULT_CREDENTIAL_ENV, DEFAULT_REFRESH_TOKEN_ENV } from '../../core/hook-contract';
import { printable } from '../../core/printable';
import { ENV_VAR_NAME } from '../../core/validation';
import {
  DEFAULT_PROFILE,
  DEFAULT_SIGN_IN_TIMEOUT_MS,
  PROFILE_NAME,
  type StoredLogin,
  authorizeUrl,
  credentialsFilePath,
  findLogin,
  loginCommand,
  loginFromSession,
  newCliCode,
  pollCliSignIn,
  removeLogin,
  saveLogin,
} from '../../credentials';
import { deliverToFile, withoutCredentials } from '../../sinks';
import { API_URL_FROM_ENV_HELP, apiUrlFromEnv, apiUrlOptions, baseUrlFromFlags } from '../api-flags';
import type { CliContext, Command } from '../context';
import { credentialFor } from '../credential';
import { timeoutFromEnv } from '../env-inputs';
import { browserCommand, openBrowser } from '../open-browser';
import { type CommandUsage, HELP_OPTION, type OptionTable, formatUsage } from '../usage';

/** `--profile`, which login, status and logout take. */
const PROFILE_OPTION = {
  profile: {
    type: 'string',
    value: 'NAME',
    help: `the stored login to use (default: ${DEFAULT_PROFILE}); a stack whose credentialEnv is NAME uses profile NAME`,
  },
} as const satisfies OptionTable;

/** `auth login`'s options. */
export const AUTH_LOGIN_OPTIONS = {
  ...apiUrlOptions(API_URL_FROM_ENV_HELP),
  ...PROFILE_OPTION,
  'no-browser': { type: 'boolean', help: 'only print the sign-in URL (also when $BROWSER is unset and there is no display)' },
  'no-offline': { type: 'boolean', help: "do not ask for a refresh token (scope=offline_access): send exactly what Agility's CLI sends" },
  timeout: { type: 'string', value: 'DURATION', help: 'how long to wait for the browser sign-in, e.g. 90s, 10m (default 5m)' },
  print: { type: 'boolean', help: 'also print the access token on stdout, for export AGILITY_ACCESS_TOKEN="$(...)"' },
  'refresh-token-file': {
    type: 'string',
    value: 'FILE',
    help: "write the refresh token to FILE (0600) for CI's secret store; the stored login then keeps none",
  },
  ...HELP_OPTION,
} as const satisfies OptionTable;

/** `auth status`'s options. */
export const AUTH_STATUS_OPTIONS = {
  ...apiUrlOptions(API_URL_FROM_ENV_HELP),
  ...PROFILE_OPTION,
  json: { type: 'boolean', help: 'print one JSON object (never a token)' },
  ...HELP_OPTION,
} as const satisfies OptionTable;

/** `auth logout`'s options. */
export const AUTH_LOGOUT_OPTIONS = {
  ...apiUrlOptions(API_URL_FROM_ENV_HELP),
  ...PROFILE_OPTION,
  ...HELP_OPTION,
} as const satisfies OptionTable;

/** `auth refresh`'s options. */
export const AUTH_REFRESH_OPTIONS = {
  'refresh-token-file': {
    type: 'string',
    value: 'FILE',
    help: 'file holding the refresh token (surrounding whitespace ignored); rewritten on rotation',
  },
  'refresh-token-env': { type: 'string', value: 'NAME', help: `variable holding the refresh token (default ${DEFAULT_REFRESH_TOKEN_ENV})` },
  print: { type: 'boolean', help: 'print the access token even when stdout is a terminal' },
  ...apiUrlOptions(API_URL_FROM_ENV_HELP),
  ...HELP_OPTION,
} as const satisfies OptionTable;

export const AUTH_USAGE: CommandUsage = {
  usage: [
    'agility-pat auth login [--api-url URL | --instance-guid GUID] [--profile NAME] [--no-browser] [--no-offline]',
    '                       [--timeout DURATION] [--print] [--refresh-token-file FILE]',
    'agility-pat auth status [--api-url URL | --instance-guid GUID] [--profile NAME] [--json]',
    'agility-pat auth logout [--api-url URL | --instance-guid GUID] [--profile NAME]',
    'agility-pat auth refresh [--refresh-token-file FILE | --refresh-token-env NAME] [--print]',
    '                         [--api-url URL | --instance-guid GUID]',
  ],
  description: `login    signs in in the browser as Agility's own CLI does (docs/oauth.md): prints the sign-in URL on stderr,
         opens it ($BROWSER, else open on macOS, else xdg-open with a display), polls until the sign-in completes,
         and stores the login for that API URL and profile in $XDG_CONFIG_HOME/agility-pat/credentials.json (else
         ~/.config/agility-pat/credentials.json; folder 0700, file 0600). Deploys, status and tokens then use it
         when the credential variable is unset, refreshing it when it expires.
status   who the stored login signs in as (users/me) and when its access token expires; never prints a token.
logout   removes the stored login (Agility offers no documented way to end the session itself).
refresh  exchanges an OAuth refresh token for an access token (POST /oauth/refresh), for CI:
           export AGILITY_ACCESS_TOKEN="$(agility-pat auth refresh --refresh-token-file "$RUNNER_TEMP/agility-refresh-token")"
         The refresh token is never taken from the command line (argv is visible to other processes). The access
         token is printed on stdout only when stdout is not a terminal, or with --print. When Agility answers with a
         new refresh token (the old one then stops working), it is written back to FILE atomically with mode 0600;
         with --refresh-token-env it cannot be saved, and a warning says so. With neither flag and
         $AGILITY_REFRESH_TOKEN unset, it prints the access token of the stored login (refreshed when expired).`,
  sections: [
    { title: 'auth login:', options: AUTH_LOGIN_OPTIONS },
    { title: 'auth status:', options: { json: AUTH_STATUS_OPTIONS.json } },
    {
      title: 'auth refresh:',
      options: {
        'refresh-token-file': AUTH_REFRESH_OPTIONS['refresh-token-file'],
        'refresh-token-env': AUTH_REFRESH_OPTIONS['refresh-token-env'],
        print: AUTH_REFRESH_OPTIONS.print,
      },
    },
  ],
  epilogue: `Against the emulator (no display): BROWSER="curl -fsSL -o /dev/null" npx agility-pat auth login`,
};

export const AUTH_HELP = formatUsage(AUTH_USAGE);

type Subcommand = (args: string[], ctx: CliContext) => Promise<number>;
const SUBCOMMANDS: Readonly<Record<string, Subcommand>> = {
  login: authLogin,
  status: authStatus,
  logout: authLogout,
  refresh: authRefresh,
};

/** `agility-pat auth <subcommand>`. */
export async function authCommand(args: string[], ctx: CliContext): Promise<number> {
  const [sub, ...rest] = args;
  const run = sub !== undefined && Object.hasOwn(SUBCOMMANDS, sub) ? SUBCOMMANDS[sub] : undefined;
  if (!run) {
    throw new InvalidInputError(
      `unknown auth subcommand "${sub ?? ''}": expected "login", "status", "logout" or "refresh". Run agility-pat auth --help.`,
      { prop: 'subcommand' },
    );
  }
  return run(rest, ctx);
}

// ---- login, status, logout -------------------------------------------------------------------------------------

/** Which stored login a command means: the API URL (flags, else $AGILITY_API_URL, else the US host) and profile. */
interface LoginKey {
  readonly apiUrl: string;
  readonly profile: string;
  readonly file: string;
}

function loginKey(values: { 'api-url'?: string; 'instance-guid'?: string; profile?: string }, ctx: CliContext): LoginKey {
  const profile = values.profile ?? DEFAULT_PROFILE;
  if (!PROFILE_NAME.test(profile)) {
    throw new InvalidInputError(
      `--profile must be "${DEFAULT_PROFILE}" or a credential variable's name (letters, digits and _), got "${profile}".`,
      { prop: '--profile' },
    );
  }
  return { apiUrl: baseUrlFromFlags(values, apiUrlFromEnv(ctx.env)), profile, file: credentialsFilePath(ctx.env) };
}

/** The credential variable whose stored login a profile is. */
function credentialEnvOf(profile: string): string {
  return profile === DEFAULT_PROFILE ? DEFAULT_CREDENTIAL_ENV : profile;
}

/** `auth login`: the browser sign-in, then the stored login (and what --print and --refresh-token-file ask for). */
async function authLogin(args: string[], ctx: CliContext): Promise<number> {
  const { values } = parseArgs({ args, options: AUTH_LOGIN_OPTIONS, strict: true, allowPositionals: false });
  const key = loginKey(values, ctx);
  const timeoutMs = signInTimeout(values.timeout);
  const refreshTokenFile = values['refresh-token-file'] === undefined ? undefined : resolve(ctx.cwd, values['refresh-token-file']);

  const session = await browserSignIn(key.apiUrl, { offline: !values['no-offline'], browser: !values['no-browser'], timeoutMs }, ctx);
  const user = await signedInUser(key.apiUrl, session, ctx);
  const now = ctx.clock();
  const login = loginFromSession(
    { apiUrl: key.apiUrl, profile: key.profile, user: { userID: user.userID, emailAddress: user.emailAddress }, signedInAt: iso(now) },
    session,
    now,
    '/oauth/CliPoll',
  );
  if (refreshTokenFile !== undefined) {
    await handOverRefreshToken(login, refreshTokenFile, ctx);
    // One refresh token, one holder: CI's copy would stop working the first time this machine refreshed it.
    const { refreshToken: _handedOver, ...kept } = login;
    await saveLogin(key.file, kept);
  } else {
    await saveLogin(key.file, login);
  }
  reportSignIn(login, key, refreshTokenFile, ctx);
  if (values.print) ctx.out(login.accessToken);
  return 0;
}

/** `--timeout` in ms: a duration from 1 s to 1 hour. */
function signInTimeout(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_SIGN_IN_TIMEOUT_MS;
  let ms: number;
  try {
    ms = Duration.parse(raw).toMilliseconds();
  } catch {
    ms = NaN;
  }
  if (!(ms >= 1000 && ms <= 3_600_000)) {
    throw new InvalidInputError(`--timeout must be a duration from 1s to 1h such as 90s or 10m, got "${raw}".`, { prop: '--timeout' });
  }
  return ms;
}

/** Prints the sign-in URL on a line of its own, opens a browser when it can, and polls until the sign-in completes. */
async function browserSignIn(
  apiUrl: string,
  how: { readonly offline: boolean; readonly browser: boolean; readonly timeoutMs: number },
  ctx: CliContext,
): Promise<TokenResponseData> {
  const cliCode = newCliCode();
  const url = authorizeUrl(apiUrl, cliCode, how.offline);
  ctx.err(`agility-pat: sign in to Agility in your browser (waiting up to ${Duration.millis(how.timeoutMs).toHumanString()}):`);
  ctx.err(url);
  const command = how.browser ? browserCommand(ctx.env) : undefined;
  if (command) {
    openBrowser(command, url, withoutCredentials(ctx.env, DEFAULT_CREDENTIAL_ENV), (why) =>
      ctx.err(`agility-pat: could not open a browser with ${printable(command[0])} (${printable(why)}): open the URL above yourself.`),
    );
  } else {
    ctx.err('agility-pat: open the URL above in a browser (no browser was started).');
  }
  const client = new AgilityClient({ baseUrl: apiUrl, clock: ctx.clock, timeoutMs: timeoutFromEnv(ctx.env) });
  return pollCliSignIn({ poll: () => client.cliPoll(cliCode), timeoutMs: how.timeoutMs, stopSignal: ctx.stopSignal });
}

/** `users/me` with the new access token: the stored login records whom it signs in. */
async function signedInUser(apiUrl: string, session: TokenResponseData, ctx: CliContext): Promise<ServerUser> {
  if (!session.access_token) {
    throw new BadResponseError('POST /oauth/CliPoll answered without an access_token: sign in again.', {
      method: 'POST',
      path: '/oauth/CliPoll',
    });
  }
  return new AgilityClient({
    baseUrl: apiUrl,
    accessToken: session.access_token,
    clock: ctx.clock,
    timeoutMs: timeoutFromEnv(ctx.env),
  }).me();
}

/** `--refresh-token-file`: the refresh token to FILE (atomic, 0600, never through a symbolic link), or a CONFIG error. */
async function handOverRefreshToken(login: StoredLogin, file: string, ctx: CliContext): Promise<void> {
  if (!login.refreshToken) {
    throw new ConfigError(
      `the Agility API answered the sign-in without a refresh token, so there is nothing to write to ${file}. Whether ` +
        `/oauth/CliPoll returns one is undocumented: for CI, get a refresh token with the authorization-code flow ` +
        `(docs/oauth.md, "Refresh tokens for CI"), or run auth login without --no-offline.`,
      { prop: '--refresh-token-file', path: file },
    );
  }
  await writeSecretFile(`${login.refreshToken}\n`, file, 'refresh-token-file', ctx);
}

function reportSignIn(login: StoredLogin, key: LoginKey, refreshTokenFile: string | undefined, ctx: CliContext): void {
  const who = `${login.user.emailAddress ?? 'an Agility user'} (user ${login.user.userID})`;
  ctx.err(
    printable(
      `agility-pat: signed in to ${key.apiUrl} as ${who}; stored as profile ${key.profile} in ${key.file}. ` +
        `The access token expires at ${login.expiresAt}.`,
    ),
  );
  if (refreshTokenFile !== undefined) {
    ctx.err(
      printable(
        `agility-pat: the refresh token is in ${refreshTokenFile} (mode 0600): put it in your CI secret store and delete the file. ` +
          `The stored login keeps no refresh token, so this machine never uses (and rotates) CI's.`,
      ),
    );
  } else if (!login.refreshToken) {
    ctx.err(
      `agility-pat: warning: Agility answered without a refresh token, so the stored login works until ${login.expiresAt}; ` +
        `then ${loginCommand(key.apiUrl, key.profile)} again.`,
    );
  }
}

/** `auth status`: who the stored login is (users/me, refreshed first when expired) and when it expires. */
async function authStatus(args: string[], ctx: CliContext): Promise<number> {
  const { values } = parseArgs({ args, options: AUTH_STATUS_OPTIONS, strict: true, allowPositionals: false });
  const key = loginKey(values, ctx);
  if (!(await findLogin(key.file, key.apiUrl, key.profile))) {
    throw new ConfigError(
      `not signed in to ${key.apiUrl}${key.profile === DEFAULT_PROFILE ? '' : ` (profile ${key.profile})`}: no login is stored in ` +
        `${key.file}; ${loginCommand(key.apiUrl, key.profile)}.`,
      { prop: '--profile', path: key.file },
    );
  }
  // The stored login itself, not the variable: the variable, when set, is reported beside it.
  const variable = credentialEnvOf(key.profile);
  const resolved = await credentialFor({ ...ctx, env: { ...ctx.env, [variable]: '' } }, key.apiUrl, variable);
  const me = await new AgilityClient({
    baseUrl: key.apiUrl,
    accessToken: resolved.accessToken,
    clock: ctx.clock,
    timeoutMs: timeoutFromEnv(ctx.env),
  }).me();
  const login = (await findLogin(key.file, key.apiUrl, key.profile))!;
  const report = {
    apiUrl: key.apiUrl,
    profile: key.profile,
    user: { userID: me.userID, emailAddress: me.emailAddress ?? null, userName: me.userName ?? null },
    accessTokenExpiresAt: login.expiresAt,
    refreshed: resolved.source.kind === 'login' && resolved.source.refreshed,
    hasRefreshToken: login.refreshToken !== undefined,
    credentialsFile: key.file,
    variable,
    variableSet: Boolean(ctx.env[variable]?.trim()),
  };
  if (values.json) {
    ctx.out(printable(JSON.stringify(report, null, 2), { multiline: true }));
    return 0;
  }
  const minutes = Math.round((Date.parse(login.expiresAt) - ctx.clock()) / 60_000);
  ctx.out(
    printable(
      `Signed in to ${report.apiUrl} as ${report.user.emailAddress ?? '?'} (user ${report.user.userID}), profile ${report.profile}.`,
    ),
  );
  ctx.out(
    `Access token expires at ${report.accessTokenExpiresAt} (in ${minutes} min)${report.refreshed ? ', refreshed just now' : ''}; ` +
      (report.hasRefreshToken ? 'a refresh token renews it.' : `no refresh token: then ${loginCommand(key.apiUrl, key.profile)} again.`),
  );
  ctx.out(printable(`Credentials file: ${report.credentialsFile}`));
  if (report.variableSet) ctx.out(`${variable} is set: commands use it before this stored login.`);
  return 0;
}

/** `auth logout`: removes the stored login of the API URL and profile. */
async function authLogout(args: string[], ctx: CliContext): Promise<number> {
  const { values } = parseArgs({ args, options: AUTH_LOGOUT_OPTIONS, strict: true, allowPositionals: false });
  const key = loginKey(values, ctx);
  const which = `${key.apiUrl}${key.profile === DEFAULT_PROFILE ? '' : ` (profile ${key.profile})`}`;
  if (await removeLogin(key.file, key.apiUrl, key.profile)) {
    ctx.err(printable(`agility-pat: signed out of ${which}: the stored login is removed from ${key.file}.`));
  } else {
    ctx.err(printable(`agility-pat: no stored login for ${which} in ${key.file}: nothing to remove.`));
  }
  return 0;
}

// ---- refresh -----------------------------------------------------------------------------------------------------

type Source = { kind: 'file'; path: string } | { kind: 'env'; name: string };

/** `auth refresh`: read the refresh token, exchange it, keep the rotated one, print the access token. */
async function authRefresh(args: string[], ctx: CliContext): Promise<number> {
  const { values } = parseArgs({ args, options: AUTH_REFRESH_OPTIONS, strict: true, allowPositionals: false });
  const source = refreshTokenSource(values, ctx);
  const baseUrl = baseUrlFromFlags(values, apiUrlFromEnv(ctx.env));
  if (source.kind === 'env' && values['refresh-token-env'] === undefined && !ctx.env[source.name]?.trim()) {
    // No refresh token given: the credential chain's stored login, when there is one.
    const stored = await storedLoginAccessToken(baseUrl, ctx);
    if (stored) {
      printAccessToken(stored, Boolean(values.print), ctx);
      return 0;
    }
  }
  const refreshToken = await readRefreshToken(source, ctx);
  const client = new AgilityClient({ baseUrl, clock: ctx.clock, timeoutMs: timeoutFromEnv(ctx.env) });
  const answer = await exchangeRefreshToken(client, refreshToken, source);
  // Save the rotated refresh token before anything else: the old one has stopped working.
  await keepRotatedRefreshToken(answer, refreshToken, source, ctx);
  printAccessToken(answer, Boolean(values.print), ctx);
  return 0;
}

/**
 * The access token of the default stored login for `baseUrl` (refreshed first when expired, as the chain does), as
 * a token answer; undefined when nothing is stored.
 */
async function storedLoginAccessToken(baseUrl: string, ctx: CliContext): Promise<TokenResponseData | undefined> {
  const file = credentialsFilePath(ctx.env);
  if (!(await findLogin(file, baseUrl, DEFAULT_PROFILE))) return undefined;
  const resolved = await credentialFor({ ...ctx, env: { ...ctx.env, [DEFAULT_CREDENTIAL_ENV]: '' } }, baseUrl, DEFAULT_CREDENTIAL_ENV);
  const login = await findLogin(file, baseUrl, DEFAULT_PROFILE);
  const expiresIn = login ? Math.max(0, Math.round((Date.parse(login.expiresAt) - ctx.clock()) / 1000)) : null;
  return { access_token: resolved.accessToken, expires_in: expiresIn, refresh_token: null, token_type: 'Bearer' };
}

/** Where the refresh token is: `--refresh-token-file`, else the variable `--refresh-token-env` (or its default). */
function refreshTokenSource(values: { 'refresh-token-file'?: string; 'refresh-token-env'?: string }, ctx: CliContext): Source {
  if (values['refresh-token-file'] !== undefined && values['refresh-token-env'] !== undefined) {
    throw new InvalidInputError('pass --refresh-token-file or --refresh-token-env, not both.', { prop: '--refresh-token-file' });
  }
  return values['refresh-token-file'] !== undefined
    ? { kind: 'file', path: resolve(ctx.cwd, values['refresh-token-file']) }
    : { kind: 'env', name: values['refresh-token-env'] ?? DEFAULT_REFRESH_TOKEN_ENV };
}

/** `POST /oauth/refresh`; a refusal says where the refresh token came from and what to do. */
async function exchangeRefreshToken(client: AgilityClient, refreshToken: string, source: Source): Promise<TokenResponseData> {
  let answer: TokenResponseData;
  try {
    answer = await client.refresh(refreshToken);
  } catch (e) {
    if (hasErrorCode(e, 'AUTH_FAILED')) {
      throw new AuthFailedError(
        `the Agility API refused the refresh token from ${describeSource(source)} (unknown, already used, or expired): sign in again with ` +
          `\`npx agility-pat auth login --refresh-token-file FILE\` or the authorization-code flow to get a new one and store it ` +
          `there (docs/oauth.md, "Refresh tokens for CI").`,
        e.details as { method: string; path: string; status?: number },
      );
    }
    throw e;
  }
  if (!answer.access_token) {
    throw new BadResponseError(`POST /oauth/refresh answered without an access_token: nothing to print. Try again, or sign in again.`, {
      method: 'POST',
      path: '/oauth/refresh',
    });
  }
  return answer;
}

/** When Agility rotated the refresh token: written back to the file, or a warning for a variable. */
async function keepRotatedRefreshToken(answer: TokenResponseData, old: string, source: Source, ctx: CliContext): Promise<void> {
  const rotated = answer.refresh_token && answer.refresh_token !== old ? answer.refresh_token : null;
  if (!rotated) return;
  if (source.kind === 'file') {
    await writeSecretFile(`${rotated}\n`, source.path, 'refresh-token-file', ctx, true);
    return;
  }
  ctx.err(
    `agility-pat: warning: Agility issued a new refresh token and the one in ${source.name} may no longer work, but a variable cannot be ` +
      `updated from here. Use --refresh-token-file to keep it, or sign in again before the next run.`,
  );
}

/** The access token on stdout when it is not a terminal (or with --print), else a note on stderr. */
function printAccessToken(answer: TokenResponseData, print: boolean, ctx: CliContext): void {
  if (!ctx.stdoutIsTty || print) {
    ctx.out(answer.access_token!);
    return;
  }
  ctx.err(
    `agility-pat: got an access token${answer.expires_in ? ` valid for ${answer.expires_in} s` : ''}; not printed to a terminal. ` +
      `Capture it: export AGILITY_ACCESS_TOKEN="$(agility-pat auth refresh ...)", or pass --print.`,
  );
}

/**
 * Writes a refresh token to a file with the rules of a file sink: atomic, 0600, never through a symbolic link.
 * `replacing`: the old token in it has stopped working, and the message says so.
 */
async function writeSecretFile(content: string, path: string, sink: string, ctx: CliContext, replacing = false): Promise<void> {
  try {
    await deliverToFile(content, { kind: 'file', path }, ctx.cwd);
  } catch (e) {
    const why = (e as Error).message;
    throw new SinkError(
      replacing
        ? `the Agility API issued a new refresh token, but writing it to ${path} failed (${why}); the old one no longer works, so sign ` +
            `in again to get a new one. Make the file's folder writable.`
        : `writing the refresh token to ${path} failed (${why}): make the file's folder writable, or pick another file.`,
      { sink, path },
    );
  }
}

async function readRefreshToken(source: Source, ctx: CliContext): Promise<string> {
  let raw: string | undefined;
  if (source.kind === 'env') {
    if (!ENV_VAR_NAME.test(source.name)) {
      throw new InvalidInputError(`--refresh-token-env must be an environment variable name, got "${source.name}".`, {
        prop: '--refresh-token-env',
      });
    }
    raw = ctx.env[source.name];
  } else {
    try {
      raw = await fs.readFile(source.path, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new ConfigError(
        code === 'ENOENT'
          ? `the refresh token file ${source.path} does not exist: write the refresh token there first (in CI, from a secret).`
          : `cannot read the refresh token file ${source.path} (${code ?? (e as Error).message}).`,
        { prop: '--refresh-token-file', path: source.path },
      );
    }
  }
  const token = raw?.trim();
  if (!token) {
    throw new ConfigError(
      `no refresh token in ${describeSource(source)} (${source.kind === 'file' ? 'the file is empty' : 'the variable is empty or not set'}): ` +
        `get one with \`npx agility-pat auth login --refresh-token-file FILE\` (docs/oauth.md, "Refresh tokens for CI") and store it there, ` +
        `or sign in on this machine with \`npx agility-pat auth login\`.`,
      source.kind === 'file' ? { prop: '--refresh-token-file', path: source.path } : { prop: '--refresh-token-env', variable: source.name },
    );
  }
  return token;
}

function describeSource(source: Source): string {
  return source.kind === 'file' ? `the file ${source.path}` : `the environment variable ${source.name}`;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** `agility-pat auth`, as the program's entry point loads it. */
export const command: Command = { help: AUTH_HELP, run: authCommand };
