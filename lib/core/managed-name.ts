import { createHash } from 'node:crypto';
import { InvalidInputError } from './errors';
import { TOKEN_NAME_MAX_LENGTH } from './limits';
import { unsafeNameCharacter } from './validation';

/**
 * Managed token names: `<declared name> [cdktf:<stack tag>/g<generation>]`, e.g.
 * `ci-deploy [cdktf:prod~3fa9c1/g2931]` (a README contract; docs/design.md, "Managed names").
 *
 * A token is created under its *pending* name, `<declared name> [cdktf:<stack tag>/g<generation>/pending]`, and
 * renamed to its managed name only once every sink took its secret (docs/design.md, "Delivery record"). So a live
 * token under a managed name was delivered, and one still under a pending name was not: the record lives on the
 * server, where every machine that deploys the stack sees it.
 *
 * The Agility token list is the source of truth: every hook finds its token by this name alone, and the
 * reconcile hook revokes tokens carrying its stack's marker that the code no longer declares. So the format
 * must never change, parsing is strict, and tokens without a well-formed marker are never ours.
 *
 * Lengths are counted in UTF-16 code units (`string.length`): Agility is a .NET service, and .NET string
 * lengths count UTF-16 code units, so an emoji counts as 2 of Agility's 100 characters.
 */

/** Stack names: what a CDKTF stack id may safely be in a marker. */
export const STACK_NAME_PATTERN = /^[A-Za-z0-9_-]{1,40}$/;
/** A stack tag: the stack name, `~`, and 6 hex digits of sha256(namespace). */
export const STACK_TAG_PATTERN = /^[A-Za-z0-9_-]{1,40}~[0-9a-f]{6}$/;
/** Digits the name budget keeps for the generation: 9 999 999 daily rotations is 27 000 years. */
export const GENERATION_DIGITS_RESERVED = 7;
/** What a pending name adds inside the marker, after the generation. */
export const PENDING_SUFFIX = '/pending';

/** The marker at the very end of a managed or pending name: stack tag, a generation without leading zeros, `/pending`. */
const MARKER_AT_END = /^([\s\S]*) \[cdktf:([A-Za-z0-9_-]{1,40}~[0-9a-f]{6})\/g(0|[1-9][0-9]*)(\/pending)?\]$/;
/**
 * Anything that looks like a marker, well-formed or not: a declared name ending like this could be taken for a
 * managed name of another stack or generation (or of an older format), so declared names may not end with it.
 */
const MARKER_LIKE_AT_END = /\[\s*cdktf\s*:[^\]]*\]\s*$/i;
/** C0 and C1 control characters, and the line and paragraph separators. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/** The parts of a managed name. */
export interface ManagedNameParts {
  /** The name the user declared, e.g. `ci-deploy`. */
  readonly declaredName: string;
  /** From {@link stackTag}, e.g. `prod~3fa9c1`. */
  readonly stackTag: string;
  /** The rotation generation; 0 for tokens that do not rotate. */
  readonly generation: number;
  /** True for the pending name a token has between its creation and its delivery. @default false */
  readonly pending?: boolean;
}

/**
 * The stack part of the marker: `${stackName}~${first 6 hex digits of sha256(namespace)}`.
 *
 * The namespace tells apart two projects that use the same stack name under one Agility user (the construct
 * passes `cdktf.json`'s `projectId` or an explicit namespace); it is hashed so that the tag is short and the
 * same on every machine that deploys the stack.
 *
 * @param stackName 1–40 letters, digits, `_` or `-`.
 * @param namespace any non-empty string, hashed as UTF-8.
 * @throws InvalidInputError when either is malformed.
 */
export function stackTag(stackName: string, namespace: string): string {
  if (typeof stackName !== 'string' || !STACK_NAME_PATTERN.test(stackName)) {
    throw new InvalidInputError(
      `stack name must be 1–40 letters, digits, "_" or "-" (it becomes part of every token name), got ${JSON.stringify(stackName)}.`,
      { prop: 'stackName', value: String(stackName) },
    );
  }
  if (typeof namespace !== 'string' || namespace.trim() === '') {
    throw new InvalidInputError(
      `namespace must be a non-empty string (such as cdktf.json's projectId) so that two projects with a stack named "${stackName}" do not manage each other's tokens, got ${JSON.stringify(namespace)}.`,
      { prop: 'namespace' },
    );
  }
  return `${stackName}~${createHash('sha256').update(namespace, 'utf8').digest('hex').slice(0, 6)}`;
}

/**
 * How many UTF-16 code units a declared name may have so that the pending name (the longer of the two), with any
 * generation of up to {@link GENERATION_DIGITS_RESERVED} digits, fits Agility's 100 characters:
 * 100 − length of `` ` [cdktf:${stackTag}/g` `` − 7 − length of `/pending` − 1 (the closing `]`).
 */
export function maxDeclaredNameLength(tag: string): number {
  return TOKEN_NAME_MAX_LENGTH - ` [cdktf:${tag}/g`.length - GENERATION_DIGITS_RESERVED - PENDING_SUFFIX.length - 1;
}

/**
 * Checks a declared token name and returns it: a string of 1 or more characters, without leading or trailing
 * whitespace, without control characters, not ending with something that looks like a marker, and short
 * enough that the managed name fits Agility's 100 characters ({@link maxDeclaredNameLength}).
 *
 * @throws InvalidInputError naming the rule and the value (the construct layer adds its path).
 */
