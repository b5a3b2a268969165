import { parseArgs } from 'node:util';
import { isLoopbackHost } from '../../api/base-url';
import { emulatorBanner, startEmulator } from '../../emulator';
import { InvalidInputError } from '../../core/errors';
import { parseInstant } from '../../core/validation';
import type { CliContext, Command } from '../context';

export const EMULATOR_HELP = `Usage: agility-pat emulator [--host H [--allow-remote]] [--port N] [--state FILE] [--now ISO-8601]

Runs a local Agility Management API (token routes, OAuth sign-in, users/me) with Agility's rules, for trying the
project without an Agility account and for tests. The first line on stdout is
"Agility Management API emulator listening on http://H:PORT". Stops on SIGINT or SIGTERM.

Options:
  --host H        address to bind (default 127.0.0.1); a non-loopback address needs --allow-remote
  --allow-remote  bind a non-loopback --host such as 0.0.0.0. Its /__emulator/* admin routes (clock, faults, state,
                  request log) take no credential: anyone who can reach the port can use them
  --port N        port (default 0: a free port)
  --state FILE    keep the emulator's state in FILE across restarts (no secret is stored in it)
  --now ISO       start the emulator's clock at this instant (then frozen; POST /__emulator/clock moves it)
  -h, --help      this help`;

/** `agility-pat emulator`: runs until asked to stop. */
export async function emulatorCommand(args: string[], ctx: CliContext): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      host: { type: 'string' },
      'allow-remote': { type: 'boolean' },
      port: { type: 'string' },
      state: { type: 'string' },
      now: { type: 'string' },
    },
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
      { what: '--host', value: host },
    );
  }
  const emulator = await startEmulator({
    host,
    port,
    stateFile: values.state,
    now: values.now === undefined ? undefined : parseInstant(values.now, '--now'),
  });
  ctx.out(emulatorBanner(emulator.url));
  await ctx.stopSignal;
  await emulator.close();
  return 0;
}

/** `agility-pat emulator`, as the program's entry point loads it. */
export const command: Command = { help: EMULATOR_HELP, run: emulatorCommand };
