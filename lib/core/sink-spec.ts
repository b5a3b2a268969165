import { InvalidInputError } from './errors';
import { SINK_CREDENTIAL_ENV } from './hook-contract';
import { ENV_VAR_NAME } from './validation';

/**
 * Where a token's secret goes, as plain serialisable data (it travels in the stack manifest and in hook
 * environment variables). The construct builds these through `SecretSink.file(...)` and friends; the
 * delivery code lives in `lib/sinks`.
 */
export type SinkSpec = FileSinkSpec | EnvFileSinkSpec | CommandSinkSpec | GitHubActionsSinkSpec | VaultSinkSpec;

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

/** Who may read an organization secret (GitHub's `visibility`). */
export type GitHubSecretVisibility = 'all' | 'private' | 'selected';

/**
 * A GitHub Actions secret: of a repository, of one of its environments, or of an organization. The value is sealed
 * with the scope's public key before it leaves the machine. A GitHub secret cannot be read back, so it cannot be
 * restored: it is written after every restorable sink.
 */
export interface GitHubActionsSinkSpec {
  readonly kind: 'github-actions';
  /** `owner/repo`, for a repository or environment secret. Exclusive with `organization`. @default - none: give `organization` */
  readonly repository?: string;
  /** An environment of `repository`: the secret is that environment's. @default - a repository secret */
  readonly environment?: string;
  /** An organization login, for an organization secret. Exclusive with `repository`. @default - none: give `repository` */
  readonly organization?: string;
  /** Organization secrets only. @default 'private' */
  readonly visibility?: GitHubSecretVisibility;
  /** Organization secrets with `visibility: 'selected'`: the repositories (numeric ids) that may read it. @default - GitHub keeps the current selection */
  readonly selectedRepositoryIds?: readonly number[];
  /** The secret's name: letters, digits and underscores, not starting with a digit or `GITHUB_`. */
  readonly name: string;
  /** The variable holding the GitHub token, read at delivery. @default 'GITHUB_TOKEN' */
  readonly tokenEnv?: string;
  /** The REST API root, e.g. `https://ghe.example.com/api/v3` for GitHub Enterprise Server. @default 'https://api.github.com' */
  readonly apiUrl?: string;
}

/** One field of a secret in a Vault KV version 2 engine; its other fields are kept. Restorable (check-and-set). */
export interface VaultSinkSpec {
  readonly kind: 'vault';
  /** Vault's address, e.g. `https://vault.example.com:8200`. */
  readonly address: string;
  /** Where the KV v2 engine is mounted. @default 'secret' */
  readonly mount?: string;
  /** The secret's path inside the engine, e.g. `ci/agility`. */
  readonly path: string;
  /** The field the token goes in. @default 'token' */
  readonly field?: string;
  /** The variable holding the Vault token, read at delivery. @default 'VAULT_TOKEN' */
  readonly tokenEnv?: string;
  /** Vault Enterprise namespace (`X-Vault-Namespace`). @default - none */
  readonly namespace?: string;
}

/** The GitHub REST API root when a sink names none. */
export const DEFAULT_GITHUB_API_URL = 'https://api.github.com';

