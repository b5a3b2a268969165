import { validateBaseUrl } from '../api/base-url';
import type { Duration } from '../core/duration';
import { type GitHubActionsSinkSpec, type SinkSpec, type VaultSinkSpec, validateSinkSpec } from '../core/sink-spec';
import { firstUnresolved } from './known-at-synth';

/** Options of a command sink. */
export interface CommandSinkOptions {
  /**
   * How long the program may run before it is killed and the delivery fails.
   * @default Duration.seconds(30)
   */
  readonly timeout?: Duration;
}

/**
 * Where {@link SecretSink.githubActions} writes: a repository (`repository`), one of its environments
 * (`environment`), or an organization (`organization`); the props and their defaults are those of the sink spec.
 */
export type GitHubActionsSinkOptions = Omit<GitHubActionsSinkSpec, 'kind'>;

/** Where {@link SecretSink.vault} writes: one field of a secret in a KV version 2 engine (props as in the sink spec). */
export type VaultSinkOptions = Omit<VaultSinkSpec, 'kind'>;

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

  /**
   * A GitHub Actions secret (repository, environment or organization), sealed with the scope's public key as GitHub
   * documents. A GitHub secret cannot be read back, so it cannot be restored: it is written after every restorable
   * sink, and a failure after it leaves the new value there (the token it holds is then revoked).
   */
  static githubActions(options: GitHubActionsSinkOptions): SecretSink {
    const spec = withoutUndefined({
      ...options,
      kind: 'github-actions' as const,
      selectedRepositoryIds: options.selectedRepositoryIds ? [...options.selectedRepositoryIds] : undefined,
    });
    // A value known only at apply: the token refuses it, naming itself (known-at-synth.ts); nothing to check here.
    if (firstUnresolved(spec, 'sink')) return new SecretSink(spec);
    if (options.apiUrl !== undefined) validateBaseUrl(options.apiUrl, 'SecretSink.githubActions apiUrl');
    return new SecretSink(validateSinkSpec(spec, 'SecretSink.githubActions'));
  }

  /**
   * One field of a secret in a Vault KV version 2 engine; the other fields are kept (read, merge, write with
   * check-and-set). Restorable: if a later sink fails, the previous version's data is written back.
   */
  static vault(options: VaultSinkOptions): SecretSink {
    const spec = withoutUndefined({ ...options, kind: 'vault' as const });
    if (firstUnresolved(spec, 'sink')) return new SecretSink(spec);
    validateBaseUrl(options.address, 'SecretSink.vault address');
    return new SecretSink(validateSinkSpec(spec, 'SecretSink.vault'));
  }

  private constructor(readonly spec: SinkSpec) {}
}

/** Drops undefined properties, so the spec (stored in the manifest and a trigger hash) has no `null`s. */
function withoutUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
