import { summarize, type Summary } from './stats';

/** One measured figure: our program against a baseline doing the same work the plainest way. */
export interface Comparison {
  /** Stable id for --json consumers, e.g. `synth-500`. */
  readonly id: string;
  /** What was measured, in a few words. */
  readonly title: string;
  readonly unit: 'ms' | 'MiB' | 'KiB';
  readonly ours: Summary;
  readonly baseline: Summary;
  /** ours.median / baseline.median. */
  readonly ratio: number;
  /**
   * The median of the per-run ratios ours[i] / baseline[i], when each run of ours was paired with a run of the baseline
   * made right beside it (the cold starts): less sensitive to load that drifts during the run. Null otherwise.
   */
  readonly pairedRatio: number | null;
  /** The ratio aimed for (docs/design.md, "Facts"); null when the figure is informative only. */
  readonly target: number | null;
  /** `ok` when the ratio is within the target, `over target` when not, `-` without a target. */
  readonly verdict: 'ok' | 'over target' | '-';
}

/** Builds a comparison from two series' summaries. */
export function compare(
  id: string,
  title: string,
  unit: Comparison['unit'],
  ours: Summary,
  baseline: Summary,
  target: number | null,
  pairedRatio: number | null = null,
): Comparison {
  const ratio = ours.median / baseline.median;
  const verdict = target === null ? '-' : ratio <= target ? 'ok' : 'over target';
  return { id, title, unit, ours, baseline, ratio, pairedRatio, target, verdict };
}

/** The median of ours[i] / baseline[i] over paired samples. */
export function medianPairedRatio(ours: readonly number[], baseline: readonly number[]): number {
  if (ours.length !== baseline.length) throw new RangeError('paired series differ in length');
  return summarize(ours.map((o, i) => o / baseline[i])).median;
}
