import { HOOK_ENV } from './hook-contract';
import { parseInstant } from './validation';

/**
 * The clock is a parameter everywhere (docs/design.md, "Architecture"): a function returning epoch milliseconds.
 * Tests pass a fixed or stepping clock; nothing mocks `Date` globally.
 */
export type Clock = () => number;

/** The real wall clock. */
export const systemClock: Clock = () => Date.now();

/** A clock frozen at one instant (ISO-8601 string, Date or epoch ms). */
export function fixedClock(at: string | number | Date): Clock {
  const ms = typeof at === 'number' ? at : new Date(at).getTime();
  if (Number.isNaN(ms)) throw new TypeError(`fixedClock: not a valid instant: ${String(at)}`);
  return () => ms;
}

/**
 * The clock synth and hooks act by: the instant in `AGILITY_PAT_NOW` (ISO-8601, for simulation and tests) when
 * that variable is set in `env`, else the wall clock. Pure: the caller passes the environment.
 */
export function clockFromEnv(env: Readonly<Record<string, string | undefined>>): Clock {
  const now = env[HOOK_ENV.now];
  if (now === undefined || now === '') return systemClock;
  return fixedClock(parseInstant(now, HOOK_ENV.now));
}
