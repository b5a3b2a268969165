import { createHash } from 'node:crypto';
import { Duration } from './duration';
import { InvalidInputError } from './errors';

/**
 * Rotation arithmetic (docs/design.md, "Generations and slots"). All instants are epoch milliseconds (UTC); all periods exact
 * milliseconds, so a day is 24 hours whatever the calendar or daylight saving does.
 *
 * A rotating token with period P has generation `G = floor((now − anchor) / P)`. Generation g is created at
 * the earliest at `anchor + g·P` and expires at `anchor + g·P + lifetime`. With overlap (the default) the
 * token has two slots holding G and G−1, so the previous secret stays valid for one more period while
 * consumers pick up the new one.
 */

/** A checked rotation schedule, as {@link validateRotation} returns it. */
export interface RotationPolicy {
  /** The rotation period P in ms, at least {@link MIN_ROTATION_PERIOD}. */
  readonly everyMs: number;
  /** How long each generation's token lives, from the start of its generation, in ms. */
  readonly lifetimeMs: number;
  /** The instant generation 0 starts, epoch ms. */
  readonly anchorMs: number;
  /** Keep generation G−1 alive next to G (two slots); false: one slot, revoke then create. */
  readonly overlap: boolean;
}

/** The shortest rotation period: Agility allows 5 creations an hour, and each rotation is a creation. */
export const MIN_ROTATION_PERIOD = Duration.days(1);
/** Margin a lifetime must have beyond two periods (one with `overlap: false`), so a late apply still finds the token alive. */
export const ROTATION_GRACE = Duration.days(1);
/** The longest lifetime: 730 days is never more than Agility's 2 calendar years from creation. */
export const MAX_LIFETIME = Duration.days(730);

const MS_PER_MINUTE = 60_000;

/**
 * The default anchor of a token: epoch 0 plus (the first 48 bits of sha256(tokenKey), big-endian) mod
 * `everyMs`, rounded down to a whole minute. It lies in [0, everyMs) and spreads the rotations of one stack's
 * tokens over the period (Agility allows 5 creations an hour), the same on every machine.
 *
 * @param tokenKey identifies the token for good, e.g. `${stackTag}/${declaredName}`.
 */
export function defaultAnchorMs(tokenKey: string, everyMs: number): number {
  assertPositiveMs(everyMs, 'everyMs');
  const uint48 = createHash('sha256').update(tokenKey, 'utf8').digest().readUIntBE(0, 6);
  const offset = uint48 % everyMs;
  return offset - (offset % MS_PER_MINUTE);
}

/** The shortest lifetime allowed: `2·every + grace` with overlap, `every + grace` without. */
export function minimumLifetimeMs(everyMs: number, overlap: boolean): number {
  return (overlap ? 2 : 1) * everyMs + ROTATION_GRACE.toMilliseconds();
}

/**
 * The lifetime used when none is given: `3·every` with overlap (`2·every` without), capped at
 * {@link MAX_LIFETIME}, and raised to {@link minimumLifetimeMs} when the cap would go below it and the
 * minimum itself fits under the cap.
 */
export function defaultLifetimeMs(everyMs: number, overlap: boolean): number {
  const max = MAX_LIFETIME.toMilliseconds();
  const preferred = Math.min((overlap ? 3 : 2) * everyMs, max);
  const minimum = minimumLifetimeMs(everyMs, overlap);
  return minimum <= max ? Math.max(preferred, minimum) : preferred;
}

/**
 * The generation current at `nowMs`: `floor((now − anchor) / every)`, or −1 before the anchor (no generation
 * has started; only a user anchor in the future could cause that, and {@link validateRotation} refuses it).
 */
export function currentGeneration(nowMs: number, p: RotationPolicy): number {
  const elapsed = nowMs - p.anchorMs;
  if (elapsed < 0) return -1;
  let g = Math.floor(elapsed / p.everyMs);
  // Float division can land one off near a boundary for large values: settle it in integers.
  if (g * p.everyMs > elapsed) g -= 1;
  else if ((g + 1) * p.everyMs <= elapsed) g += 1;
  return g;
}

