import { spawn, type ChildProcess } from 'node:child_process';
import { statSync } from 'node:fs';
import { COMMAND_SINK_BASE_ENV, COMMAND_SINK_ENV, HOOK_CREDENTIAL_ENVS } from '../core/hook-contract';
import type { CommandSinkSpec } from '../core/sink-spec';
import type { DeliveryContext } from './delivery-context';
import { DeliveryFailure } from './delivery-failure';
import { RedactedTail } from './redacted-tail';

/** How long a command sink may run when its spec does not say. */
export const DEFAULT_COMMAND_TIMEOUT_MS = 30_000;
/** How much of the end of the program's stdout and stderr a failure message quotes. */
export const COMMAND_OUTPUT_TAIL_CHARS = 4096;
/**
 * After the program exits, how long to wait for its stdout/stderr to close: a background process it started
 * may hold them open for ever, and its exit status is what counts.
 */
const CLOSE_GRACE_MS = 250;

/** Values shorter than this are matched whole only: a short value would otherwise drop every variable containing it. */
const MIN_SCRUB_LENGTH = 8;

/** What to leave out of an environment: these variables, and every variable whose value holds one of these values. */
interface Withheld {
  readonly names?: readonly string[];
  readonly values?: readonly string[];
}

/**
 * `env` without the withheld variables: those named, and those whose value equals, or (for values of 8 characters
 * or more) contains, a withheld value, whatever they are called.
 */
export function withholdVariables(env: NodeJS.ProcessEnv, withheld: Withheld): NodeJS.ProcessEnv {
  const names = new Set(withheld.names ?? []);
  const values = (withheld.values ?? []).filter((v) => v !== '');
  const holds = (value: string): boolean => values.some((v) => value === v || (v.length >= MIN_SCRUB_LENGTH && value.includes(v)));
  const out: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(env)) {
    if (value !== undefined && !names.has(name) && !holds(value)) out[name] = value;
  }
  return out;
}

/**
 * The environment command sinks start from: the hook's, without any Agility credential. Left out are the variable
 * `credentialEnv` names, `AGILITY_ACCESS_TOKEN` and `AGILITY_REFRESH_TOKEN` whatever `credentialEnv` is, and every
 * variable holding the value of one of them (a copy under another name): a sink is given one token's secret, not
 * the power to create and revoke the user's tokens.
 */
export function withoutCredentials(env: NodeJS.ProcessEnv, credentialEnv: string): NodeJS.ProcessEnv {
  const names = [...new Set([credentialEnv, ...HOOK_CREDENTIAL_ENVS])];
  const values = names.map((n) => env[n]?.trim() ?? '');
  return withholdVariables(env, { names, values });
}

/**
 * The names a command sink's program may inherit from `env`: those of {@link COMMAND_SINK_BASE_ENV} (the Windows ones
 * on Windows only, where names are compared without case) and those its sink lists in `allowed`.
 */
function inheritable(name: string, allowed: readonly string[], platform: NodeJS.Platform): boolean {
  const base = COMMAND_SINK_BASE_ENV;
  if (platform === 'win32') {
    const upper = name.toUpperCase();
    const fold = (list: readonly string[]): boolean => list.some((n) => n.toUpperCase() === upper);
    return fold(base.names) || fold(base.windows) || base.prefixes.some((p) => upper.startsWith(p)) || fold(allowed);
  }
  return (base.names as readonly string[]).includes(name) || base.prefixes.some((p) => name.startsWith(p)) || allowed.includes(name);
}

/**
 * The environment of a command sink, an allow-list: from `source`, only the variables of {@link COMMAND_SINK_BASE_ENV}
 * and those the sink names in `spec.env`; then `AGILITY_PAT_NAME`, `AGILITY_PAT_MANAGED_NAME`, `AGILITY_PAT_EXPIRY`,
 * `AGILITY_PAT_GENERATION` and `AGILITY_PAT_TOKEN_ID`. Nothing else: not the native sinks' credentials, not another
 * token's, nothing the rest of the deploy's environment holds. An inherited variable whose value contains the secret
 * is left out too, so the secret never reaches the program through its environment. The hook passes a `source`
 * already without the Agility credentials ({@link withoutCredentials}), so a sink naming one gets nothing (synth
 * refuses it anyway).
 */
