import { validateBaseUrl } from '../api/base-url';
import type { Duration } from '../core/duration';
import { type GitHubSecretVisibility, type SinkSpec, validateSinkSpec } from '../core/sink-spec';

/** Options of a command sink. */
export interface CommandSinkOptions {
  /**
   * How long the program may run before it is killed and the delivery fails.
   * @default Duration.seconds(30)
   */
  readonly timeout?: Duration;
}

/** Where {@link SecretSink.githubActions} writes: a repository, one of its environments, or an organization. */
export interface GitHubActionsSinkOptions {
  /** `owner/repo`: a repository secret (or an environment secret with `environment`). Exclusive with `organization`. */
  readonly repository?: string;
  /** The secret's name: letters, digits and underscores, not starting with a digit or `GITHUB_`. */
  readonly name: string;
  /**
   * An environment of `repository`: the secret is that environment's.
   * @default - a repository secret
   */
  readonly environment?: string;
  /** An organization login: an organization secret. Exclusive with `repository`. */
  readonly organization?: string;
  /**
   * Organization secrets: which repositories may read it.
   * @default 'private'
   */
  readonly visibility?: GitHubSecretVisibility;
  /**
   * Organization secrets with `visibility: 'selected'`: the ids of the repositories that may read it.
   * @default - GitHub keeps the current selection
   */
  readonly selectedRepositoryIds?: readonly number[];
  /**
   * The variable holding a GitHub token with write access to the scope's secrets, read when the hook delivers. The
   * name is stored in the configuration, never the token.
   * @default 'GITHUB_TOKEN'
   */
  readonly tokenEnv?: string;
  /**
   * GitHub's REST API root; for GitHub Enterprise Server, `https://HOST/api/v3`.
   * @default 'https://api.github.com'
   */
  readonly apiUrl?: string;
}

/** Where {@link SecretSink.vault} writes: one field of a secret in a KV version 2 engine. */
export interface VaultSinkOptions {
  /** Vault's address, e.g. `https://vault.example.com:8200`. */
  readonly address: string;
  /**
   * Where the KV version 2 engine is mounted.
   * @default 'secret'
   */
  readonly mount?: string;
  /** The secret's path in the engine, e.g. `ci/agility`. */
  readonly path: string;
  /**
   * The field that holds the token; the secret's other fields are kept.
   * @default 'token'
   */
  readonly field?: string;
  /**
   * The variable holding the Vault token, read when the hook delivers; never stored.
   * @default 'VAULT_TOKEN'
   */
  readonly tokenEnv?: string;
  /**
   * Vault Enterprise namespace.
   * @default - none
   */
  readonly namespace?: string;
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

  /**
   * A GitHub Actions secret (repository, environment or organization), sealed with the scope's public key as GitHub
   * documents. A GitHub secret cannot be read back, so it cannot be restored: it is written after every restorable
   * sink, and a failure after it leaves the new value there (the token it holds is then revoked).
   */
  static githubActions(options: GitHubActionsSinkOptions): SecretSink {
    if (options.apiUrl !== undefined) validateBaseUrl(options.apiUrl, 'SecretSink.githubActions apiUrl');
    const spec = withoutUndefined({
      kind: 'github-actions' as const,
      repository: options.repository,
      environment: options.environment,
      organization: options.organization,
      visibility: options.visibility,
      selectedRepositoryIds: options.selectedRepositoryIds ? [...options.selectedRepositoryIds] : undefined,
      name: options.name,
      tokenEnv: options.tokenEnv,
      apiUrl: options.apiUrl,
    });
    return new SecretSink(validateSinkSpec(spec, 'SecretSink.githubActions'));
  }

  /**
   * One field of a secret in a Vault KV version 2 engine; the other fields are kept (read, merge, write with
   * check-and-set). Restorable: if a later sink fails, the previous version's data is written back.
   */
  static vault(options: VaultSinkOptions): SecretSink {
    validateBaseUrl(options.address, 'SecretSink.vault address');
    const spec = withoutUndefined({
      kind: 'vault' as const,
      address: options.address,
      mount: options.mount,
      path: options.path,
      field: options.field,
      tokenEnv: options.tokenEnv,
      namespace: options.namespace,
    });
    return new SecretSink(validateSinkSpec(spec, 'SecretSink.vault'));
  }

  private constructor(readonly spec: SinkSpec) {}
}

/** Drops undefined properties, so the spec (stored in the manifest and a trigger hash) has no `null`s. */
function withoutUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
