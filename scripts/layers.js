'use strict';
/**
 * The layer table of lib/: the one home of which folder may import which (docs/design.md, "Layers").
 *
 * Three things are made from it, so they cannot drift apart:
 * - the ESLint `no-restricted-imports` rules (eslint.config.js calls {@link eslintLayerConfigs});
 * - the layer map in docs/design.md (`node scripts/layers.js --write-design` rewrites it; a test checks it is current
 *   and names every folder and file of lib/);
 * - the check that every module the published entry points reach is in package.json `files`
 *   (`node scripts/layers.js --check-shipped`, part of `npm run lint`).
 *
 * Plain CommonJS with no dependency: the lint config, the tests and the lint step all load it as it is.
 */
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
const LIB = path.join(ROOT, 'lib');

/**
 * The layers, lowest first. `imports`: the lib/ folders this one may import (its own files always). `packages`:
 * npm packages only this folder may import; `onlyPackages`: the only packages it may import at all. `entryPoints`:
 * for a folder that only its entry points may import, those files and folders (relative to lib/; `[]`: none); they
 * are not listed in anyone's `imports`.
 */
const LAYERS = [
  {
    folder: 'schemas',
    role: 'JSON Schemas of every document read or written (API answers, manifest, emulator state, faults, status report), and the formats and problem wording their validators use',
    imports: [],
  },
  {
    folder: 'generated',
    role: 'validators generated from lib/schemas at build time (scripts/generate-validators.js); never edited by hand',
    imports: ['schemas'],
  },
  {
    folder: 'core',
    role: 'the pure core: errors, durations, managed names, rotation, token and sink specs, the manifest, the hook contract; no I/O, the clock a parameter',
    imports: ['generated', 'schemas'],
    onlyPackages: ['node:crypto'],
  },
  { folder: 'fs', role: 'file-system primitives: the atomic write (temporary file, fsync, rename)', imports: [] },
  { folder: 'locks', role: 'advisory file locks across processes (a managed name, a sink file)', imports: ['core'] },
  {
    folder: 'api',
    role: 'the Agility Management API client: transport over node:http/https (undici given a dispatcher, in tests), retries, typed errors from answers, the base URL',
    imports: ['core', 'generated', 'schemas'],
    packages: ['undici'],
  },
  {
    folder: 'credentials',
    role: 'the credentials store (credentials.json, written atomically under a lock) and the credential chain hooks, status and tokens use',
    imports: ['api', 'core', 'fs', 'locks', 'generated', 'schemas'],
  },
  {
    folder: 'sinks',
    role: 'delivery of a secret: file, env file, command, GitHub Actions (sealed box), Vault (check-and-set), in restorability order',
    imports: ['api', 'core', 'fs', 'locks'],
    packages: ['libsodium-wrappers'],
  },
  {
    folder: 'lifecycle',
    role: 'what the hooks do with the API and the sinks: ensure, retain, revoke, reconcile a stack, rotate now, retire early, replace hand-made tokens',
    imports: ['api', 'core', 'sinks'],
  },
  {
    folder: 'ops',
    role: 'day-to-day operation: the status report and its verdicts, listed tokens, revoke selection',
    imports: ['api', 'core', 'credentials'],
  },
  {
    folder: 'construct',
    role: 'the CDKTF constructs: tokens, the stack reconciler, sinks, the hook program asset (the only user of cdktf, cdktn and constructs)',
    imports: ['api', 'core'],
    packages: ['cdktf', 'cdktn', 'constructs', '@cdktf/provider-null'],
  },
  {
    folder: 'emulator',
    role: 'the Agility Management API emulator: routes, state, faults, clock, TLS',
    imports: ['api', 'core', 'fs', 'generated', 'schemas'],
    entryPoints: ['cli/commands/emulator.ts', 'testing/'],
  },
  {
    folder: 'testing',
    role: 'the testing kit `agility-pat-cdktf/testing`: the emulator in-process with typed admin calls',
    imports: ['api', 'core'],
  },
  {
    folder: 'cli',
    role: 'the `agility-pat` program: hooks, tokens, status, auth, emulator; the only caller of process.exit',
    imports: ['api', 'core', 'credentials', 'fs', 'generated', 'lifecycle', 'locks', 'ops', 'schemas', 'sinks'],
    entryPoints: [],
  },
];

/** lib/index.ts, the package's main entry: what it may import. */
const ROOT_ENTRY = { file: 'index.ts', imports: ['construct', 'core'] };

