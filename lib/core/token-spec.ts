import { Duration } from './duration';
import { InvalidInputError } from './errors';
import { MAX_ACTIVE_TOKENS_PER_USER, maxExpiryFor } from './limits';
import { formatManagedName, validateDeclaredName } from './managed-name';
import {
  RotationPolicy,
  SlotRole,
  currentGeneration,
  generationExpiryMs,
  nextRotationMs,
  slotGenerations,
  slotRole,
  validateRotation,
} from './rotation';
import { SinkSpec, type ValidSinkSpec, validateSinkSpec } from './sink-spec';
import { parseInstant } from './validation';
import {
  type ReplacesInput,
  type ReplacesPolicy,
  type RetireEarlyInput,
  type RetireEarlyPolicy,
  validateReplaces,
  validateRetireEarly,
} from './usage-policy';

/**
 * The validated, serialisable description of one declared token: what the construct builds and the stack
 * manifest stores (docs/design.md, "Hooks"). Pure: the instant of synth is a parameter.
 */

/** How a token's expiry is decided. */
export type ExpiryMode =
  /** `expiresAt` was given: one token, generation 0, with that expiry. */
  | { readonly kind: 'fixed'; readonly expiresAtMs: number }
  /** `rotation` was given: generations on a schedule, two slots with overlap. */
  | { readonly kind: 'rotating'; readonly policy: RotationPolicy }
  /** Neither: one token, generation 0, `expiryDate` omitted so Agility applies its 2-year default. */
  | { readonly kind: 'default' };

/** One declared token, as the construct passes it. */
export interface TokenSpecInput {
  /** The name the user declared; the managed name adds the marker. */
  readonly declaredName: string;
  /** From `stackTag(stackName, namespace)`. */
  readonly stackTag: string;
  /** A fixed expiry, ISO-8601 with a time zone, at most 2 years away. Exclusive with `rotation`. */
  readonly expiresAt?: string | Date;
  /** A rotation schedule. Exclusive with `expiresAt`. */
  readonly rotation?: {
    readonly every: Duration;
    readonly lifetime?: Duration;
    readonly overlap?: boolean;
    /** ISO-8601 with a time zone, or a Date; not in the future. */
    readonly anchor?: string | Date;
    /** Retire the previous generation once it is quiet (`validateRetireEarly`). @default false */
    readonly retireEarly?: RetireEarlyInput;
  };
  /** A token made by hand that this one takes over (`validateReplaces`). @default - none */
  readonly replaces?: ReplacesInput;
  /** Prove each new token authenticates before delivering it. @default true */
  readonly verify?: boolean;
  /** Where the secret goes; validated with `validateSinkSpec`. */
  readonly sinks: readonly SinkSpec[];
  /**
   * The synth runs on a CI runner, whose files are thrown away after the job: a secret delivered only to files there
   * reaches nobody.
   * @default false
   */
  readonly ephemeralHost?: boolean;
  /** The construct path: the spec's identity in the stack, named in warnings (the construct layer adds it to errors). */
  readonly constructPath: string;
}

/** Advice that must not stop a synth. `message` already ends with the id in brackets. */
export interface Warning {
  /**
   * A stable id: `agility-pat:no-rotation`, `agility-pat:long-expiry`, `agility-pat:expired`, `agility-pat:no-sink`,
   * `agility-pat:ephemeral-sink`.
   */
  readonly id: string;
  readonly message: string;
}

/** What one slot (one `terraform_data` resource) of a token does at the synth instant. */
export interface SlotPlan {
  /** 0, or 0 and 1 for a rotating token with overlap. */
  readonly slot: number;
  /** The generation the slot holds; −1 before a slot's first generation. */
  readonly generation: number;
  readonly role: SlotRole;
  /** The managed name of the slot's generation; null when the role is `none`. */
  readonly managedName: string | null;
  /** ISO-8601 expiry to request; null when Agility's default applies (or the role is `none`). */
  readonly expiryDate: string | null;
}

