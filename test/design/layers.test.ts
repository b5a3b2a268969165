/**
 * The layers of lib/ (docs/design.md, "Layers"): the one table in scripts/layers.js, the map docs/design.md shows,
 * the ESLint rules made from it, the import graph as it is, and the shipped-files check of the lint step.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { ESLint } from 'eslint';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const layers = require('../../scripts/layers') as {
  LAYERS: { folder: string; imports: string[]; packages?: string[]; onlyPackages?: string[] }[];
  libFolders(): string[];
  filesOf(folder: string): string[];
  renderDesignMap(): string;
  designMapIn(text: string): string | undefined;
  allowedFolders(layer: { folder: string }, entry: string): Set<string>;
  relativeSpecifiers(source: string): string[];
  resolveModule(fromFile: string, specifier: string): string;
  unshippedModules(pkg?: unknown): string[];
};

jest.setTimeout(120_000);

const ROOT = join(__dirname, '..', '..');
const design = readFileSync(join(ROOT, 'docs', 'design.md'), 'utf8');
const mapInDesign = layers.designMapIn(design) ?? '';

describe('the layer map in docs/design.md', () => {
  it('names every folder under lib/ (a new folder needs a row in scripts/layers.js)', () => {
    const inTable = new Set(layers.LAYERS.map((l) => l.folder));
    expect(layers.libFolders().filter((f) => !inTable.has(f))).toEqual([]);
    for (const folder of layers.libFolders()) expect(mapInDesign).toContain(`\`lib/${folder}/\``);
  });

  it('names every file under lib/, in its folder row', () => {
    const rows = mapInDesign.split('\n');
    const unnamed = layers
      .libFolders()
      .flatMap((folder) => layers.filesOf(folder).map((file) => ({ folder, file })))
      .filter(({ folder, file }) => !rows.some((r) => r.includes(`\`lib/${folder}/\``) && r.includes(`\`${file}\``)))
      .map(({ folder, file }) => `lib/${folder}/${file}`);
    expect(unnamed).toEqual([]);
  });

  it('is the map made from the table, as it is now (else run `node scripts/layers.js --write-design`)', () => {
    expect(mapInDesign).not.toBe('');
    expect(mapInDesign).toBe(layers.renderDesignMap());
  });
});

/** Every .ts file under lib/, relative to the repository, with `/`. */
function libSources(): string[] {
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
      d.isDirectory() ? walk(join(dir, d.name)) : d.name.endsWith('.ts') ? [join(dir, d.name)] : [],
    );
  return walk(join(ROOT, 'lib')).map((f) => relative(ROOT, f).split(sep).join('/'));
}

describe('the import graph of lib/ as it is', () => {
  it('follows the table, require() and import() included (what ESLint cannot see)', () => {
    const wrong: string[] = [];
    for (const file of libSources()) {
      const [, folder, ...rest] = file.split('/');
      if (rest.length === 0) continue; // lib/index.ts: checked by its own lint block
      const layer = layers.LAYERS.find((l) => l.folder === folder)!;
      const allowed = layers.allowedFolders(layer, `${folder}/${rest.join('/')}`);
      for (const spec of layers.relativeSpecifiers(readFileSync(join(ROOT, file), 'utf8'))) {
        const target = relative(join(ROOT, 'lib'), layers.resolveModule(join(ROOT, file), spec)).split(sep);
        if (target[0] === '..') continue; // package.json, read by the CLI for its version
        if (target.length === 1 || !allowed.has(target[0])) wrong.push(`${file} imports ${spec}`);
      }
    }
    expect(wrong).toEqual([]);
  });
});

