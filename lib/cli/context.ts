import type { StopRequests } from './stop-requests';
import type { Clock } from '../core/clock';

/** Everything a command touches outside itself, so commands are testable in-process. */
export interface CliContext {
  env: NodeJS.ProcessEnv;
  cwd: string;
  clock: Clock;
  /** Writes one line (a newline is added) to standard output. */
  out(line: string): void;
  /** Writes one line to standard error. */
  err(line: string): void;
  /** Resolves when the process is asked to stop (SIGINT/SIGTERM); only long-running commands wait on it. */
  stopSignal: Promise<void>;
  /** The same stop requests, for commands that stop at safe points (the hooks). */
  stops: StopRequests;
  /** True when standard output is a terminal. */
  stdoutIsTty: boolean;
}

/** A subcommand of `agility-pat`: its help text and what runs it (returns the exit code). */
export interface Command {
  readonly help: string;
  run(args: string[], ctx: CliContext): Promise<number>;
}