/**
 * The generation each slot holds when the current generation is `G`. With overlap, slot `s` (0 or 1) holds
 * the latest `g ≤ G` with `g mod 2 = s`: `[G, G−1]` for even G, `[G−1, G]` for odd G. So when G advances
 * only one slot's generation changes. Without overlap: `[G]`.
 */
export function slotGenerations(G: number, overlap: boolean): number[] {
  if (!overlap) return [G];
  const gEven = mod2(G) === 0 ? G : G - 1;
  const gOdd = mod2(G) === 1 ? G : G - 1;
  return [gEven, gOdd];
}

/** What a slot's hooks do: `ensure` the current token exists, `retain` the previous one, or nothing. */
export type SlotRole = 'ensure' | 'retain' | 'none';

/** `ensure` for generation G, `retain` for G−1, `none` for negative or older generations. */
export function slotRole(slotGeneration: number, G: number): SlotRole {
  if (slotGeneration < 0) return 'none';
  if (slotGeneration === G) return 'ensure';
  if (slotGeneration === G - 1) return 'retain';
  return 'none';
}

/** The instant generation `g` starts: `anchor + g·every`. */
export function generationStartMs(g: number, p: RotationPolicy): number {
  return p.anchorMs + g * p.everyMs;
}

/** The expiry of generation `g`'s token: `anchor + g·every + lifetime`. */
export function generationExpiryMs(g: number, p: RotationPolicy): number {
  return generationStartMs(g, p) + p.lifetimeMs;
}

/** The instant generation `G + 1` starts: `anchor + (G+1)·every`. */
export function nextRotationMs(G: number, p: RotationPolicy): number {
  return generationStartMs(G + 1, p);
}

/** Rotation as the user declares it (the construct's `rotation` prop, the anchor already parsed). */
export interface RotationInput {
  /** The rotation period, at least 1 day. */
  readonly every: Duration;
  /** @default - {@link defaultLifetimeMs} */
  readonly lifetime?: Duration;
  /** @default true */
  readonly overlap?: boolean;
  /** Epoch ms; must not be after `nowMs`. @default - {@link defaultAnchorMs} of `tokenKey` */
  readonly anchor?: number;
}

/**
 * Applies the defaults and checks a rotation schedule: `every` at least 1 day, `lifetime` at least
 * {@link minimumLifetimeMs} and at most {@link MAX_LIFETIME}, `anchor` not after `nowMs`.
 *
 * @param tokenKey identifies the token for {@link defaultAnchorMs}.
 * @throws InvalidInputError naming the prop, the rule and the value (the construct layer adds its path).
 */
export function validateRotation(input: RotationInput, nowMs: number, tokenKey: string): RotationPolicy {
  const { every, lifetime, overlap } = checkRotationShape(input);
  const minimumMs = checkRotationPeriod(every, overlap);
  return {
    everyMs: every.toMilliseconds(),
    lifetimeMs: resolveLifetimeMs(lifetime, every, overlap, minimumMs),
    anchorMs: resolveAnchorMs(input.anchor, nowMs, tokenKey, every.toMilliseconds()),
    overlap,
  };
}

/** Step 1: the types of the fields, `overlap` defaulted. */
function checkRotationShape(input: RotationInput): { every: Duration; lifetime: Duration | undefined; overlap: boolean } {
  if (typeof input !== 'object' || input === null) {
    throw new InvalidInputError(`rotation must be an object such as { every: Duration.days(30) }, got ${String(input)}.`, {
      prop: 'rotation',
    });
  }
  const { every, lifetime } = input;
  if (!Duration.isDuration(every)) {
    throw new InvalidInputError(`rotation.every must be a Duration such as Duration.days(30), got ${String(every)}.`, {
      prop: 'rotation.every',
    });
  }
  if (lifetime !== undefined && !Duration.isDuration(lifetime)) {
    throw new InvalidInputError(`rotation.lifetime must be a Duration such as Duration.days(90), got ${String(lifetime)}.`, {
      prop: 'rotation.lifetime',
    });
  }
  if (input.overlap !== undefined && typeof input.overlap !== 'boolean') {
    throw new InvalidInputError(`rotation.overlap must be true or false, got ${String(input.overlap)}.`, { prop: 'rotation.overlap' });
  }
  return { every, lifetime, overlap: input.overlap ?? true };
}