export function validateDeclaredName(declaredName: string, tag: string): string {
  assertStackTag(tag);
  if (typeof declaredName !== 'string' || declaredName.trim() === '') {
    throw new InvalidInputError(`the token name must be a non-empty string, got ${JSON.stringify(declaredName)}.`, { prop: 'name' });
  }
  if (declaredName !== declaredName.trim()) {
    throw new InvalidInputError(
      `the token name must not start or end with whitespace (it is part of the managed name that identifies the token), got ${JSON.stringify(declaredName)}. Remove the spaces.`,
      { prop: 'name', value: declaredName },
    );
  }
  if (CONTROL.test(declaredName)) {
    throw new InvalidInputError(`the token name must not contain control characters or line breaks, got ${JSON.stringify(declaredName)}.`, {
      prop: 'name',
      value: declaredName,
    });
  }
  const unsafe = unsafeNameCharacter(declaredName);
  if (unsafe) {
    throw new InvalidInputError(`the token name must not contain invisible or direction-changing characters, got ${unsafe}. Remove it.`, {
      prop: 'name',
    });
  }
  if (MARKER_LIKE_AT_END.test(declaredName)) {
    throw new InvalidInputError(
      `the token name must not end with a "[cdktf:…]" marker, got ${JSON.stringify(declaredName)}: the marker is added to every managed token and a second one would make the name ambiguous. Remove it.`,
      { prop: 'name', value: declaredName },
    );
  }
  const budget = maxDeclaredNameLength(tag);
  if (declaredName.length > budget) {
    throw new InvalidInputError(
      `the token name ${JSON.stringify(declaredName)} is ${declaredName.length} characters, but with its marker ` +
        `" [cdktf:${tag}/g…${PENDING_SUFFIX}]" (up to ${GENERATION_DIGITS_RESERVED} generation digits, and the pending mark a token carries until it is delivered) the name must fit Agility's ` +
        `${TOKEN_NAME_MAX_LENGTH} characters, which leaves at most ${budget} for the name (counted in UTF-16 code units, as .NET does). Shorten the name.`,
      { prop: 'name', value: declaredName, length: declaredName.length, max: budget },
    );
  }
  return declaredName;
}

/**
 * The managed name `<declared name> [cdktf:<stack tag>/g<generation>]`, or with `pending` the pending name
 * `<declared name> [cdktf:<stack tag>/g<generation>/pending]`.
 * @throws InvalidInputError when a part is malformed or the result is longer than Agility's 100 characters.
 */
export function formatManagedName(parts: ManagedNameParts): string {
  const { declaredName, stackTag: tag, generation } = parts;
  validateDeclaredName(declaredName, tag);
  if (!Number.isSafeInteger(generation) || generation < 0) {
    throw new InvalidInputError(`managed name: the generation must be a non-negative whole number, got ${String(generation)}.`, {
      prop: 'generation',
      value: String(generation),
    });
  }
  const name = `${declaredName} [cdktf:${tag}/g${generation}${parts.pending ? PENDING_SUFFIX : ''}]`;
  if (name.length > TOKEN_NAME_MAX_LENGTH) {
    throw new InvalidInputError(
      `managed name ${JSON.stringify(name)} is ${name.length} characters, more than Agility's ${TOKEN_NAME_MAX_LENGTH}.`,
      { value: name, length: name.length },
    );
  }
  return name;
}

/**
 * The parts of a managed name, or `undefined` when `name` is not one: it must end with a well-formed marker
 * (stack tag as {@link stackTag} makes it, generation without leading zeros) preceded by a valid declared
 * name. The declared name may itself contain brackets and spaces; the marker is the last one.
 */
export function parseManagedName(name: string): ManagedNameParts | undefined {
  if (typeof name !== 'string') return undefined;
  const m = MARKER_AT_END.exec(name);
  if (!m) return undefined;
  const [, declaredName, tag, digits, pending] = m;
  const generation = Number(digits);
  if (!Number.isSafeInteger(generation)) return undefined;
  if (declaredName === '' || declaredName !== declaredName.trim() || CONTROL.test(declaredName) || MARKER_LIKE_AT_END.test(declaredName)) {
    return undefined;
  }
  return { declaredName, stackTag: tag, generation, pending: pending !== undefined };
}

/** The managed name a pending name becomes once delivered; any other name is returned as it is. */
export function deliveredNameOf(name: string): string {
  return parseManagedName(name)?.pending ? `${name.slice(0, -(PENDING_SUFFIX.length + 1))}]` : name;
}

/**
 * The pending name of a managed name: what the token is called from its creation until every sink took its secret.
 * @throws InvalidInputError when `managedName` is not a managed name (or is already a pending one).
 */
export function pendingNameOf(managedName: string): string {
  const parts = parseManagedName(managedName);
  if (!parts || parts.pending) {
    throw new InvalidInputError(`not a managed token name: ${JSON.stringify(managedName)}.`, { value: String(managedName) });
  }
  return `${managedName.slice(0, -1)}${PENDING_SUFFIX}]`;
}

/**
 * True when `name` ends with anything that looks like a stack's marker, well-formed or not, pending or not: a token
 * that any stack may manage, which nothing but that stack touches (`replaces` never does).
 */
export function carriesStackMarker(name: string): boolean {
  return parseManagedName(name) !== undefined || MARKER_LIKE_AT_END.test(name);
}

/** True when `name` is a managed name whose marker carries exactly this stack tag. */
export function isManagedByStack(name: string, tag: string): boolean {
  return parseManagedName(name)?.stackTag === tag;
}

function assertStackTag(tag: string): void {
  if (typeof tag !== 'string' || !STACK_TAG_PATTERN.test(tag)) {
    throw new InvalidInputError(`the stack tag must look like "prod~3fa9c1" (made by stackTag()), got ${JSON.stringify(tag)}.`, {
      prop: 'stackTag',
      value: String(tag),
    });
  }
}
