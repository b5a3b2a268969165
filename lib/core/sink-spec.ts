import { InvalidInputError } from './errors';
import { ENV_VAR_NAME } from './validation';

/**
 * Where a token's secret goes, as plain serialisable data (it travels in the stack manifest and in hook
 * environment variables). The construct builds these through `SecretSink.file(...)` and friends; the
 * delivery code lives in `lib/sinks`.
 */
export type SinkSpec = FileSinkSpec | EnvFileSinkSpec | CommandSinkSpec;

/** The secret alone, written atomically to `path` with mode 0600 (parent directory created 0700). */
export interface FileSinkSpec {
  readonly kind: 'file';
  /** Absolute, or relative to the working directory of the hook (the synthesized stack's folder). */
  readonly path: string;
}

/** One `KEY=secret` line inserted or replaced in a dotenv file; other lines are kept; mode 0600. */
export interface EnvFileSinkSpec {
  readonly kind: 'env-file';
  readonly path: string;
  /** The variable name: letters, digits and underscores, not starting with a digit. */
  readonly key: string;
}

/** A program run without a shell, the secret on its stdin. */
export interface CommandSinkSpec {
  readonly kind: 'command';
  /** Program and arguments; `argv[0]` is looked up on PATH when it has no slash. */
  readonly argv: readonly string[];
  /** Milliseconds before the program is killed and the delivery fails. @default 30000 */
  readonly timeoutMs?: number;
}

/** Checks a sink spec and returns it; `what` names it in messages, e.g. `sinks[1]`. */
export function validateSinkSpec(spec: SinkSpec, what = 'sink'): SinkSpec {
  switch (spec?.kind) {
    case 'file':
    case 'env-file':
      if (typeof spec.path !== 'string' || spec.path.trim() === '' || spec.path.includes('\0')) {
        throw new InvalidInputError(`${what}.path must be a non-empty file path, got ${JSON.stringify(spec.path)}.`, { what });
      }
      if (spec.kind === 'env-file' && !ENV_VAR_NAME.test(spec.key ?? '')) {
        throw new InvalidInputError(
          `${what}.key must be a variable name (letters, digits, underscores; not starting with a digit), got ${JSON.stringify(spec.key)}.`,
          { what },
        );
      }
      return spec;
    case 'command':
      if (
        !Array.isArray(spec.argv) ||
        spec.argv.length === 0 ||
        spec.argv.some((a) => typeof a !== 'string' || a.includes('\0')) ||
        spec.argv[0] === ''
      ) {
        throw new InvalidInputError(
          `${what}.argv must be a non-empty array of strings (program first), got ${JSON.stringify(spec.argv)}.`,
          { what },
        );
      }
      if (spec.timeoutMs !== undefined && !(Number.isInteger(spec.timeoutMs) && spec.timeoutMs > 0)) {
        throw new InvalidInputError(`${what}.timeoutMs must be a positive whole number of milliseconds, got ${String(spec.timeoutMs)}.`, {
          what,
        });
      }
      return spec;
    default:
      throw new InvalidInputError(
        `${what}.kind must be "file", "env-file" or "command", got ${JSON.stringify((spec as { kind?: unknown })?.kind)}.`,
        { what },
      );
  }
}

/** A one-line description for messages: names and paths, never a value. */
export function describeSink(spec: SinkSpec): string {
  switch (spec.kind) {
    case 'file':
      return `file ${spec.path}`;
    case 'env-file':
      return `env-file ${spec.path} (${spec.key})`;
    case 'command':
      return `command ${spec.argv[0]}`;
  }
}

/** A file sink target as synth compares them: the absolute path, and for env files the key. */
export interface SinkTarget {
  readonly constructPath: string;
  readonly sink: FileSinkSpec | EnvFileSinkSpec;
  /** `sink.path` made absolute (relative paths start at the project folder). */
  readonly absolutePath: string;
}

/**
 * The targets that two tokens share, as one message per clash naming both constructs: one file or one key of an env
 * file holds one secret, so two tokens writing it would overwrite each other (and a file sink replaces a whole env
 * file). Empty when every target has one owner.
 */
export function sharedSinkTargets(targets: readonly SinkTarget[]): string[] {
  const problems: string[] = [];
  const seen: SinkTarget[] = [];
  for (const t of targets) {
    const clash = seen.find(
      (s) =>
        s.constructPath !== t.constructPath &&
        s.absolutePath === t.absolutePath &&
        (s.sink.kind === 'file' || t.sink.kind === 'file' || (s.sink as EnvFileSinkSpec).key === (t.sink as EnvFileSinkSpec).key),
    );
    if (clash) {
      problems.push(
        `${t.constructPath}: its sink ${describeSink(t.sink)} writes where the sink ${describeSink(clash.sink)} of ${clash.constructPath} does; ` +
          `one file, or one key of an env file, holds one secret. Give each token its own file or key.`,
      );
    }
    seen.push(t);
  }
  return problems;
}
