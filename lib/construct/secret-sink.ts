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
   * The secret alone, written atomically to `path` with mode 0600 (missing parent folders are created 0700).
   * Relative paths are relative to the project folder (where cdktf.json is). A symbolic link is refused at the
   * file and at every folder on the way to it that is not the hook's working folder (the stack's folder under
   * `cdktf.out`) or one of the folders containing it, such as the project folder: links there are trusted.
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
   * A program run without a shell, with the secret on its standard input and the token's name, expiry, generation and
   * id in `AGILITY_PAT_NAME`, `AGILITY_PAT_MANAGED_NAME`, `AGILITY_PAT_EXPIRY`, `AGILITY_PAT_GENERATION`,
   * `AGILITY_PAT_TOKEN_ID`. Its environment is the deploy's without any Agility credential (the `credentialEnv`
   * variable, `AGILITY_ACCESS_TOKEN`, `AGILITY_REFRESH_TOKEN`, and any variable holding one of their values). On
   * timeout its whole process group is killed. Use it to push the secret to a secret manager. A command cannot be
   * rolled back if a later sink fails.
   */
  static command(argv: readonly string[], options: CommandSinkOptions = {}): SecretSink {
    return new SecretSink({ kind: 'command', argv: [...argv], timeoutMs: options.timeout?.toMilliseconds() });
  }

  private constructor(readonly spec: SinkSpec) {}
}