/** Every folder directly under lib/. */
function libFolders() {
  return fs
    .readdirSync(LIB, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
}

/** Every file under lib/<folder>, relative to that folder, sorted. */
function filesOf(folder) {
  const out = [];
  const walk = (dir, rel) => {
    for (const d of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (d.isDirectory()) walk(path.join(dir, d.name), `${rel}${d.name}/`);
      else out.push(`${rel}${d.name}`);
    }
  };
  walk(path.join(LIB, folder), '');
  return out.sort();
}

/** Who may import lib/<folder> when it names entry points, as text. */
function entryText(layer) {
  if (!layer.entryPoints) return '';
  return layer.entryPoints.length === 0
    ? ' Imported by no lib/ module.'
    : ` Imported only by ${layer.entryPoints.map((e) => `lib/${e}`).join(', ')}.`;
}

const code = (items) => items.map((f) => `\`${f}\``).join(', ');

/** The layer map as docs/design.md shows it: one row per folder of the table, with every file in it. */
function renderDesignMap() {
  const rows = LAYERS.map((l, i) => {
    const present = fs.existsSync(path.join(LIB, l.folder));
    const files = present ? code(filesOf(l.folder)) : '(none yet)';
    const granted = LAYERS.filter((t) => (t.entryPoints ?? []).some((e) => e.split('/')[0] === l.folder)).map(
      (t) =>
        `${t.folder} (${t.entryPoints
          .filter((e) => e.split('/')[0] === l.folder)
          .map((e) => (e.endsWith('/') ? 'any file' : `only ${e.slice(l.folder.length + 1)}`))
          .join(', ')})`,
    );
    const all = [...l.imports.map((f) => `\`${f}\``), ...granted.map((g) => `\`${g.split(' ')[0]}\` ${g.slice(g.indexOf(' ') + 1)}`)];
    const imports = all.length === 0 ? 'nothing in lib/' : all.join(', ');
    const packages = l.onlyPackages
      ? ` Packages: ${code(l.onlyPackages)} only.`
      : l.packages
        ? ` The only importer of ${code(l.packages)}.`
        : '';
    return `| ${i + 1} | \`lib/${l.folder}/\` | ${l.role}.${packages}${entryText(l)} | ${imports} | ${files} |`;
  });
  return [
    '<!-- layer-map:start: generated from scripts/layers.js by `node scripts/layers.js --write-design`; a test checks it -->',
    '<!-- prettier-ignore-start -->',
    '| layer | folder | what it holds | may import | files |',
    '| ----- | ------ | ------------- | ---------- | ----- |',
    ...rows,
    `| - | \`lib/${ROOT_ENTRY.file}\` | the package's main entry (\`agility-pat-cdktf\`): re-exports the constructs and value types. Imported by no lib/ module. | ${code(ROOT_ENTRY.imports)} | \`${ROOT_ENTRY.file}\` |`,
    '<!-- prettier-ignore-end -->',
    '<!-- layer-map:end -->',
  ].join('\n');
}

const MAP_START = /<!-- layer-map:start[^>]*-->/;
const MAP_END = '<!-- layer-map:end -->';

/** The layer map section of docs/design.md as it is now, or undefined when the markers are missing. */
function designMapIn(text) {
  const start = text.match(MAP_START);
  const end = text.indexOf(MAP_END);
  if (!start || end < 0) return undefined;
  return text.slice(start.index, end + MAP_END.length);
}

const escapeRegex = (s) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** The folders a file of `layer` may import; `entry` (relative to lib/) is the file or folder, for entry points. */
function allowedFolders(layer, entry) {
  const granted = LAYERS.filter((t) => (t.entryPoints ?? []).some((e) => (e.endsWith('/') ? entry.startsWith(e) : entry === e)));
  return new Set([layer.folder, ...layer.imports, ...granted.map((t) => t.folder)]);
}

/** Patterns that keep packages with their one owner, and the pure core to its few. */
function packagePatterns(layer) {
  const patterns = [];
  for (const other of LAYERS) {
    if (other === layer || !other.packages) continue;
    for (const pkg of other.packages) {
      patterns.push({ regex: `^${escapeRegex(pkg)}(/|$)`, message: `only lib/${other.folder} imports ${pkg} (docs/design.md, "Layers").` });
    }
  }
  if (layer.onlyPackages) {
    patterns.push({
      regex: `^(?!\\.|${layer.onlyPackages.map((p) => `${escapeRegex(p)}$`).join('|')})`,
      message: `lib/${layer.folder} is the pure core: from outside lib/ it imports ${layer.onlyPackages.join(', ')} only (docs/design.md, "Layers").`,
    });
  }
  return patterns;
}

/**
 * The `no-restricted-imports` patterns for a file `depth` folders below lib/ (lib/core/x.ts: 1) of `layer` that may
 * import the folders `allowed`.
 */
function restrictedPatterns(layer, depth, allowed) {
  const up = '\\.\\./'.repeat(depth);
  const forbidden = LAYERS.map((l) => l.folder)
    .filter((f) => !allowed.has(f))
    .sort();
  const may = [...allowed].filter((f) => f !== layer.folder).sort();
  const patterns = [];
  if (forbidden.length > 0) {
    patterns.push({
      regex: `^${up}(${forbidden.map(escapeRegex).join('|')})(/|$)`,
      message: `lib/${layer.folder} may import ${may.length ? may.map((f) => `lib/${f}`).join(', ') : 'nothing in lib/'} only (docs/design.md, "Layers"; the table is scripts/layers.js).`,
    });
  }
  patterns.push({
    regex: `^${'\\.\\./'.repeat(depth - 1)}\\.\\.(/index(\\.ts)?)?/?$`,
    message: 'lib/index.ts is the package entry point; import the module itself (docs/design.md, "Layers").',
  });
  // A path that leaves lib/ and comes back in (../../lib/x) would dodge the folder rule.
  patterns.push({ regex: `^${up}\\.\\./lib(/|$)`, message: 'import lib/ modules by their path inside lib/ (docs/design.md, "Layers").' });
  return [...patterns, ...packagePatterns(layer)];
}

const MAX_DEPTH = 4;

/** The files of `folder` `depth` folders below lib/, as a flat-config glob. */
const globAt = (folder, depth) => `lib/${folder}/${'*/'.repeat(depth - 1)}*.ts`;

const block = (files, patterns) => ({ files, rules: { 'no-restricted-imports': ['error', { patterns }] } });

/**
 * The flat-config blocks that enforce the table: one per folder and depth, then one per entry point (a later block
 * replaces the rule's options for the files it matches), then lib/index.ts.
 */
function eslintLayerConfigs() {
  const configs = [];
  for (const layer of LAYERS) {
    for (let depth = 1; depth <= MAX_DEPTH; depth++) {
      configs.push(block([globAt(layer.folder, depth)], restrictedPatterns(layer, depth, allowedFolders(layer, `${layer.folder}/`))));
    }
  }
  for (const entry of LAYERS.flatMap((t) => t.entryPoints ?? [])) {
    const [folder, ...rest] = entry.split('/');
    const layer = LAYERS.find((l) => l.folder === folder);
    for (let depth = 1; depth <= MAX_DEPTH; depth++) {
      if (!entry.endsWith('/') && rest.length !== depth) continue;
      const files = entry.endsWith('/') ? [globAt(folder, depth)] : [`lib/${entry}`];
      configs.push(block(files, restrictedPatterns(layer, depth, allowedFolders(layer, entry))));
    }
  }
  configs.push(
    block(
      [`lib/${ROOT_ENTRY.file}`],
      [
        {
          regex: `^\\./(?!(${ROOT_ENTRY.imports.join('|')})(/|$))`,
          message: `lib/index.ts re-exports ${ROOT_ENTRY.imports.map((f) => `lib/${f}`).join(', ')} only (docs/design.md, "Layers").`,
        },
        ...packagePatterns({ folder: '' }),
      ],
    ),
  );
  return configs;
}

/** The relative module specifiers a source file names: import/export `from`, `require(…)`, `import(…)`. */
function relativeSpecifiers(source) {
  const found = new Set();
  for (const m of source.matchAll(/(?:\bfrom\s+|\brequire\(\s*|\bimport\(\s*|^\s*import\s+)(['"])(\.[^'"]*)\1/gm)) found.add(m[2]);
  return [...found];
}

/** The file a relative specifier names, from `fromFile` (absolute): `x.ts`, `x/index.ts`, or a `.json` as it is. */
function resolveModule(fromFile, specifier) {
  const base = path.resolve(path.dirname(fromFile), specifier);
  for (const candidate of [base, `${base}.ts`, path.join(base, 'index.ts')]) {
    if (fs.existsSync(candidate) && fs.statSync(candidate).isFile()) return candidate;
  }
  throw new Error(`${path.relative(ROOT, fromFile)} imports ${specifier}, which resolves to no file`);
}

/** Every source file the given entry files reach through relative imports (themselves included). */
function reachedFrom(entries) {
  const seen = new Set();
  const todo = [...entries];
  while (todo.length > 0) {
    const file = todo.pop();
    if (seen.has(file)) continue;
    seen.add(file);
    if (!file.endsWith('.ts')) continue;
    for (const spec of relativeSpecifiers(fs.readFileSync(file, 'utf8'))) todo.push(resolveModule(file, spec));
  }
  return [...seen].sort();
}

/** The published files a source file becomes: `lib/x.ts` → `dist/lib/x.js` and `.d.ts`; other files keep their path. */
function publishedFilesOf(file) {
  const rel = path.relative(ROOT, file).split(path.sep).join('/');
  if (rel.startsWith('lib/') && rel.endsWith('.ts')) {
    const stem = `dist/${rel.slice(0, -'.ts'.length)}`;
    return [`${stem}.js`, `${stem}.d.ts`];
  }
  if (rel.startsWith('lib/')) return [`dist/${rel}`];
  return [rel];
}

/** Files npm always packs, whatever `files` says. */
const ALWAYS_PACKED = new Set(['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md']);

/** Whether `files` (package.json) ships `published`: an exact entry or a folder entry above it. */
function isShipped(files, published) {
  if (ALWAYS_PACKED.has(published)) return true;
  return files.some((f) => {
    if (/[*?[]/.test(f)) throw new Error(`package.json files entry ${f} is a glob; the shipped check reads exact paths and folders only`);
    const entry = f.replace(/^\.\//, '');
    return entry.endsWith('/') ? published.startsWith(entry) : published === entry || published.startsWith(`${entry}/`);
  });
}

/** The lib/ sources behind the package's entry points (`exports`, `main`): dist/lib/x.js → lib/x.ts. */
function packageEntrySources(pkg) {
  const targets = new Set([pkg.main]);
  for (const value of Object.values(pkg.exports ?? {})) if (typeof value === 'object' && value.default) targets.add(value.default);
  return (
    [...targets]
      .filter((t) => typeof t === 'string' && /^(\.\/)?dist\/lib\/.+\.js$/.test(t))
      .map((t) => path.join(ROOT, t.replace(/^(\.\/)?dist\//, '').replace(/\.js$/, '.ts')))
      // An entry with no source (dist/lib/cdktn, which scripts/emit-cdktn.js copies from the construct layer's output)
      // reaches what the construct layer reaches: the cdktf entry's walk covers it.
      .filter((source) => fs.existsSync(source))
  );
}

/**
 * The published files that the package's entry points (the constructs, the testing kit) reach but package.json
 * `files` leaves out: each would be a missing module in a user's install. Empty when all is shipped.
 */
function unshippedModules(pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'))) {
  const missing = [];
  for (const file of reachedFrom(packageEntrySources(pkg))) {
    for (const published of publishedFilesOf(file)) {
      if (!isShipped(pkg.files ?? [], published)) missing.push(`${published} (from ${path.relative(ROOT, file)})`);
    }
  }
  return missing;
}

function main(argv) {
  if (argv.includes('--write-design')) {
    const file = path.join(ROOT, 'docs', 'design.md');
    const text = fs.readFileSync(file, 'utf8');
    const current = designMapIn(text);
    if (current === undefined) throw new Error('docs/design.md has no layer-map markers');
    fs.writeFileSync(file, text.replace(current, renderDesignMap()));
    return 0;
  }
  if (argv.includes('--check-shipped')) {
    const missing = unshippedModules();
    if (missing.length === 0) return 0;
    console.error(
      `agility-pat: the package's entry points reach modules that package.json "files" does not ship:\n  ${missing.join('\n  ')}\n` +
        'add them to "files", or keep the construct layer from importing them (docs/design.md, "Layers").',
    );
    return 1;
  }
  console.log(renderDesignMap());
  return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));

module.exports = {
  LAYERS,
  ROOT_ENTRY,
  libFolders,
  filesOf,
  renderDesignMap,
  designMapIn,
  eslintLayerConfigs,
  allowedFolders,
  reachedFrom,
  relativeSpecifiers,
  resolveModule,
  unshippedModules,
};
