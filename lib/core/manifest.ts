import { createHash } from 'node:crypto';
import { ConfigError, InvalidInputError, hasErrorCode } from './errors';
import { validateManifest, schema as manifestSchema } from '../generated/manifest';
import { schemaProblem, type SchemaValidator } from '../schemas/schema-problem';
import { STACK_TAG_PATTERN, carriesStackMarker, parseManagedName } from './managed-name';
import { type ValidSinkSpec, validateSinkSpec } from './sink-spec';
import { ResolvedTokenSpec, validateStackTokens } from './token-spec';
import type { ReplacesPolicy, RetireEarlyPolicy } from './usage-policy';

/**
 * The stack manifest: what one stack declares, as the reconcile hook needs it (docs/design.md, "Hooks"). Synth
 * writes it; its {@link manifestHash} triggers the reconcile hook whenever it changes, and the hook reads it
 * back with {@link parseManifest}. It holds names, dates and sink specs, never a secret (a `replaces` reference may
 * be a hand-made token's id, which is not one).
 */
export interface StackManifest {
  readonly version: 1;
  /** From `stackTag(stackName, namespace)`: the marker part every token of the stack carries. */
  readonly stackTag: string;
  /** The Management API base URL the hooks talk to. */
  readonly apiUrl: string;
  /** The name (never the value) of the environment variable holding the OAuth credential. */
  readonly credentialEnv: string;
  /** Sorted by `declaredName`. */
  readonly tokens: readonly ManifestToken[];
}

/** One declared token in the manifest. */
export interface ManifestToken {
  readonly declaredName: string;
  readonly constructPath: string;
  readonly currentGeneration: number;
  readonly currentManagedName: string;
  /** ISO-8601 expiry of the current generation; null when Agility's 2-year default applies. */
  readonly expiryDate: string | null;
  /** ISO-8601 instant the next generation starts (a deploy after it rotates); null for a fixed expiry. */
  readonly nextRotation: string | null;
  /** The slots that keep a token alive (role `ensure` or `retain`). */
  readonly live: readonly ManifestLiveToken[];
  readonly sinks: readonly ValidSinkSpec[];
  /** Prove each new token authenticates before delivering it (the construct's `verify`). */
  readonly verify: boolean;
  /** `rotation.retireEarly`, checked; null when off. */
  readonly retireEarly: RetireEarlyPolicy | null;
  /** `replaces`, checked; null when the token takes over no hand-made token. */
  readonly replaces: ReplacesPolicy | null;
}

/** A token the stack keeps alive: reconcile revokes marked tokens that are not among these. */
export interface ManifestLiveToken {
  readonly managedName: string;
  readonly generation: number;
  readonly role: 'ensure' | 'retain';
  readonly expiryDate: string | null;
}

/** What {@link buildManifest} needs. */
export interface BuildManifestInput {
  readonly stackTag: string;
  readonly apiUrl: string;
  readonly credentialEnv: string;
  /** The resolved specs of the stack's tokens, in any order. */
  readonly tokens: readonly ResolvedTokenSpec[];
}

/**
 * Builds the manifest of one stack: tokens sorted by declared name (by UTF-16 code units, not by locale, so
 * every machine gets the same order and hash).
 * @throws InvalidInputError when a token belongs to another stack tag or two tokens share a declared name.
 */
export function buildManifest(input: BuildManifestInput): StackManifest {
  if (!STACK_TAG_PATTERN.test(input.stackTag)) {
    throw new InvalidInputError(`stack manifest: the stack tag must look like "prod~3fa9c1", got ${JSON.stringify(input.stackTag)}.`, {
      prop: 'stackTag',
    });
  }
  for (const t of input.tokens) {
    if (t.stackTag !== input.stackTag) {
      throw new InvalidInputError(
        `its stack tag "${t.stackTag}" is not the manifest's "${input.stackTag}".`,
        { value: t.stackTag },
        { constructPath: t.constructPath },
      );
    }
  }
  validateStackTokens(input.tokens);
  const tokens = [...input.tokens]
    .sort((a, b) => (a.declaredName < b.declaredName ? -1 : a.declaredName > b.declaredName ? 1 : 0))
    .map((t): ManifestToken => ({
      declaredName: t.declaredName,
      constructPath: t.constructPath,
      currentGeneration: t.currentGeneration,
      currentManagedName: t.currentManagedName,
      expiryDate: t.currentExpiryDate,
      nextRotation: t.nextRotation,
      live: t.slots.flatMap((s): ManifestLiveToken[] =>
        s.role === 'none' || s.managedName === null
          ? []
          : [{ managedName: s.managedName, generation: s.generation, role: s.role, expiryDate: s.expiryDate }],
      ),
      sinks: t.sinks,
      verify: t.verify,
      retireEarly: t.retireEarly,
      replaces: t.replaces,
    }));
  return { version: 1, stackTag: input.stackTag, apiUrl: input.apiUrl, credentialEnv: input.credentialEnv, tokens };
}

