/** Summary statistics of one series of wall-time samples, in milliseconds. */
export interface Summary {
  readonly median: number;
  readonly p90: number;
  readonly min: number;
  readonly max: number;
  readonly runs: number;
}

/**
 * The `q`-quantile (0..1) of `sorted` by linear interpolation between closest ranks (numpy's default), so the
 * median of an even count is the mean of the middle two.
 */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) throw new RangeError('quantile of an empty series');
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** Median, p90, min, max and count of `samples`. */
export function summarize(samples: readonly number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  return { median: quantile(sorted, 0.5), p90: quantile(sorted, 0.9), min: sorted[0], max: sorted[sorted.length - 1], runs: sorted.length };
}
