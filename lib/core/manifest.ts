import { createHash } from 'node:crypto';
import { ConfigError, InvalidInputError, hasErrorCode } from './errors';
import { STACK_TAG_PATTERN, parseManagedName } from './managed-name';
import { SinkSpec, validateSinkSpec } from './sink-spec';
import { ResolvedTokenSpec, validateStackTokens } from './token-spec';

/**
 * The stack manifest: what one stack declares, as the reconcile hook needs it (docs/design.md, "Hooks"). Synth
 * writes it; its {@link manifestHash} triggers the reconcile hook whenever it changes, and the hook reads it
 * back with {@link parseManifest}. It holds names, dates and sink specs, never a secret or a token id.
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
  readonly sinks: readonly SinkSpec[];
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
    throw new ConfigError(`The stack manifest is not valid JSON (${(e as Error).message}). It is written by synth: run cdktf synth again.`);
  }
  // Checked by hand rather than with ajv: the hooks read the manifest on every run, and ajv is a dev
  // dependency whose schema compilation would add to each hook's start-up time.
  const m = expectObject(raw, 'manifest');
  if (m.version !== 1) {
    fail('version', `must be 1 (this agility-pat reads manifest version 1)`, m.version);
  }
  const stackTag = expectString(m.stackTag, 'stackTag');
  if (!STACK_TAG_PATTERN.test(stackTag)) fail('stackTag', 'must look like "prod~3fa9c1"', stackTag);
  const apiUrl = expectString(m.apiUrl, 'apiUrl');
  const credentialEnv = expectString(m.credentialEnv, 'credentialEnv');
  if (!Array.isArray(m.tokens)) fail('tokens', 'must be an array', m.tokens);
  const tokens = (m.tokens as unknown[]).map((t, i) => parseToken(t, `tokens[${i}]`, stackTag));
  return { version: 1, stackTag, apiUrl, credentialEnv, tokens };
}

/** Every managed name the manifest keeps alive (all `live` entries of all tokens). */
export function liveManagedNames(m: StackManifest): Set<string> {
  return new Set(m.tokens.flatMap((t) => t.live.map((l) => l.managedName)));
}

function parseToken(raw: unknown, at: string, stackTag: string): ManifestToken {
  const t = expectObject(raw, at);
  const declaredName = expectString(t.declaredName, `${at}.declaredName`);
  const constructPath = expectString(t.constructPath, `${at}.constructPath`);
  const currentGeneration = expectGeneration(t.currentGeneration, `${at}.currentGeneration`);
  const currentManagedName = expectManagedName(t.currentManagedName, `${at}.currentManagedName`, stackTag, declaredName);
  const expiryDate = expectInstantOrNull(t.expiryDate, `${at}.expiryDate`);
  const nextRotation = expectInstantOrNull(t.nextRotation, `${at}.nextRotation`);
  if (!Array.isArray(t.live)) fail(`${at}.live`, 'must be an array', t.live);
  const live = (t.live as unknown[]).map((l, j): ManifestLiveToken => {
    const where = `${at}.live[${j}]`;
    const o = expectObject(l, where);
    if (o.role !== 'ensure' && o.role !== 'retain') fail(`${where}.role`, 'must be "ensure" or "retain"', o.role);
    return {
      managedName: expectManagedName(o.managedName, `${where}.managedName`, stackTag, declaredName),
      generation: expectGeneration(o.generation, `${where}.generation`),
      role: o.role as 'ensure' | 'retain',
      expiryDate: expectInstantOrNull(o.expiryDate, `${where}.expiryDate`),
    };
  });
  if (!Array.isArray(t.sinks)) fail(`${at}.sinks`, 'must be an array', t.sinks);
  const sinks = (t.sinks as unknown[]).map((s, j) => {
    try {
      return validateSinkSpec(s as SinkSpec, `${at}.sinks[${j}]`);
    } catch (e) {
      if (hasErrorCode(e, 'INVALID_INPUT'))
        throw new ConfigError(`The stack manifest is not valid: ${e.message} It is written by synth: run cdktf synth again.`);
      throw e;
    }
  });
  return { declaredName, constructPath, currentGeneration, currentManagedName, expiryDate, nextRotation, live, sinks };
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
  throw new ConfigError(`The stack manifest is not valid: ${field} ${rule}, got ${shown}. It is written by synth: run cdktf synth again.`, {
    field,
  });
}

function expectObject(v: unknown, field: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(field, 'must be an object', v);
  return v as Record<string, unknown>;
}

function expectString(v: unknown, field: string): string {
  if (typeof v !== 'string' || v === '') fail(field, 'must be a non-empty string', v);
  return v as string;
}

function expectGeneration(v: unknown, field: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) fail(field, 'must be a non-negative whole number', v);
  return v as number;
}

function expectInstantOrNull(v: unknown, field: string): string | null {
  if (v === null) return null;
  if (typeof v !== 'string' || Number.isNaN(Date.parse(v)) || !/^\d{4}-\d{2}-\d{2}T/.test(v))
    fail(field, 'must be an ISO-8601 date-time or null', v);
  return v as string;
}

function expectManagedName(v: unknown, field: string, stackTag: string, declaredName: string): string {
  const name = expectString(v, field);
  const parts = parseManagedName(name);
  if (!parts || parts.stackTag !== stackTag || parts.declaredName !== declaredName) {
    fail(field, `must be a managed name of "${declaredName}" in stack ${stackTag}`, name);
  }
  return name;
}