export function commandEnvironment(
  source: NodeJS.ProcessEnv,
  spec: Pick<CommandSinkSpec, 'env'>,
  ctx: DeliveryContext,
  secret: string,
  platform: NodeJS.Platform = process.platform,
): NodeJS.ProcessEnv {
  const allowed = spec.env ?? [];
  const picked = Object.fromEntries(Object.entries(source).filter(([name]) => inheritable(name, allowed, platform)));
  const env = withholdVariables(picked, { values: [secret] });
  env[COMMAND_SINK_ENV.declaredName] = ctx.declaredName;
  env[COMMAND_SINK_ENV.managedName] = ctx.managedName;
  env[COMMAND_SINK_ENV.expiry] = ctx.expiryDate;
  env[COMMAND_SINK_ENV.generation] = String(ctx.generation);
  env[COMMAND_SINK_ENV.tokenId] = ctx.tokenId;
  return env;
}

/**
 * Runs `spec.argv[0]` with the rest of `argv` as its arguments, without a shell (so `$(…)`, `;` and backticks
 * in arguments are plain text), in `cwd`, with {@link commandEnvironment} (an allow-list); writes exactly the secret to its
 * stdin and closes it. Resolves when the program exits with status 0.
 *
 * The program leads a process group of its own, so that a timeout ends what it started too: the whole group is
 * killed with SIGKILL (on Windows, only the program).
 *
 * @throws DeliveryFailure when the program cannot be started (`program not found`, not executable), exits
 * with another status, is ended by a signal, or runs longer than `spec.timeoutMs` (default 30 s; it is then
 * killed with SIGKILL, with every process of its group). The message quotes the end of its stdout and stderr (last 4 KiB each) with the
 * secret redacted, in case the program echoes its input.
 */
export async function deliverToCommand(
  secret: string,
  spec: CommandSinkSpec,
  ctx: DeliveryContext,
  options: { readonly cwd: string; readonly env: NodeJS.ProcessEnv },
): Promise<void> {
  const program = spec.argv[0]!;
  const timeoutMs = spec.timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
  let child: ChildProcess;
  try {
    child = spawnInOwnGroup(spec.argv, options.cwd, commandEnvironment(options.env, spec, ctx, secret));
  } catch (e) {
    throw startFailure(e, program, options.cwd);
  }
  const outcome = watchUntilDone(child, [secret], timeoutMs);
  writeSecret(child, secret);
  const failure = failureOf(await outcome, program, options.cwd, timeoutMs);
  if (failure) throw failure;
}

/** How a command sink's program ended, with the end of its output (secret redacted) for the message. */
interface RunOutcome {
  /** Set when the program could not be started. */
  readonly startError?: unknown;
  /** It ran longer than its timeout and its group was killed. */
  readonly timedOut: boolean;
  readonly exit?: { readonly code: number | null; readonly signal: NodeJS.Signals | null };
  /** ` (stderr: "…"; stdout: "…")`, or '' when it printed nothing. */
  readonly output: string;
}

/** Starts `argv` without a shell, leading a process group of its own (not a daemon: its output is still ours). */
function spawnInOwnGroup(argv: readonly string[], cwd: string, env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(argv[0]!, argv.slice(1), {
    cwd,
    env,
    shell: false,
    // Its own process group, so that a timeout can kill the group.
    detached: process.platform !== 'win32',
    stdio: ['pipe', 'pipe', 'pipe'],
    windowsHide: true,
  });
}

/** Writes exactly the secret to the program's stdin and closes it. */
function writeSecret(child: ChildProcess, secret: string): void {
  // EPIPE when the program exits without reading its stdin: its exit status decides, not the pipe.
  child.stdin?.on('error', () => undefined);
  child.stdin?.end(secret);
}

/**
 * Resolves when the program has ended and its output is read (or {@link CLOSE_GRACE_MS} after its exit, when
 * something it started holds the pipes open), or failed to start. After `timeoutMs` its group is killed.
 */