/**
 * JSON with the keys of every object sorted (by UTF-16 code units), no whitespace; `undefined` properties
 * are left out as `JSON.stringify` does. The same value gives the same text whatever order its keys were built in.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

/** sha256 (hex) of the manifest's {@link canonicalJson}: the trigger of the stack's reconcile hook. */
export function manifestHash(m: StackManifest): string {
  return createHash('sha256').update(canonicalJson(m), 'utf8').digest('hex');
}

/**
 * Parses and checks a manifest written by synth.
 * @throws ConfigError naming the first field that is wrong and what it should be.
 */
export function parseManifest(json: string): StackManifest {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (e) {
    throw new ConfigError(`the stack manifest is not valid JSON (${(e as Error).message}). It is written by synth: run cdktf synth again.`);
  }
  // The schema (lib/schemas/manifest.schema.json) checks the shape with a validator generated at build time, so
  // the hooks neither load ajv nor compile a schema; what it cannot say (managed names, sink specs) follows.
  const problem = schemaProblem(validateManifest as SchemaValidator, raw, { document: manifestSchema, root: 'manifest', prefix: '' });
  if (problem) fail(problem.field, problem.rule, problem.value);
  const { stackTag, apiUrl, credentialEnv, tokens } = raw as StackManifest;
  if (!STACK_TAG_PATTERN.test(stackTag)) fail('stackTag', 'must look like "prod~3fa9c1"', stackTag);
  return { version: 1, stackTag, apiUrl, credentialEnv, tokens: tokens.map((t, i) => checkToken(t, `tokens[${i}]`, stackTag)) };
}

/** Every managed name the manifest keeps alive (all `live` entries of all tokens). */
export function liveManagedNames(m: StackManifest): Set<string> {
  return new Set(m.tokens.flatMap((t) => t.live.map((l) => l.managedName)));
}

/** The checks of one token the schema cannot express: its managed names and its sink specs. */
function checkToken(t: ManifestToken, at: string, stackTag: string): ManifestToken {
  checkManagedName(t.currentManagedName, `${at}.currentManagedName`, stackTag, t.declaredName);
  t.live.forEach((l, j) => checkManagedName(l.managedName, `${at}.live[${j}].managedName`, stackTag, t.declaredName));
  const sinks = t.sinks.map((s, j) => {
    try {
      return validateSinkSpec(s, `${at}.sinks[${j}]`);
    } catch (e) {
      if (hasErrorCode(e, 'INVALID_INPUT'))
        throw new ConfigError(`the stack manifest is not valid: ${e.message} It is written by synth: run cdktf synth again.`);
      throw e;
    }
  });
  const { declaredName, constructPath, currentGeneration, currentManagedName, expiryDate, nextRotation, verify } = t;
  const live = t.live.map(({ managedName, generation, role, expiryDate }) => ({ managedName, generation, role, expiryDate }));
  const retireEarly = t.retireEarly === null ? null : { quietMs: t.retireEarly.quietMs };
  const replaces = t.replaces === null ? null : { ref: t.replaces.ref, afterMs: t.replaces.afterMs };
  if (replaces !== null && carriesStackMarker(replaces.ref)) fail(`${at}.replaces.ref`, 'must not carry a stack marker', replaces.ref);
  return {
    declaredName,
    constructPath,
    currentGeneration,
    currentManagedName,
    expiryDate,
    nextRotation,
    live,
    sinks,
    verify,
    retireEarly,
    replaces,
  };
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) out[key] = sortKeys((value as Record<string, unknown>)[key]);
    return out;
  }
  return value;
}

function fail(field: string, rule: string, got: unknown): never {
  const shown = got === undefined ? 'nothing' : JSON.stringify(got)?.slice(0, 80);
  throw new ConfigError(`the stack manifest is not valid: ${field} ${rule}, got ${shown}. It is written by synth: run cdktf synth again.`, {
    prop: field,
  });
}

function checkManagedName(name: string, field: string, stackTag: string, declaredName: string): void {
  const parts = parseManagedName(name);
  if (!parts || parts.stackTag !== stackTag || parts.declaredName !== declaredName) {
    fail(field, `must be a managed name of "${declaredName}" in stack ${stackTag}`, name);
  }
}
