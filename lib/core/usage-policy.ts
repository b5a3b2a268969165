import { Duration } from './duration';
import { InvalidInputError } from './errors';
import { TOKEN_NAME_MAX_LENGTH } from './limits';
import { carriesStackMarker } from './managed-name';
import type { RotationPolicy } from './rotation';

/**
 * The two props that act on evidence of use (docs/design.md, "Usage-aware rotation and adoption"): `rotation.retireEarly`
 * and `replaces`. Checked here at synth; what they do at deploy is the reconciler's (lib/lifecycle). Pure.
 */

/** `retireEarly: true` waits this long without a use of the previous generation. */
export const DEFAULT_RETIRE_QUIET = Duration.days(1);
/** The shortest quiet time: less would retire a secret between two runs of an hourly job. */
export const MIN_RETIRE_QUIET = Duration.hours(1);
/** How long a hand-made token stays live next to a token that does not rotate, unless `replaces.overlap` says. */
export const DEFAULT_REPLACE_OVERLAP_WITHOUT_ROTATION = Duration.days(7);

/** `rotation.retireEarly` as the user declares it. */
export type RetireEarlyInput = boolean | { readonly quietFor: Duration };
/** `replaces` as the user declares it. */
export type ReplacesInput = string | { readonly token: string; readonly overlap?: Duration | false };

/** A checked `retireEarly`: the previous generation is retired once it has had no use for `quietMs`. */
export interface RetireEarlyPolicy {
  readonly quietMs: number;
}

/** A checked `replaces`: the hand-made token `ref` (an exact name or a token id) is revoked `afterMs` after delivery. */
export interface ReplacesPolicy {
  readonly ref: string;
  /** From the first delivery of the managed token to the revocation of the hand-made one; 0: at once. */
  readonly afterMs: number;
}

/**
 * Checks `rotation.retireEarly`: `true` or `{ quietFor }` with at least {@link MIN_RETIRE_QUIET}, less than the
 * rotation period, and only with overlap (without it there is no previous generation to retire).
 * @returns null when off.
 * @throws InvalidInputError naming `rotation.retireEarly`.
 */
export function validateRetireEarly(input: RetireEarlyInput | undefined, policy: RotationPolicy | null): RetireEarlyPolicy | null {
  if (input === undefined || input === false) return null;
  const prop = 'rotation.retireEarly';
  let quiet: Duration;
  if (input === true) quiet = DEFAULT_RETIRE_QUIET;
  else if (typeof input === 'object' && input !== null && Duration.isDuration(input.quietFor)) quiet = input.quietFor;
  else {
    throw new InvalidInputError(`${prop} must be true, false or { quietFor: Duration.days(1) }, got ${describe(input)}.`, { prop });
  }
  if (policy === null || !policy.overlap) {
    throw new InvalidInputError(
      `${prop} needs rotation with overlap: it retires the previous generation early, and without overlap there is none (it is revoked before its successor is created). Remove retireEarly, or set rotation.overlap to true.`,
      { prop },
    );
  }
  const quietMs = quiet.toMilliseconds();
  if (quietMs < MIN_RETIRE_QUIET.toMilliseconds()) {
    throw new InvalidInputError(
      `${prop}.quietFor must be at least ${MIN_RETIRE_QUIET}, got ${quiet}: a shorter quiet time would retire a secret between two runs of an hourly job.`,
      {
        prop: `${prop}.quietFor`,
        value: quiet.toJSON(),
      },
    );
  }
  if (quietMs >= policy.everyMs) {
    throw new InvalidInputError(
      `${prop}.quietFor must be shorter than rotation.every (${Duration.millis(policy.everyMs)}), got ${quiet}: the previous generation would never be retired early.`,
      { prop: `${prop}.quietFor`, value: quiet.toJSON() },
    );
  }
  return { quietMs };
}

/**
 * Checks `replaces`: a token name or id (1–100 characters, no control characters) that carries no stack's marker,
 * and its overlap. The default overlap is one rotation period with overlap, none without, and
 * {@link DEFAULT_REPLACE_OVERLAP_WITHOUT_ROTATION} for a token that does not rotate.
 * @returns null when not set.
 * @throws InvalidInputError naming `replaces`.
 */
export function validateReplaces(input: ReplacesInput | undefined, policy: RotationPolicy | null): ReplacesPolicy | null {
  if (input === undefined) return null;
  const given = typeof input === 'string' ? { token: input } : input;
  if (typeof given !== 'object' || given === null || typeof given.token !== 'string') {
    throw new InvalidInputError(
      `replaces must be the exact name or id of a token made by hand, or { token, overlap }, got ${describe(input)}.`,
      { prop: 'replaces' },
    );
  }
  const ref = given.token;
  const prop = typeof input === 'string' ? 'replaces' : 'replaces.token';
  if (ref.trim() === '' || ref !== ref.trim() || ref.length > TOKEN_NAME_MAX_LENGTH || /[\u0000-\u001f\u007f-\u009f]/.test(ref)) {
    throw new InvalidInputError(
      `${prop} must be the exact name (1–${TOKEN_NAME_MAX_LENGTH} characters, no surrounding spaces or control characters) or the id of a token made by hand, got ${JSON.stringify(ref)}.`,
      { prop, value: ref },
    );
  }
  if (carriesStackMarker(ref)) {
    throw new InvalidInputError(
      `${prop} ${JSON.stringify(ref)} carries a stack's "[cdktf:…]" marker: a managed token is never replaced (its own stack revokes it). Name a token made by hand.`,
      { prop, value: ref },
    );
  }
  const overlap = typeof input === 'string' ? undefined : input.overlap;
  let afterMs: number;
  if (overlap === false) afterMs = 0;
  else if (overlap !== undefined) {
    if (!Duration.isDuration(overlap)) {
      throw new InvalidInputError(`replaces.overlap must be a Duration such as Duration.days(7), or false, got ${describe(overlap)}.`, {
        prop: 'replaces.overlap',
      });
    }
    afterMs = overlap.toMilliseconds();
  } else if (policy !== null) afterMs = policy.overlap ? policy.everyMs : 0;
  else afterMs = DEFAULT_REPLACE_OVERLAP_WITHOUT_ROTATION.toMilliseconds();
  return { ref, afterMs };
}

function describe(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}
