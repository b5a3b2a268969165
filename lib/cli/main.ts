#!/usr/bin/env node
/**
 * The `agility-pat` program: Terraform hook entry points, operator commands and the emulator launcher.
 * Bundled into one file (dist/agility-pat.js) that Terraform runs with `node`. Only this entry point calls
 * `process.exit`; commands return an exit code or throw typed errors (docs/operations.md, "Exit codes").
 */
import { type AgilityPatError, InternalError, InvalidInputError, PermissionDeniedError, isAgilityPatError } from '../core/errors';
import { printable } from '../core/printable';
import { version } from '../../package.json';
import type { CliContext, Command } from './context';
import { clockFromEnv } from './env-inputs';
import { StopRequests } from './stop-requests';

export const MAIN_HELP = `Usage: agility-pat <command> [options]

Agility CMS Personal Access Tokens as infrastructure.

Commands:
  hook create|destroy|reconcile   what Terraform runs (inputs from environment variables)
  tokens list                      list the signed-in user's tokens
  tokens revoke <name|id>...       revoke tokens (asks first; --yes in scripts)
  tokens rotate <name> --stack DIR
                                   a leaked secret: revoke every generation now, deliver a new one
  status --stack DIR               a stack's tokens against Agility: verdicts; exit 20 when action is needed
  auth login                       sign in in the browser; deploys then need no exported credential
  auth status|logout               who the stored login is, and when it expires; forget it
  auth refresh                     trade a refresh token for an access token (for CI)
  emulator                         run a local Agility Management API

Options:
  -h, --help      help for any command (agility-pat <command> --help)
  -v, --version   print the version`;

/*
 * Each command's module is loaded when it runs: Terraform starts one process per hook, and a hook has no use for the
 * emulator's server or the operator commands (`npm run bench`, "hook cold start").
 */
/* eslint-disable @typescript-eslint/no-require-imports */
const COMMANDS: Record<string, () => Command> = {
  hook: () => (require('./commands/hook') as typeof import('./commands/hook')).command,
  tokens: () => (require('./commands/tokens') as typeof import('./commands/tokens')).command,
  emulator: () => (require('./commands/emulator') as typeof import('./commands/emulator')).command,
  status: () => (require('./commands/status') as typeof import('./commands/status')).command,
  auth: () => (require('./commands/auth') as typeof import('./commands/auth')).command,
};
/* eslint-enable @typescript-eslint/no-require-imports */

/** Runs one command line and returns the exit code; never throws. */
export async function main(argv: string[], ctx: CliContext): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--version' || name === '-v' || rest.includes('--version')) {
    ctx.out(version);
    return 0;
  }
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    ctx.out(MAIN_HELP);
    return name === undefined ? 2 : 0;
  }
  const load = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!load) {
    ctx.err(`agility-pat: error [INVALID_INPUT] unknown command "${name}". Run agility-pat --help for the list.`);
    return 2;
  }
  try {
    const command = load();
    if (rest.includes('--help') || rest.includes('-h')) {
      ctx.out(command.help);
      return 0;
    }
    return await command.run(rest, ctx);
  } catch (e) {
    return reportError(e, ctx);
  }
}

/**
 * One clear line on stderr and the documented exit code; a stack trace only with AGILITY_PAT_DEBUG=1. Messages quote
 * outside text (token names, Agility's answers, arguments), so they are printed {@link printable}: one line, inert.
 */
export function reportError(e: unknown, ctx: CliContext): number {
  const error = asAgilityPatError(e);
  ctx.err(`agility-pat: error [${error.code}] ${printable(error.message)}`);
  if (error.code === 'INTERNAL' && ctx.env.AGILITY_PAT_DEBUG === '1' && e instanceof Error && e.stack) ctx.err(e.stack);
  return error.exitCode;
}

/** Node's own argument and listen errors that mean the user asked for something impossible. */
const USAGE_ERRNO_CODES = ['EADDRINUSE', 'EADDRNOTAVAIL'];

/**
 * Any thrown value as one of our typed errors: ours as they are; the operating system's refusals (EACCES, EPERM) as
 * PERMISSION_DENIED; Node's argument-parser and address errors as INVALID_INPUT; anything else as INTERNAL (a bug).
 * The original is the cause.
 */
export function asAgilityPatError(e: unknown): AgilityPatError {
  if (isAgilityPatError(e)) return e;
  const err = (typeof e === 'object' && e !== null ? e : {}) as Partial<NodeJS.ErrnoException>;
  const message = typeof err.message === 'string' ? err.message : String(e);
  const code = typeof err.code === 'string' ? err.code : '';
  if (code === 'EACCES' || code === 'EPERM') {
    return new PermissionDeniedError(
      `${message}: check that file's or folder's permissions, or use a port above 1023.`,
      { errno: code },
      { cause: e },
    );
  }
  if (code.startsWith('ERR_PARSE_ARGS') || USAGE_ERRNO_CODES.includes(code)) {
    return new InvalidInputError(message, { errno: code }, { cause: e });
  }
  return new InternalError(`${message} (this is a bug; rerun with AGILITY_PAT_DEBUG=1 for details)`, {}, { cause: e });
}

/** The real process around `main`. */
export function processContext(): CliContext {
  const stops = new StopRequests();
  process.once('SIGINT', () => stops.request('SIGINT'));
  process.once('SIGTERM', () => stops.request('SIGTERM'));
  return {
    stops,
    env: process.env,
    cwd: process.cwd(),
    clock: clockFromEnv(process.env),
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    stopSignal: stops.requested(),
    stdoutIsTty: Boolean(process.stdout.isTTY),
  };
}

if (require.main === module) {
  let ctx: CliContext;
  try {
    ctx = processContext();
  } catch (e) {
    process.stderr.write(`agility-pat: error [INVALID_INPUT] ${(e as Error).message}\n`);
    process.exit(2);
  }
  main(process.argv.slice(2), ctx).then((code) => {
    // Exit explicitly once the work is done: keep-alive sockets must not hold a hook open (docs/design.md, "Facts").
    process.stdout.write('', () => process.exit(code));
  });
}
