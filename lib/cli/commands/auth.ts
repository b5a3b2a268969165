import { promises as fs } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { AgilityClient } from '../../api';
import { AuthFailedError, BadResponseError, ConfigError, InvalidInputError, SinkError, hasErrorCode } from '../../core/errors';
import { DEFAULT_REFRESH_TOKEN_ENV } from '../../core/hook-contract';
import { ENV_VAR_NAME } from '../../core/validation';
import { deliverToFile } from '../../sinks';
import { API_URL_FROM_ENV_HELP, apiUrlFromEnv, apiUrlOptions, baseUrlFromFlags } from '../api-flags';
import { type CommandUsage, HELP_OPTION, type OptionTable, formatUsage } from '../usage';
import type { CliContext, Command } from '../context';
import { timeoutFromEnv } from '../env-inputs';

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
    'agility-pat auth refresh [--refresh-token-file FILE | --refresh-token-env NAME] [--print]',
    '                         [--api-url URL | --instance-guid GUID]',
  ],
  description: `Exchanges an OAuth refresh token for an access token (POST /oauth/refresh), for CI:
  export AGILITY_ACCESS_TOKEN="$(agility-pat auth refresh --refresh-token-file "$RUNNER_TEMP/agility-refresh-token")"
The refresh token is never taken from the command line (argv is visible to other processes). The access token is
printed on stdout only when stdout is not a terminal, or with --print. When Agility answers with a new refresh
token (the old one then stops working), it is written back to FILE atomically with mode 0600; with
--refresh-token-env it cannot be saved, and a warning says so: save it yourself or sign in again later.`,
  sections: [{ title: 'Options:', options: AUTH_REFRESH_OPTIONS }],
};

export const AUTH_HELP = formatUsage(AUTH_USAGE);

/** `agility-pat auth <subcommand>`. */
export async function authCommand(args: string[], ctx: CliContext): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'refresh')
    throw new InvalidInputError(`unknown auth subcommand "${sub ?? ''}": expected "refresh". Run agility-pat auth --help.`);
  return authRefresh(rest, ctx);
}

type Source = { kind: 'file'; path: string } | { kind: 'env'; name: string };

async function authRefresh(args: string[], ctx: CliContext): Promise<number> {
  const { values } = parseArgs({
    args,
    options: AUTH_REFRESH_OPTIONS,
    strict: true,
    allowPositionals: false,
  });
  if (values['refresh-token-file'] !== undefined && values['refresh-token-env'] !== undefined) {
    throw new InvalidInputError('pass --refresh-token-file or --refresh-token-env, not both.', { prop: '--refresh-token-file' });
  }
  const source: Source =
    values['refresh-token-file'] !== undefined
      ? { kind: 'file', path: resolve(ctx.cwd, values['refresh-token-file']) }
      : { kind: 'env', name: values['refresh-token-env'] ?? DEFAULT_REFRESH_TOKEN_ENV };
  const refreshToken = await readRefreshToken(source, ctx);

  const client = new AgilityClient({
    baseUrl: baseUrlFromFlags(values, apiUrlFromEnv(ctx.env)),
    clock: ctx.clock,
    timeoutMs: timeoutFromEnv(ctx.env),
  });
  let answer;
  try {
    answer = await client.refresh(refreshToken);
  } catch (e) {
    if (hasErrorCode(e, 'AUTH_FAILED')) {
      throw new AuthFailedError(
        `the Agility API refused the refresh token from ${describeSource(source)} (unknown, already used, or expired): sign in again with the ` +
          `authorization-code flow to get a new one and store it there (README, "OAuth credentials for CI").`,
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

  // Save the rotated refresh token before anything else: the old one has stopped working.
  const rotated = answer.refresh_token && answer.refresh_token !== refreshToken ? answer.refresh_token : null;
  if (rotated && source.kind === 'file') {
    try {
      // The rules of a file sink: atomic, 0600, never through a symbolic link.
      await deliverToFile(`${rotated}\n`, { kind: 'file', path: source.path }, ctx.cwd);
    } catch (e) {
      throw new SinkError(
        `the Agility API issued a new refresh token, but writing it to ${source.path} failed (${(e as Error).message}); ` +
          `the old one no longer works, so sign in again to get a new one. Make the file's folder writable.`,
        { sink: 'refresh-token-file', path: source.path },
      );
    }
  } else if (rotated && source.kind === 'env') {
    ctx.err(
      `agility-pat: warning: Agility issued a new refresh token and the one in ${source.name} may no longer work, but a variable cannot be ` +
        `updated from here. Use --refresh-token-file to keep it, or sign in again before the next run.`,
    );
  }

  if (!ctx.stdoutIsTty || values.print) {
    ctx.out(answer.access_token);
  } else {
    ctx.err(
      `agility-pat: got an access token${answer.expires_in ? ` valid for ${answer.expires_in} s` : ''}; not printed to a terminal. ` +
        `Capture it: export AGILITY_ACCESS_TOKEN="$(agility-pat auth refresh ...)", or pass --print.`,
    );
  }
  return 0;
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
        { path: source.path },
      );
    }
  }
  const token = raw?.trim();
  if (!token) {
    throw new ConfigError(
      `no refresh token in ${describeSource(source)} (${source.kind === 'file' ? 'the file is empty' : 'the variable is empty or not set'}): ` +
        `get one with the authorization-code flow (README, "OAuth credentials for CI") and store it there.`,
      source.kind === 'file' ? { path: source.path } : { prop: source.name },
    );
  }
  return token;
}

function describeSource(source: Source): string {
  return source.kind === 'file' ? `the file ${source.path}` : `the environment variable ${source.name}`;
}

/** `agility-pat auth`, as the program's entry point loads it. */
export const command: Command = { help: AUTH_HELP, run: authCommand };