function watchUntilDone(child: ChildProcess, secrets: readonly string[], timeoutMs: number): Promise<RunOutcome> {
  const stdout = new RedactedTail(secrets, COMMAND_OUTPUT_TAIL_CHARS);
  const stderr = new RedactedTail(secrets, COMMAND_OUTPUT_TAIL_CHARS);
  child.stdout?.on('data', (chunk: Buffer) => stdout.push(chunk));
  child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk));

  return new Promise<RunOutcome>((resolvePromise) => {
    let settled = false;
    let timedOut = false;
    let startError: unknown;
    let exit: RunOutcome['exit'];
    let graceTimer: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child);
    }, timeoutMs);

    const settle = (): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(graceTimer);
      child.stdout?.destroy();
      child.stderr?.destroy();
      resolvePromise({ startError, timedOut, exit, output: quoteOutput(stderr.text(), stdout.text()) });
    };

    child.on('error', (e) => {
      // Also emitted when a kill fails; only a failure to start decides the outcome.
      if (child.pid === undefined) {
        startError = e;
        settle();
      }
    });
    child.on('exit', (code, signal) => {
      exit = { code, signal };
      graceTimer = setTimeout(settle, CLOSE_GRACE_MS);
    });
    child.on('close', (code, signal) => {
      exit ??= { code, signal };
      settle();
    });
  });
}

function quoteOutput(err: string, out: string): string {
  const parts: string[] = [];
  if (err) parts.push(`stderr: ${JSON.stringify(err)}`);
  if (out) parts.push(`stdout: ${JSON.stringify(out)}`);
  return parts.length > 0 ? ` (${parts.join('; ')})` : '';
}

/** The failure a run outcome means; undefined when the program exited with status 0. */
function failureOf(outcome: RunOutcome, program: string, cwd: string, timeoutMs: number): DeliveryFailure | undefined {
  const { exit, output } = outcome;
  if (outcome.startError !== undefined) return startFailure(outcome.startError, program, cwd);
  if (outcome.timedOut) {
    return new DeliveryFailure(
      `${program} did not finish within ${timeoutMs} ms and was killed${output}`,
      `make the program finish sooner, or raise the sink's timeoutMs`,
      { timeoutMs },
    );
  }
  if (exit?.code === 0) return undefined;
  if (exit?.signal) {
    return new DeliveryFailure(
      `${program} was ended by signal ${exit.signal}${output}`,
      'find out what stopped the program, then deploy again',
      {
        signal: exit.signal,
      },
    );
  }
  return new DeliveryFailure(
    `${program} exited with code ${String(exit?.code)}${output}`,
    'make the program succeed when it reads the secret on its stdin (run it by hand with a test value), then deploy again',
    { exitCode: exit?.code },
  );
}

/** SIGKILL to the child's process group (the child and what it started that stayed in the group), else to the child. */
function killGroup(child: ChildProcess): void {
  if (child.pid !== undefined && process.platform !== 'win32') {
    try {
      process.kill(-child.pid, 'SIGKILL');
      return;
    } catch {
      // The group is gone already (ESRCH): fall back to the child, whose kill is then a no-op.
    }
  }
  child.kill('SIGKILL');
}

function startFailure(error: unknown, program: string, cwd: string): DeliveryFailure {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const details = code ? { code } : {};
  if (code === 'ENOENT') {
    if (!isDirectory(cwd)) {
      return new DeliveryFailure(`the working directory ${cwd} does not exist`, 'run the hook from an existing directory', details, {
        cause: error,
      });
    }
    return new DeliveryFailure(
      `program not found: ${program}`,
      program.includes('/')
        ? `check the path (relative paths start at ${cwd})`
        : 'install it or put its directory on PATH, or give its absolute path in the sink',
      details,
      { cause: error },
    );
  }
  if (code === 'EACCES') {
    return new DeliveryFailure(
      `${program} cannot be run (permission denied)`,
      'make it executable (chmod +x) or give the path of the real program',
      details,
      {
        cause: error,
      },
    );
  }
  const reason = error instanceof Error ? error.message : String(error);
  return new DeliveryFailure(`${program} could not be started (${reason})`, 'check the sink argv', details, { cause: error });
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
