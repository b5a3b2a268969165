/**
 * Comments cite docs/design.md by section title, e.g. `(docs/design.md, "Sinks")`: every title cited in the code,
 * the tests, the scripts and the bench is a section of the record, so a renamed section cannot leave a dead citation.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const SCANNED = ['lib', 'test', 'scripts', 'bench', 'main.ts'];

function sources(path: string): string[] {
  const full = join(ROOT, path);
  if (path.endsWith('.ts') || path.endsWith('.js')) return [full];
  return readdirSync(full, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory()
      ? d.name === 'fixtures'
        ? []
        : sources(relative(ROOT, join(full, d.name)))
      : /\.(ts|js)$/.test(d.name)
        ? [join(full, d.name)]
        : [],
  );
}

/** Every section title cited after `docs/design.md, `, with where; a title wrapped over comment lines is joined. */
function citations(): { title: string; at: string }[] {
  return SCANNED.flatMap(sources).flatMap((file) =>
    [...readFileSync(file, 'utf8').matchAll(/docs\/design\.md, "([^"]+)"/g)].map((m) => ({
      title: m[1].replace(/\s*\n\s*(\*|\/\/)?\s*/g, ' '),
      at: relative(ROOT, file),
    })),
  );
}

it('every section of docs/design.md cited in a comment exists', () => {
  const titles = new Set([...readFileSync(join(ROOT, 'docs', 'design.md'), 'utf8').matchAll(/^#{2,3} (.+)$/gm)].map((m) => m[1].trim()));
  const found = citations();
  expect(found.length).toBeGreaterThan(50);
  expect(found.filter((c) => !titles.has(c.title)).map((c) => `${c.at}: "${c.title}"`)).toEqual([]);
});
