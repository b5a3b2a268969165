/**
 * Comments and docs cite a page by section title, e.g. `(docs/design.md, "Sinks")`, `docs/oauth.md, "Profiles"` or
 * `the README's "Try it in two minutes"`: every title cited in the code, the tests, the scripts, the bench, the docs and
 * the changelog is a heading of the page it names, so a renamed or moved section cannot leave a dead citation.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const SCANNED = ['lib', 'test', 'scripts', 'bench', 'main.ts', 'docs', 'CHANGELOG.md', 'README.md'];

function sources(path: string): string[] {
  const full = join(ROOT, path);
  if (/\.(ts|js|md)$/.test(path)) return [full];
  return readdirSync(full, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory()
      ? d.name === 'fixtures'
        ? []
        : sources(relative(ROOT, join(full, d.name)))
      : /\.(ts|js|md)$/.test(d.name)
        ? [join(full, d.name)]
        : [],
  );
}

interface Citation {
  /** The cited page, relative to the repository. */
  page: string;
  title: string;
  at: string;
}

/**
 * The citations in `text` (of the file at `file`, absolute): `PAGE, "TITLE"` or `PAGE's "TITLE"`, where PAGE is the
 * README, `docs/….md` (from the repository's root) or `….md` (beside the citing file). A title wrapped over comment
 * lines is joined; a leading `## ` is dropped; a title built in code (`${…}`) is no citation.
 */
function citationsIn(text: string, file: string): Citation[] {
  return [...text.matchAll(/(?<![\w./-])(README(?:\.md)?|[\w./-]*\.md)(?:, |['’]s )"([^"]+)"/g)]
    .map((m) => {
      const page = m[1] === 'README' || m[1] === 'README.md' ? 'README.md' : m[1].startsWith('docs/') ? m[1] : besideOrInDocs(m[1], file);
      const title = m[2].replace(/\s*\n\s*(\*|\/\/)?\s*/g, ' ').replace(/^#+ /, '');
      return { page, title, at: relative(ROOT, file) };
    })
    .filter((c) => !c.title.includes('${'));
}

/** A page named without its folder: beside the citing file, else in docs/ (as the README's links name them). */
function besideOrInDocs(name: string, file: string): string {
  const beside = relative(ROOT, join(dirname(file), name));
  return existsSync(join(ROOT, beside)) ? beside : join('docs', name);
}

/** The headings of a markdown page, outside fenced code blocks; undefined when there is no such page. */
function headingsOf(page: string): Set<string> | undefined {
  const full = join(ROOT, page);
  if (!existsSync(full)) return undefined;
  const prose = readFileSync(full, 'utf8').replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '');
  return new Set([...prose.matchAll(/^#{1,6} (.+)$/gm)].map((m) => m[1].trim()));
}

/** Every citation whose page or heading does not exist, as `file: page, "title"`. */
function dead(found: Citation[]): string[] {
  const pages = new Map<string, Set<string> | undefined>();
  return found
    .filter((c) => {
      if (!pages.has(c.page)) pages.set(c.page, headingsOf(c.page));
      return !pages.get(c.page)?.has(c.title);
    })
    .map((c) => `${c.at}: ${c.page}, "${c.title}"`);
}

const found = SCANNED.flatMap(sources)
  .filter((file) => file !== __filename)
  .flatMap((file) => citationsIn(readFileSync(file, 'utf8'), file));

it('finds the citations of the design record and of the other pages', () => {
  expect(found.filter((c) => c.page === 'docs/design.md').length).toBeGreaterThan(50);
  const cited = new Set(found.map((c) => c.page));
  for (const page of ['README.md', 'docs/oauth.md', 'docs/operations.md', 'docs/ci.md']) expect(cited).toContain(page);
});

it('every cited section exists in the page it names', () => {
  expect(dead(found)).toEqual([]);
});

it('the check catches a dead title, a missing page, a relative page and a wrapped title', () => {
  // As if written in docs/status.md.
  const text = [
    '(docs/design.md, "No such section"), the README\'s "Nowhere", docs/none.md, "X",',
    '[operations.md, "Exit codes"](operations.md#exit-codes), [recipes.md, "Nowhere"](recipes.md),',
    '(docs/design.md, "Generations',
    ' * and slots")',
  ].join('\n');
  const cited = citationsIn(text, join(ROOT, 'docs', 'status.md'));
  expect(cited.map((c) => `${c.page}: ${c.title}`)).toEqual([
    'docs/design.md: No such section',
    'README.md: Nowhere',
    'docs/none.md: X',
    'docs/operations.md: Exit codes',
    'docs/recipes.md: Nowhere',
    'docs/design.md: Generations and slots',
  ]);
  expect(dead(cited)).toEqual([
    'docs/status.md: docs/design.md, "No such section"',
    'docs/status.md: README.md, "Nowhere"',
    'docs/status.md: docs/none.md, "X"',
    'docs/status.md: docs/recipes.md, "Nowhere"',
  ]);
});
