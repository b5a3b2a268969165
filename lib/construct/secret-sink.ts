import type { Duration } from '../core/duration';
import type { SinkSpec } from '../core/sink-spec';

/** Options of a command sink. */
export interface CommandSinkOptions {
  /**
   * How long the program may run before it is killed and the delivery fails.
   * @default Duration.seconds(30)
   */
  readonly timeout?: Duration;
}

/**
 * Where a token's secret is delivered, once per token generation. Delivery is all-or-nothing: if any sink of a token
 * fails, the file sinks are restored, the new token is revoked, and the deploy fails naming the sink.
 */
export class SecretSink {
  /**
   * The secret alone, written atomically to `path` with mode 0600 (missing parent folders are created 0700); a path
   * that is a symlink is refused. Relative paths are relative to the project folder (where cdktf.json is).
   */
  static file(path: string): SecretSink {
    return new SecretSink({ kind: 'file', path });
  }

  /**
   * One `KEY=secret` line inserted or replaced in a dotenv file, other lines kept as they are; mode 0600.
   * Relative paths are relative to the project folder.
   */
  static envFile(path: string, key: string): SecretSink {
    return new SecretSink({ kind: 'env-file', path, key });
  }

  /**
   * A program run without a shell, with the secret on its standard input and the token's name, expiry and generation
   * in `AGILITY_PAT_NAME`, `AGILITY_PAT_MANAGED_NAME`, `AGILITY_PAT_EXPIRY`, `AGILITY_PAT_GENERATION`. Use it to push the
   * secret to a secret manager. A command cannot be rolled back if a later sink fails.
   */
  static command(argv: readonly string[], options: CommandSinkOptions = {}): SecretSink {
    return new SecretSink({ kind: 'command', argv: [...argv], timeoutMs: options.timeout?.toMilliseconds() });
  }

  private constructor(readonly spec: SinkSpec) {}
}