/** What a lifetime must cover, in words: two periods with overlap, one without. */
function periodsOf(overlap: boolean): string {
  return overlap ? 'two rotation periods' : 'one rotation period';
}

/** Step 2: `every` at least a day, and short enough that its minimum lifetime fits Agility's; returns that minimum. */
function checkRotationPeriod(every: Duration, overlap: boolean): number {
  if (every.compareTo(MIN_ROTATION_PERIOD) < 0) {
    throw new InvalidInputError(
      `rotation.every must be at least ${MIN_ROTATION_PERIOD}, got ${every}: each rotation creates a token, and Agility allows 5 creations an hour.`,
      { prop: 'rotation.every', value: every.toJSON() },
    );
  }
  const max = MAX_LIFETIME.toMilliseconds();
  const graceMs = ROTATION_GRACE.toMilliseconds();
  const minimumMs = minimumLifetimeMs(every.toMilliseconds(), overlap);
  if (minimumMs > max) {
    throw new InvalidInputError(
      `rotation.every of ${every} is too long${overlap ? ' with overlap' : ''}: a token must live ${periodsOf(overlap)} plus ` +
        `${ROTATION_GRACE.toHumanString()} of grace (${Duration.millis(minimumMs)}), more than the ${MAX_LIFETIME} Agility allows. ` +
        `Use rotation.every of at most ${Duration.millis(overlap ? (max - graceMs) / 2 : max - graceMs)}` +
        `${overlap ? ', or overlap: false' : ''}.`,
      { prop: 'rotation.every', value: every.toJSON() },
    );
  }
  return minimumMs;
}

/** Step 3: the lifetime, defaulted, or checked between `minimumMs` and {@link MAX_LIFETIME}. */
function resolveLifetimeMs(lifetime: Duration | undefined, every: Duration, overlap: boolean, minimumMs: number): number {
  if (lifetime === undefined) return defaultLifetimeMs(every.toMilliseconds(), overlap);
  const lifetimeMs = lifetime.toMilliseconds();
  if (lifetimeMs < minimumMs) {
    throw new InvalidInputError(
      `rotation.lifetime must cover ${periodsOf(overlap)} plus ${ROTATION_GRACE.toHumanString()} of grace ` +
        `(at least ${Duration.millis(minimumMs)} for every ${every}), got ${lifetime}.`,
      { prop: 'rotation.lifetime', value: lifetime.toJSON() },
    );
  }
  if (lifetimeMs > MAX_LIFETIME.toMilliseconds()) {
    throw new InvalidInputError(
      `rotation.lifetime must be at most ${MAX_LIFETIME} (Agility's limit is 2 years from creation), got ${lifetime}.`,
      { prop: 'rotation.lifetime', value: lifetime.toJSON() },
    );
  }
  return lifetimeMs;
}

/** Step 4: the anchor, defaulted from `tokenKey`, or checked to be a whole instant not after `nowMs`. */
function resolveAnchorMs(anchor: number | undefined, nowMs: number, tokenKey: string, everyMs: number): number {
  if (anchor === undefined) return defaultAnchorMs(tokenKey, everyMs);
  if (!Number.isSafeInteger(anchor)) {
    throw new InvalidInputError(`rotation.anchor must be a valid instant, got ${String(anchor)}.`, { prop: 'rotation.anchor' });
  }
  if (anchor > nowMs) {
    throw new InvalidInputError(
      `rotation.anchor must not be in the future, got ${new Date(anchor).toISOString()} (now is ${new Date(nowMs).toISOString()}): ` +
        `no generation would exist yet. Use a past instant, or omit rotation.anchor to get a spread-out default.`,
      { prop: 'rotation.anchor', value: new Date(anchor).toISOString() },
    );
  }
  return anchor;
}

function mod2(n: number): number {
  return ((n % 2) + 2) % 2;
}

function assertPositiveMs(ms: number, label: string): void {
  if (!Number.isSafeInteger(ms) || ms <= 0) {
    throw new InvalidInputError(`${label} must be a positive whole number of milliseconds, got ${String(ms)}.`, { prop: label });
  }
}
