import { parseArgs } from 'node:util';
import { isLoopbackHost } from '../../api/base-url';
import { DEFAULT_USER_EMAIL, emulatorBanner, emulatorNextSteps, startEmulator } from '../../emulator';
import { InvalidInputError } from '../../core/errors';
import { parseInstant } from '../../core/validation';
import type { CliContext, Command } from '../context';
import { type CommandUsage, HELP_OPTION, type OptionTable, formatUsage } from '../usage';

/** `emulator`'s options. */
export const EMULATOR_OPTIONS = {
  host: { type: 'string', value: 'H', help: 'address to bind (default 127.0.0.1); a non-loopback address needs --allow-remote' },
  'allow-remote': {
    type: 'boolean',
    help: 'bind a non-loopback --host such as 0.0.0.0: its /__emulator/* admin routes (clock, faults, state, request log) take no credential, so anyone who can reach the port can use them',
  },
  port: { type: 'string', value: 'N', help: 'port (default 0: a free port)' },
  state: { type: 'string', value: 'FILE', help: "keep the emulator's state in FILE across restarts (no secret is stored in it)" },
  now: {
    type: 'string',
    value: 'ISO',
    help: "start the emulator's clock at this instant (then frozen; POST /__emulator/clock moves it)",
  },
  ...HELP_OPTION,
} as const satisfies OptionTable;

export const EMULATOR_USAGE: CommandUsage = {
  usage: ['agility-pat emulator [--host H [--allow-remote]] [--port N] [--state FILE] [--now ISO]'],
  description: `Runs a local Agility Management API (token routes, OAuth sign-in, users/me) with Agility's rules, for trying the
project without an Agility account and for tests. The first line on stdout is
"${emulatorBanner('http://H:PORT')}"; the next two are what to run next:
${emulatorNextSteps('http://H:PORT')
  .map((l) => `  ${l}`)
  .join('\n')}
GET /oauth/Authorize signs in at once, as login_hint or else ${DEFAULT_USER_EMAIL} (docs/oauth.md). Stops on SIGINT or
SIGTERM.`,
  sections: [{ title: 'Options:', options: EMULATOR_OPTIONS }],
};

export const EMULATOR_HELP = formatUsage(EMULATOR_USAGE);

/** `agility-pat emulator`: runs until asked to stop. */
export async function emulatorCommand(args: string[], ctx: CliContext): Promise<number> {
  const { values } = parseArgs({
    args,
    options: EMULATOR_OPTIONS,
    strict: true,
    allowPositionals: false,
  });
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new InvalidInputError(`--port must be a whole number from 0 to 65535, got "${values.port}".`);
  }
  const host = values.host ?? '127.0.0.1';
  if (!isLoopbackHost(host) && !values['allow-remote']) {
    throw new InvalidInputError(
      `--host ${host} is not a loopback address: other machines could reach the emulator, and its /__emulator/* admin ` +
        `routes (clock, faults, state, request log) take no credential. Bind 127.0.0.1 (the default), or pass --allow-remote ` +
        `if that is what you want.`,
      { prop: '--host', value: host },
    );
  }
  const emulator = await startEmulator({
    host,
    port,
    stateFile: values.state,
    now: values.now === undefined ? undefined : parseInstant(values.now, '--now'),
  });
  ctx.out(emulatorBanner(emulator.url));
  for (const line of emulatorNextSteps(emulator.url)) ctx.out(line);
  await ctx.stopSignal;
  await emulator.close();
  return 0;
}

/** `agility-pat emulator`, as the program's entry point loads it. */
export const command: Command = { help: EMULATOR_HELP, run: emulatorCommand };
