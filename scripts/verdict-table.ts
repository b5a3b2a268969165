/**
 * Writes the verdict table of `agility-pat status`, rendered from the rules' table (lib/ops/status-verdicts.ts), between
 * the `verdicts` markers of each Markdown file given (default docs/status-verdicts.md), then formats them with prettier.
 * test/ops/status-verdicts.test.ts fails while a file's table differs from the rules'.
 *
 *   npm run build && node dist/scripts/verdict-table.js [FILE...]
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { VERDICT_DOC_MARKERS, verdictMarkdownTable } from '../lib/ops/status-verdicts';

const root = join(__dirname, '..', '..');
const files = process.argv.length > 2 ? process.argv.slice(2) : [join(root, 'docs', 'status-verdicts.md')];
for (const file of files) {
  const text = readFileSync(file, 'utf8');
  const start = text.indexOf(VERDICT_DOC_MARKERS.start);
  const end = text.indexOf(VERDICT_DOC_MARKERS.end);
  if (start < 0 || end < start) throw new Error(`${file} has no ${VERDICT_DOC_MARKERS.start} … ${VERDICT_DOC_MARKERS.end} block`);
  const block = `${VERDICT_DOC_MARKERS.start}\n\n${verdictMarkdownTable()}\n\n`;
  writeFileSync(file, text.slice(0, start) + block + text.slice(end));
}
execFileSync(process.execPath, [require.resolve('prettier/bin/prettier.cjs'), '--write', ...files], { stdio: 'inherit' });
