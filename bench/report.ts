import type { Comparison } from './comparison';

/** Everything one benchmark run found. */
export interface BenchReport {
  /** Node version, CPU count, Terraform version and when the run started. */
  readonly environment: Record<string, string | number>;
  readonly comparisons: readonly Comparison[];
  /** What each measurement compares and what it leaves out, printed under the table. */
  readonly notes: readonly string[];
}

const fmt = (n: number, unit: Comparison['unit']): string => (unit !== 'ms' ? n.toFixed(1) : n >= 100 ? n.toFixed(0) : n.toFixed(1));

/** The report as a fixed-width table followed by numbered notes. */
export function formatReport(report: BenchReport): string {
  const header = ['measurement', 'unit', 'ours med', 'ours p90', 'base med', 'base p90', 'runs', 'ratio', 'paired', 'target', 'verdict'];
  const rows = report.comparisons.map((c) => [
    c.title,
    c.unit,
    fmt(c.ours.median, c.unit),
    fmt(c.ours.p90, c.unit),
    fmt(c.baseline.median, c.unit),
    fmt(c.baseline.p90, c.unit),
    c.ours.runs === c.baseline.runs ? String(c.ours.runs) : `${c.ours.runs}/${c.baseline.runs}`,
    c.ratio.toFixed(2),
    c.pairedRatio === null ? '-' : c.pairedRatio.toFixed(2),
    c.target === null ? '-' : `<= ${c.target}`,
    c.verdict,
  ]);
  const numeric = new Set([2, 3, 4, 5, 6, 7, 8]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (numeric.has(i) ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  const env = Object.entries(report.environment)
    .map(([k, v]) => `${k}=${v}`)
    .join('  ');
  return [
    `agility-pat benchmark  ${env}`,
    '',
    line(header),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map(line),
    '',
    ...report.notes.map((n, i) => `(${i + 1}) ${n}`),
  ].join('\n');
}