const GITHUB_OWNER = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/;
const GITHUB_REPOSITORY = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\/[A-Za-z0-9._-]{1,100}$/;
const GITHUB_SECRET_NAME = /^(?!GITHUB_)[A-Za-z_][A-Za-z0-9_]*$/i;
/** One Vault path: segments without `.`/`..`, no empty segment, no `?`, `#`, `%` or control characters. */
const VAULT_PATH = /^(?!.*(?:^|\/)\.{1,2}(?:\/|$))[^/?#%\s\0][^?#%\0]*(?<!\/)$/;

/** True for the sinks whose previous value can be put back when a later sink fails. */
export function isRestorableSink(spec: SinkSpec): boolean {
  return spec.kind === 'file' || spec.kind === 'env-file' || spec.kind === 'vault';
}

/** The names of the variables holding the credentials a delivery to these sinks reads (never given to command sinks). */
export function sinkCredentialEnvs(sinks: readonly SinkSpec[]): string[] {
  const names = sinks.flatMap((s) =>
    s.kind === 'github-actions'
      ? [s.tokenEnv ?? SINK_CREDENTIAL_ENV.githubActions]
      : s.kind === 'vault'
        ? [s.tokenEnv ?? SINK_CREDENTIAL_ENV.vault]
        : [],
  );
  return [...new Set(names)];
}

declare const VALID_SINK_SPEC: unique symbol;

/**
 * A sink spec {@link validateSinkSpec} has checked: what the delivery code (`deliverSecret`) takes, so it never checks
 * again. Each boundary parses once: the construct (`resolveTokenSpec`), the manifest read (`parseStackManifest`) and
 * the hook's environment (`AGILITY_PAT_SINKS`).
 */
export type ValidSinkSpec = SinkSpec & { readonly [VALID_SINK_SPEC]: true };

/**
 * Checks a sink spec and returns it as a {@link ValidSinkSpec}; `label` names it in messages, e.g. `sinks[1]`.
 * @throws InvalidInputError naming the field, the rule and the value.
 */
export function validateSinkSpec(spec: SinkSpec, label = 'sink'): ValidSinkSpec {
  return checkSinkSpec(spec, label) as ValidSinkSpec;
}

function checkSinkSpec(spec: SinkSpec, label: string): SinkSpec {
  switch (spec?.kind) {
    case 'file':
    case 'env-file':
      if (typeof spec.path !== 'string' || spec.path.trim() === '' || spec.path.includes('\0')) {
        throw new InvalidInputError(`${label}.path must be a non-empty file path, got ${JSON.stringify(spec.path)}.`, { prop: label });
      }
      if (spec.kind === 'env-file' && !ENV_VAR_NAME.test(spec.key ?? '')) {
        throw new InvalidInputError(
          `${label}.key must be a variable name (letters, digits, underscores; not starting with a digit), got ${JSON.stringify(spec.key)}.`,
          { prop: label },
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
          `${label}.argv must be a non-empty array of strings (program first), got ${JSON.stringify(spec.argv)}.`,
          { prop: label },
        );
      }
      if (spec.timeoutMs !== undefined && !(Number.isInteger(spec.timeoutMs) && spec.timeoutMs > 0)) {
        throw new InvalidInputError(`${label}.timeoutMs must be a positive whole number of milliseconds, got ${String(spec.timeoutMs)}.`, {
          prop: label,
        });
      }
      return spec;
    case 'github-actions':
      return validateGitHubActionsSpec(spec, label);
    case 'vault':
      return validateVaultSpec(spec, label);
    default:
      throw new InvalidInputError(
        `${label}.kind must be "file", "env-file", "command", "github-actions" or "vault", got ${JSON.stringify((spec as { kind?: unknown })?.kind)}.`,
        { prop: label },
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
    case 'github-actions':
      return `github-actions ${spec.organization ? `organization ${spec.organization}` : spec.repository}${spec.environment ? ` environment ${spec.environment}` : ''} (${spec.name})`;
    case 'vault':
      return `vault ${spec.address} ${spec.mount ?? 'secret'}/${spec.path} (${spec.field ?? 'token'})`;
  }
}

/**
 * Where a sink writes, as synth compares them and as the Vault sink locks them (docs/design.md, "One writer per
 * destination"): the thing written (`place`: a file, a GitHub secret scope, one Vault secret) and the part of it this
 * sink writes (an env key, a secret name, a Vault field), absent when the sink replaces the whole place (a file sink).
 * Names are normalised as the service compares them (GitHub: owners, repositories and environments case-insensitive,
 * secret names stored upper case).
 */
export interface SinkDestination {
  readonly place: string;
  readonly part?: string;
  /** What one destination holds, for the refusal: `one GitHub secret holds one token`. */
  readonly rule: string;
}

const FILE_RULE = 'one file, or one key of an env file, holds one secret. Give each token its own file or key.';

/**
 * The destination of a sink, or undefined for a command sink (its program decides where the secret goes).
 * @param absolutePath makes a file sink's path absolute (relative paths start at the project folder).
 */
export function sinkDestination(spec: SinkSpec, absolutePath: (path: string) => string = (p) => p): SinkDestination | undefined {
  switch (spec.kind) {
    case 'file':
      return { place: `file ${absolutePath(spec.path)}`, rule: FILE_RULE };
    case 'env-file':
      return { place: `file ${absolutePath(spec.path)}`, part: spec.key, rule: FILE_RULE };
    case 'command':
      return undefined;
    case 'github-actions': {
      const api = normalUrl(spec.apiUrl ?? DEFAULT_GITHUB_API_URL);
      const scope =
        spec.organization !== undefined
          ? `organization ${spec.organization.toLowerCase()}`
          : `repository ${(spec.repository ?? '').toLowerCase()}${spec.environment !== undefined ? ` environment ${spec.environment.toLowerCase()}` : ''}`;
      return {
        place: `github-actions ${api} ${scope}`,
        part: spec.name.toUpperCase(),
        rule: 'one GitHub secret holds one token. Give each token its own secret name.',
      };
    }
    case 'vault':
      return {
        place: vaultSecretKey(spec),
        part: spec.field ?? 'token',
        rule: 'one field of a Vault secret holds one secret. Give each token its own field or path.',
      };
  }
}

/**
 * One Vault secret (address, namespace, mount and path): what the Vault sink locks around its read-modify-write. A
 * namespace is a prefix of the request path to Vault (`X-Vault-Namespace: team-a` with mount `kv` is mount
 * `team-a/kv`), so the two are joined.
 */
export function vaultSecretKey(spec: VaultSinkSpec): string {
  const mountPath = [spec.namespace, spec.mount ?? 'secret'].filter((p) => p !== undefined && p !== '').join('/');
  return `vault ${normalUrl(spec.address)} ${mountPath} data ${spec.path}`;
}

/** A URL as the service reads it (scheme and host lower case, default port dropped), without a trailing slash. */
function normalUrl(url: string): string {
  let href = url;
  try {
    href = new URL(url).href;
  } catch {
    // not a URL: validation refuses it elsewhere; compared as written
  }
  return href.replace(/\/+$/, '');
}

/** A sink's destination as synth compares them, with the construct that declares it. */
export interface SinkTarget {
  readonly constructPath: string;
  readonly sink: SinkSpec;
  readonly destination: SinkDestination;
}

/**
 * The destinations that two tokens share, as one message per clash naming both constructs: one file, one key of an
 * env file, one GitHub secret or one field of a Vault secret holds one secret, so two tokens writing it would
 * overwrite each other (and a file sink replaces a whole env file). Empty when every destination has one owner.
 */
export function sharedSinkTargets(targets: readonly SinkTarget[]): string[] {
  const problems: string[] = [];
  const seen: SinkTarget[] = [];
  for (const t of targets) {
    const clash = seen.find(
      (s) =>
        s.constructPath !== t.constructPath &&
        s.destination.place === t.destination.place &&
        (s.destination.part === undefined || t.destination.part === undefined || s.destination.part === t.destination.part),
    );
    if (clash) {
      problems.push(
        `${t.constructPath}: its sink ${describeSink(t.sink)} writes where the sink ${describeSink(clash.sink)} of ${clash.constructPath} does; ` +
          t.destination.rule,
      );
    }
    seen.push(t);
  }
  return problems;
}

function invalid(label: string, prop: string, rule: string, value: unknown): InvalidInputError {
  return new InvalidInputError(`${label}.${prop} must be ${rule}, got ${JSON.stringify(value)}.`, { prop: `${label}.${prop}` });
}

function checkOptionalEnvName(value: unknown, label: string): void {
  if (value !== undefined && !(typeof value === 'string' && ENV_VAR_NAME.test(value))) {
    throw invalid(label, 'tokenEnv', 'the NAME of an environment variable (letters, digits, underscores), never the token itself', '…');
  }
}

function checkUrl(value: unknown, label: string, prop: string): void {
  let ok = false;
  try {
    const url = new URL(String(value));
    ok = typeof value === 'string' && (url.protocol === 'https:' || url.protocol === 'http:') && url.username === '' && url.password === '';
  } catch {
    ok = false;
  }
  if (!ok) throw invalid(label, prop, 'an absolute https:// URL without credentials', value);
}

function validateGitHubActionsSpec(spec: GitHubActionsSinkSpec, label: string): GitHubActionsSinkSpec {
  if (typeof spec.name !== 'string' || !GITHUB_SECRET_NAME.test(spec.name)) {
    throw invalid(label, 'name', 'a GitHub secret name (letters, digits, underscores; not starting with a digit or GITHUB_)', spec.name);
  }
  if ((spec.repository === undefined) === (spec.organization === undefined)) {
    throw new InvalidInputError(`${label} must name exactly one of repository ("owner/repo") and organization.`, { prop: label });
  }
  if (spec.repository !== undefined && !(typeof spec.repository === 'string' && GITHUB_REPOSITORY.test(spec.repository))) {
    throw invalid(label, 'repository', '"owner/repo"', spec.repository);
  }
  if (spec.organization !== undefined && !(typeof spec.organization === 'string' && GITHUB_OWNER.test(spec.organization))) {
    throw invalid(label, 'organization', 'a GitHub organization login', spec.organization);
  }
  if (spec.environment !== undefined) {
    if (spec.organization !== undefined)
      throw new InvalidInputError(`${label}.environment needs repository, not organization.`, { prop: label });
    if (typeof spec.environment !== 'string' || spec.environment.trim() === '' || spec.environment.length > 255) {
      throw invalid(label, 'environment', 'an environment name of 1 to 255 characters', spec.environment);
    }
  }
  if (spec.visibility !== undefined) {
    if (spec.organization === undefined)
      throw new InvalidInputError(`${label}.visibility applies to organization secrets only.`, { prop: label });
    if (!['all', 'private', 'selected'].includes(spec.visibility))
      throw invalid(label, 'visibility', '"all", "private" or "selected"', spec.visibility);
  }
  if (spec.selectedRepositoryIds !== undefined) {
    if (spec.visibility !== 'selected')
      throw new InvalidInputError(`${label}.selectedRepositoryIds needs visibility: "selected".`, { prop: label });
    if (!Array.isArray(spec.selectedRepositoryIds) || !spec.selectedRepositoryIds.every((id) => Number.isInteger(id) && id > 0)) {
      throw invalid(label, 'selectedRepositoryIds', 'an array of repository ids (positive whole numbers)', spec.selectedRepositoryIds);
    }
  }
  checkOptionalEnvName(spec.tokenEnv, label);
  if (spec.apiUrl !== undefined) checkUrl(spec.apiUrl, label, 'apiUrl');
  return spec;
}

function validateVaultSpec(spec: VaultSinkSpec, label: string): VaultSinkSpec {
  checkUrl(spec.address, label, 'address');
  if (spec.mount !== undefined && !(typeof spec.mount === 'string' && VAULT_PATH.test(spec.mount))) {
    throw invalid(label, 'mount', 'a Vault mount path such as "secret" (no leading or trailing slash)', spec.mount);
  }
  if (typeof spec.path !== 'string' || !VAULT_PATH.test(spec.path)) {
    throw invalid(label, 'path', 'a Vault secret path such as "ci/agility" (no leading or trailing slash, no "..")', spec.path);
  }
  if (spec.field !== undefined && !(typeof spec.field === 'string' && spec.field !== ''))
    throw invalid(label, 'field', 'a non-empty field name', spec.field);
  if (spec.namespace !== undefined && !(typeof spec.namespace === 'string' && VAULT_PATH.test(spec.namespace))) {
    throw invalid(label, 'namespace', 'a Vault namespace such as "team-a"', spec.namespace);
  }
  checkOptionalEnvName(spec.tokenEnv, label);
  return spec;
}