/** A checked token declaration with its plan at the synth instant. */
export interface ResolvedTokenSpec {
  readonly declaredName: string;
  readonly stackTag: string;
  /** The construct path (the `constructPath` of the input). */
  readonly constructPath: string;
  readonly expiry: ExpiryMode;
  /** Parsed once here, the construct's boundary. */
  readonly sinks: readonly ValidSinkSpec[];
  /** G for a rotating token, 0 otherwise. */
  readonly currentGeneration: number;
  readonly slots: readonly SlotPlan[];
  /** The managed name of the current generation. */
  readonly currentManagedName: string;
  /** ISO-8601 expiry of the current generation; null when Agility's default applies. */
  readonly currentExpiryDate: string | null;
  /** ISO-8601 instant the next generation starts; null when the token does not rotate. */
  readonly nextRotation: string | null;
  /** Prove each new token authenticates before delivering it. */
  readonly verify: boolean;
  /** Retire the previous generation early once it is quiet; null: it lives until the next rotation. */
  readonly retireEarly: RetireEarlyPolicy | null;
  /** The hand-made token this one takes over; null: none. */
  readonly replaces: ReplacesPolicy | null;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * Checks one token declaration and plans its slots at `nowMs`.
 *
 * Errors (InvalidInputError naming the prop, the rule and the value; the construct adds its path): a bad or too long name, both
 * `expiresAt` and `rotation`, a fixed expiry more than 2 years away, a bad rotation schedule, a bad sink.
 * Warnings: `agility-pat:no-rotation` (neither given), `agility-pat:long-expiry` (fixed expiry more than a
 * year away), `agility-pat:expired` (fixed expiry already passed: not an error, since a synth must never
 * start failing because a date went by; the hook reports it and creates nothing), `agility-pat:no-sink`,
 * `agility-pat:ephemeral-sink` (on a CI runner, only file or env-file sinks: the secret would leave with the runner).
 */
export function resolveTokenSpec(input: TokenSpecInput, nowMs: number): { spec: ResolvedTokenSpec; warnings: Warning[] } {
  const { constructPath, stackTag } = input;
  const declaredName = validateDeclaredName(input.declaredName, stackTag);
  const warnings: Warning[] = [];
  const warn: Warn = (id, message) => {
    warnings.push({ id, message: `${constructPath}: ${message} [${id}]` });
  };
  const sinks = resolveSinks(input, declaredName, warn);
  requireOneExpiryMode(input);

  const name = (generation: number): string => formatManagedName({ declaredName, stackTag, generation });
  const plan =
    input.rotation !== undefined
      ? planRotating(input.rotation, input, declaredName, nowMs, name)
      : input.expiresAt !== undefined
        ? planFixed(input.expiresAt, declaredName, nowMs, name, warn)
        : planDefault(declaredName, name, warn);
  const policy = plan.expiry.kind === 'rotating' ? plan.expiry.policy : null;
  if (input.verify !== undefined && typeof input.verify !== 'boolean') {
    throw new InvalidInputError(`verify must be true or false, got ${String(input.verify)}.`, { prop: 'verify' });
  }
  return {
    spec: {
      declaredName,
      stackTag,
      constructPath,
      sinks,
      expiry: plan.expiry,
      currentGeneration: plan.currentGeneration,
      slots: plan.slots,
      currentManagedName: name(plan.currentGeneration),
      currentExpiryDate: plan.currentExpiryDate,
      nextRotation: plan.nextRotation,
      verify: input.verify ?? true,
      retireEarly: validateRetireEarly(input.rotation?.retireEarly, policy),
      replaces: validateReplaces(input.replaces, policy),
    },
    warnings,
  };
}

/** Adds one warning; the id goes in brackets at the end of the message. */
type Warn = (id: string, message: string) => void;
/** The managed name of a generation of the token being resolved. */
type NameOf = (generation: number) => string;
/** What the expiry mode decides of a resolved spec. */
type ExpiryPlan = Pick<ResolvedTokenSpec, 'expiry' | 'currentGeneration' | 'slots' | 'currentExpiryDate' | 'nextRotation'>;

/** The validated sinks, with a warning when none would let anybody see the secret. */
function resolveSinks(input: TokenSpecInput, declaredName: string, warn: Warn): ValidSinkSpec[] {
  if (!Array.isArray(input.sinks)) {
    throw new InvalidInputError(`sinks must be an array of sinks such as SecretSink.file(path), got ${String(input.sinks)}.`, {
      prop: 'sinks',
    });
  }
  const sinks = input.sinks.map((s, i) => validateSinkSpec(s, `sinks[${i}]`));
  if (sinks.length === 0) {
    warn(
      'agility-pat:no-sink',
      `the token "${declaredName}" has no sinks: its secret would be created and never seen (Agility shows it only once). Add a sink such as SecretSink.file(path).`,
    );
  } else if (input.ephemeralHost && sinks.every((s) => s.kind === 'file' || s.kind === 'env-file')) {
    warn(
      'agility-pat:ephemeral-sink',
      `the token "${declaredName}" is delivered only to files, and this synth runs under CI (CI=true): the files leave with the runner, so nobody would ever see the secret. Deliver it somewhere that outlives the runner, e.g. SecretSink.command(['gh', 'secret', 'set', NAME, '--repo', 'owner/repo']).`,
    );
  }
  return sinks;
}

function requireOneExpiryMode(input: TokenSpecInput): void {
  if (input.expiresAt !== undefined && input.rotation !== undefined) {
    throw new InvalidInputError(
      `expiresAt and rotation cannot both be set: a rotating token's expiry comes from rotation.lifetime. Remove one of them.`,
      { prop: 'expiresAt' },
    );
  }
}

/** `rotation` given: generations on a schedule, one or two slots. */
function planRotating(
  r: NonNullable<TokenSpecInput['rotation']>,
  input: TokenSpecInput,
  declaredName: string,
  nowMs: number,
  name: NameOf,
): ExpiryPlan {
  const { stackTag } = input;
  const anchor = r?.anchor === undefined ? undefined : parseInstant(r.anchor, 'rotation.anchor');
  const policy = validateRotation(
    { every: r?.every, lifetime: r?.lifetime, overlap: r?.overlap, anchor },
    nowMs,
    `${stackTag}/${declaredName}`,
  );
  const G = currentGeneration(nowMs, policy);
  const slots = slotGenerations(G, policy.overlap).map((generation, slot): SlotPlan => {
    const role = slotRole(generation, G);
    return role === 'none'
      ? { slot, generation, role, managedName: null, expiryDate: null }
      : { slot, generation, role, managedName: name(generation), expiryDate: iso(generationExpiryMs(generation, policy)) };
  });
  return {
    expiry: { kind: 'rotating', policy },
    currentGeneration: G,
    slots,
    currentExpiryDate: iso(generationExpiryMs(G, policy)),
    nextRotation: iso(nextRotationMs(G, policy)),
  };
}

/** `expiresAt` given: one token, generation 0, with that expiry (at most 2 years away). */
function planFixed(expiresAt: string | Date, declaredName: string, nowMs: number, name: NameOf, warn: Warn): ExpiryPlan {
  const expiresAtMs = parseInstant(expiresAt, 'expiresAt');
  const latest = maxExpiryFor(nowMs);
  if (expiresAtMs > latest) {
    throw new InvalidInputError(
      `expiresAt must be at most 2 years away (Agility's limit), got ${iso(expiresAtMs)}; the latest allowed now is ${iso(latest)}. ` +
        `Use an earlier date, or rotation to renew the token on a schedule.`,
      { prop: 'expiresAt', value: iso(expiresAtMs) },
    );
  }
  if (expiresAtMs <= nowMs) {
    warn(
      'agility-pat:expired',
      `expiresAt ${iso(expiresAtMs)} has already passed (now is ${iso(nowMs)}): no token will be created for "${declaredName}". Set a later expiresAt, or use rotation.`,
    );
  } else if (expiresAtMs > oneYearAfter(nowMs)) {
    warn(
      'agility-pat:long-expiry',
      `expiresAt ${iso(expiresAtMs)} is more than a year away: a leaked secret would stay valid that long. Consider rotation instead.`,
    );
  }
  return singleTokenPlan({ kind: 'fixed', expiresAtMs }, name, iso(expiresAtMs));
}

/** Neither given: one token, generation 0, and Agility's 2-year default expiry. */
function planDefault(declaredName: string, name: NameOf, warn: Warn): ExpiryPlan {
  warn(
    'agility-pat:no-rotation',
    `the token "${declaredName}" has neither rotation nor expiresAt: Agility's 2-year default expiry applies, and the token will simply stop working then. Set rotation (e.g. { every: Duration.days(30) }) to renew it with no outage.`,
  );
  return singleTokenPlan({ kind: 'default' }, name, null);
}

/** A token that never rotates: generation 0 in slot 0, always ensured. */
function singleTokenPlan(expiry: ExpiryMode, name: NameOf, expiryDate: string | null): ExpiryPlan {
  return {
    expiry,
    currentGeneration: 0,
    slots: [{ slot: 0, generation: 0, role: 'ensure', managedName: name(0), expiryDate }],
    currentExpiryDate: expiryDate,
    nextRotation: null,
  };
}

/**
 * Checks the tokens of one stack together: every spec carries the same stack tag, no declared name is used twice
 * (the managed names would collide), and no two tokens replace the same hand-made token.
 * @throws InvalidInputError naming both construct paths.
 */
export function validateStackTokens(specs: readonly ResolvedTokenSpec[]): void {
  const byName = new Map<string, ResolvedTokenSpec>();
  const byReplaced = new Map<string, ResolvedTokenSpec>();
  const tag = specs[0]?.stackTag;
  for (const spec of specs) {
    if (spec.stackTag !== tag) {
      throw new InvalidInputError(
        `its stack tag "${spec.stackTag}" differs from "${tag}" of ${specs[0].constructPath}; the tokens of one stack share one tag.`,
        { value: spec.stackTag, other: specs[0].constructPath },
        { constructPath: spec.constructPath },
      );
    }
    const first = byName.get(spec.declaredName);
    if (first) {
      throw new InvalidInputError(
        `the token name "${spec.declaredName}" is already used by ${first.constructPath} in the same stack; ` +
          `each token of a stack needs its own name, because the managed name is how hooks find the token. Rename one of them.`,
        { value: spec.declaredName, other: first.constructPath },
        { constructPath: spec.constructPath },
      );
    }
    byName.set(spec.declaredName, spec);
    const ref = spec.replaces?.ref;
    if (ref === undefined) continue;
    const sameRef = byReplaced.get(ref);
    if (sameRef) {
      throw new InvalidInputError(
        `${sameRef.constructPath} already replaces ${JSON.stringify(ref)}; one hand-made token is taken over by one managed token. Remove one of the replaces props.`,
        { prop: 'replaces', value: ref, other: sameRef.constructPath },
        { constructPath: spec.constructPath },
      );
    }
    byReplaced.set(ref, spec);
  }
}

/**
 * How many Agility tokens a spec keeps alive at once in the steady state: 2 for a rotating token with overlap
 * (G and G−1), 1 otherwise.
 *
 * The count never depends on the synth instant, so a synth that passes today cannot fail later just because
 * time went by: generation 0 of a rotating token has only one live slot but counts 2 (one period later it
 * has two), and a fixed expiry that has passed still counts 1.
 */
export function liveTokenCount(spec: ResolvedTokenSpec): number {
  return spec.expiry.kind === 'rotating' && spec.expiry.policy.overlap ? 2 : 1;
}

/** The tokens that one credential (one Agility user) holds: those of every stack with the same API and variable. */
export interface CredentialTokens {
  /** The Management API base URL: the same variable name against two APIs is two users. */
  readonly apiUrl: string;
  /** The name of the environment variable that holds the credential. */
  readonly credentialEnv: string;
  readonly specs: readonly ResolvedTokenSpec[];
}

/**
 * Checks that no credential (one Agility user) would hold more than Agility's 10 active tokens at once, across every
 * stack of the app. A credential is the API URL and the variable name together: stacks of one API with different
 * variables (another user, e.g. a bot) and stacks of different APIs count apart. Groups with the same pair are
 * counted together. Tokens made outside this app count against the same limit and cannot be seen at synth: the hooks
 * still handle a 429.
 *
 * @throws InvalidInputError naming the variable, the API, the count, the limit and the construct paths.
 */
export function validateCredentialBudget(groups: readonly CredentialTokens[]): void {
  const byCredential = new Map<string, CredentialTokens>();
  for (const g of groups) {
    const key = JSON.stringify([g.apiUrl, g.credentialEnv]);
    const seen = byCredential.get(key);
    byCredential.set(key, { ...g, specs: [...(seen?.specs ?? []), ...g.specs] });
  }
  for (const { apiUrl, credentialEnv, specs } of byCredential.values()) {
    const counted = specs.map((s) => ({ path: s.constructPath, n: liveTokenCount(s) }));
    const total = counted.reduce((a, c) => a + c.n, 0);
    if (total > MAX_ACTIVE_TOKENS_PER_USER) {
      throw new InvalidInputError(
        `the credential in ${credentialEnv} for ${apiUrl} would hold ${total} live tokens at once, but Agility allows ${MAX_ACTIVE_TOKENS_PER_USER} active tokens per user ` +
          `(a rotating token with overlap keeps 2 alive). Tokens: ${counted.map((c) => `${c.path} (${c.n})`).join(', ')}. ` +
          `Give some tokens a credential of another Agility user, set rotation.overlap to false, or declare fewer tokens.`,
        { prop: 'credentialEnv', credentialEnv, apiUrl, count: total, limit: MAX_ACTIVE_TOKENS_PER_USER },
      );
    }
  }
}

function oneYearAfter(ms: number): number {
  const d = new Date(ms);
  d.setUTCFullYear(d.getUTCFullYear() + 1);
  return d.getTime();
}