describe('the layer lint (ESLint rules generated from the table)', () => {
  // The repository's own eslint.config.js, passed in: ESLint would load it with a dynamic import, which jest's module
  // sandbox does not run.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const eslint = new ESLint({ cwd: ROOT, overrideConfigFile: true, overrideConfig: require('../../eslint.config.js') });

  /** The layer findings of ESLint on `code` planted at `file` (the file is linted under that path, not written). */
  async function findings(file: string, code: string): Promise<string[]> {
    const [result] = await eslint.lintText(code, { filePath: join(ROOT, file) });
    return result.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
  }

  it.each([
    [
      'lib/core/planted.ts',
      "import { HttpTransport } from '../api/http-transport';\nexport const x = HttpTransport;\n",
      /lib\/core may import/,
    ],
    ['lib/core/planted.ts', "export * from '../sinks';\n", /lib\/core may import/],
    ['lib/core/planted.ts', "import type { Command } from '../cli/context';\nexport type X = Command;\n", /lib\/core may import/],
    ['lib/core/planted.ts', "import { request } from 'undici';\nexport const x = request;\n", /only lib\/api imports undici/],
    ['lib/core/planted.ts', "import { readFileSync } from 'node:fs';\nexport const x = readFileSync;\n", /pure core/],
    ['lib/ops/planted.ts', "import { App } from 'cdktf';\nexport const x = App;\n", /only lib\/construct imports cdktf/],
    [
      'lib/sinks/planted.ts',
      "import { Construct } from 'constructs';\nexport const x = Construct;\n",
      /only lib\/construct imports constructs/,
    ],
    [
      'lib/construct/planted.ts',
      "import { HttpTransport } from '../api/http-transport';\nimport { main } from '../cli/main';\nexport const x = [HttpTransport, main];\n",
      /lib\/construct may import/,
    ],
    ['lib/sinks/planted.ts', "import { startEmulator } from '../emulator';\nexport const x = startEmulator;\n", /lib\/sinks may import/],
    [
      'lib/cli/commands/planted.ts',
      "import { startEmulator } from '../../emulator';\nexport const x = startEmulator;\n",
      /lib\/cli may import/,
    ],
    [
      'lib/api/planted.ts',
      "import { AgilityPersonalAccessToken } from '..';\nexport const x = AgilityPersonalAccessToken;\n",
      /package entry point/,
    ],
    ['lib/lifecycle/planted.ts', "import { x } from '../../lib/cli/main';\nexport const y = x;\n", /by their path inside lib/],
  ])('fails on a planted import in %s', async (file, code, message) => {
    const found = await findings(file, code);
    expect(found.length).toBeGreaterThan(0);
    expect(found.join('\n')).toMatch(message);
  });

  it.each([
    [
      'lib/core/planted.ts',
      "import { validateManifest } from '../generated/manifest';\nimport { createHash } from 'node:crypto';\nexport const x = [validateManifest, createHash];\n",
    ],
    [
      'lib/construct/planted.ts',
      "import { App } from 'cdktf';\nimport { validateBaseUrl } from '../api/base-url';\nexport const x = [App, validateBaseUrl];\n",
    ],
    ['lib/cli/commands/emulator.ts', "import { startEmulator } from '../../emulator';\nexport const x = startEmulator;\n"],
    ['lib/testing/planted.ts', "import { startEmulator } from '../emulator';\nexport const x = startEmulator;\n"],
    [
      'lib/sinks/planted.ts',
      "import sodium from 'libsodium-wrappers';\nimport { withFileLock } from '../locks/file-lock';\nexport const x = [sodium, withFileLock];\n",
    ],
  ])('lets %s import what the table allows', async (file, code) => {
    expect(await findings(file, code)).toEqual([]);
  });
});

describe('the shipped-files check (npm run lint:layers)', () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { files: string[] };

  it('passes: every module the package entry points reach is in package.json files', () => {
    expect(layers.unshippedModules(pkg)).toEqual([]);
  });

  it('names a module the construct layer reaches once it leaves files', () => {
    const without = { ...pkg, files: pkg.files.filter((f) => !f.startsWith('dist/lib/api/base-url')) };
    expect(layers.unshippedModules(without)).toEqual([
      'dist/lib/api/base-url.js (from lib/api/base-url.ts)',
      'dist/lib/api/base-url.d.ts (from lib/api/base-url.ts)',
    ]);
  });
});
