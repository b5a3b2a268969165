import { printable } from '../core/printable';

/**
 * Left-aligned columns separated by two spaces, for terminal output. Cells are {@link printable}: they hold names
 * from Agility's token list, which anyone with the user's credential can set to anything.
 */
export function formatTable(header: string[], rawRows: string[][]): string {
  const rows = rawRows.map((r) => r.map((c) => printable(c)));
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}
