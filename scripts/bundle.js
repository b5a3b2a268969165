#!/usr/bin/env node
// Bundles the `agility-pat` program into one self-contained file, dist/agility-pat.js, that the construct attaches to
// each stack and Terraform runs as `node <file>`: no node_modules, no ts-node, no npx on the deploy machine.
'use strict';
const esbuild = require('esbuild');
const { execFileSync } = require('node:child_process');
const { mkdirSync, writeFileSync } = require('node:fs');
const { wrap } = require('node:module');
const path = require('node:path');
const zlib = require('node:zlib');

const root = path.resolve(__dirname, '..');

/** V8 flags set before any code is compiled: the bundle's banner, and the loader before it compiles the bundle. */
const V8_FLAGS = '--liftoff-only';

/**
 * Modules a hook process needs only on some paths, bundled on their own, brotli-compressed into a base64 string (~4
 * times smaller) and decompressed and compiled on first require only. V8 pre-parses every function of a script at
 * start-up, even one behind a lazy require, and even a 1 MB string literal costs ~25 ms to read and scan:
 * - libsodium (~1 MB of JavaScript and base64 WebAssembly, with its wrappers): only a GitHub sink seals with it;
 * - undici (~300 kB with its llhttp WebAssembly), through lib/api/undici-request: only a transport given a dispatcher
 *   (tests' `MockAgent`) uses it; the hook speaks through node's http/https (lib/api/exchange.ts).
 */
const PACKED_MODULES = [
  { filter: /^libsodium-wrappers$/, entry: () => require.resolve('libsodium-wrappers'), plugins: () => [] },
  { filter: /^\.\/undici-request$/, entry: () => path.join(root, 'lib/api/undici-request.ts'), plugins: () => [lazyBuiltins] },
];

const packedModules = {
  name: 'agility-pat-packed-modules',
  setup(build) {
    PACKED_MODULES.forEach((m, i) => {
      build.onResolve({ filter: m.filter }, () => ({ path: String(i), namespace: 'agility-pat-packed' }));
    });
    build.onLoad({ filter: /.*/, namespace: 'agility-pat-packed' }, async (args) => {
      const m = PACKED_MODULES[Number(args.path)];
      const inner = await esbuild.build({
        entryPoints: [m.entry()],
        bundle: true,
        platform: 'node',
        target: 'node20',
        format: 'cjs',
        minify: true,
        keepNames: true,
        legalComments: 'none',
        logLevel: 'warning',
        plugins: m.plugins(),
        write: false,
      });
      const packed = zlib
        .brotliCompressSync(inner.outputFiles[0].contents, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11 } })
        .toString('base64');
      return {
        loader: 'js',
        resolveDir: root,
        contents:
          `const source = require('node:zlib').brotliDecompressSync(Buffer.from(${JSON.stringify(packed)}, 'base64')).toString('utf8');\n` +
          // Both packed modules compile WebAssembly: Liftoff only, set before it compiles (see HOOK_BUNDLE_OPTIONS).
          `require('v8').setFlagsFromString(${JSON.stringify(V8_FLAGS)});\n` +
          'const m = { exports: {} };\n' +
          "new Function('module', 'exports', 'require', '__filename', '__dirname', source)(m, m.exports, require, __filename, __dirname);\n" +
          'module.exports = m.exports;\n',
      };
    });
  },
};

/**
 * The esbuild settings of the hook program, also used by `npm run bench` to bundle undici's floor as undici bundles
 * by itself. Before undici loads, the banner turns on Liftoff-only compilation of its llhttp WebAssembly: that saves
 * ~70 ms and ~35 MiB per hook process, which otherwise waits at exit for V8's background tier-up (docs/design.md,
 * "Facts", measured). The hook's own build packs the modules above (libsodium, undici) and loads the built-ins below lazily inside them.
 */
const HOOK_BUNDLE_OPTIONS = Object.freeze({
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  minify: true,
  keepNames: true,
  legalComments: 'none',
  logLevel: 'warning',
  banner: { js: `require('v8').setFlagsFromString('${V8_FLAGS}');` },
});

/**
 * Built-in modules the hook's own code loads only on first use: `node:child_process` (a command sink) and `node:os`
 * (a lock file's host name). And built-in modules undici loads at start that one HTTP/1.1 request never uses (`npm run bench`, "over TLS"):
 * - `node:http2` (~5-15 ms): only an `allowH2` client connects with it, so its constants are inlined and `connect`
 *   loads it on first use;
 * - `node:assert` (~5 ms, with its error formatting): undici only calls `assert(value)` on its own invariants, so a
 *   two-line function that throws does the same.
 */
const lazyBuiltins = {
  name: 'agility-pat-lazy-builtins',
  setup(build) {
    build.onResolve({ filter: /^node:(http2|assert|child_process|os)$/ }, (args) => ({ path: args.path, namespace: 'agility-pat-lazy' }));
    build.onLoad({ filter: /.*/, namespace: 'agility-pat-lazy' }, (args) => {
      if (args.path === 'node:child_process' || args.path === 'node:os') {
        // Loaded on first use of an export: only a command sink spawns (child_process brings dgram and more with it),
        // only a lock file reads the host name.
        const names = Object.keys(require(args.path));
        // An expression esbuild does not fold, so the require runs at run time instead of resolving back to this module.
        const load = `require(['node', ${JSON.stringify(args.path.slice('node:'.length))}].join(':'))`;
        return {
          loader: 'js',
          contents: names
            .map(
              (n) =>
                `Object.defineProperty(exports, ${JSON.stringify(n)}, { enumerable: true, get: () => ${load}[${JSON.stringify(n)}] });`,
            )
            .join('\n'),
        };
      }
      if (args.path === 'node:http2') {
        const constants = require('node:http2').constants;
        const used = Object.fromEntries(Object.entries(constants).filter(([k]) => /^(HTTP2_HEADER_|NGHTTP2_)/.test(k)));
        return {
          loader: 'js',
          contents: `module.exports = { constants: ${JSON.stringify(used)}, connect: (...args) => require(['node', 'http2'].join(':')).connect(...args) };`,
        };
      }
      return {
        loader: 'js',
        contents:
          "function assert(value, message) { if (!value) throw Object.assign(new Error(message || 'internal assertion failed'), { code: 'ERR_ASSERTION' }); }\n" +
          'assert.ok = assert;\nmodule.exports = assert;',
      };
    });
  },
};

/**
 * The bundle wrapped in a loader that compiles it with a V8 code cache made here, by this Node, with no V8 flag set (the
 * hook sets `--liftoff-only` only when a packed module loads, after the cache is read).
 * A Node whose V8 differs rejects the cache (`cachedDataRejected`) and compiles the source as usual: slower, not wrong.
 */
function withCodeCache(bundle) {
  const source = wrap(bundle.replace(/^#!.*/, ''));
  const cache = execFileSync(
    process.execPath,
    [
      '-e',
      `const { Script } = require('vm');
process.stdout.write(new Script(require('fs').readFileSync(0, 'utf8')).createCachedData().toString('base64'));`,
    ],
    { input: source, maxBuffer: 64 * 1024 * 1024 },
  ).toString();
  return (
    '#!/usr/bin/env node\n' +
    "'use strict';\n" +
    `new (require('vm').Script)(${JSON.stringify(source)}, { filename: __filename, cachedData: Buffer.from(${JSON.stringify(cache)}, 'base64') })\n` +
    '  .runInThisContext()(exports, require, module, __filename, __dirname);\n'
  );
}

module.exports = { HOOK_BUNDLE_OPTIONS };

if (require.main === module) {
  esbuild
    .build({
      ...HOOK_BUNDLE_OPTIONS,
      // No flag at start-up (it loads node:v8): the packed modules, the only WebAssembly, set it before they compile.
      banner: {},
      entryPoints: [path.join(root, 'lib/cli/main.ts')],
      plugins: [packedModules, lazyBuiltins],
      write: false,
    })
    .then((result) => {
      const outfile = path.join(root, 'dist/agility-pat.js');
      mkdirSync(path.dirname(outfile), { recursive: true });
      writeFileSync(outfile, withCodeCache(result.outputFiles[0].text), { mode: 0o755 });
    })
    .catch((e) => {
      console.error(e.message);
      process.exit(1);
    });
}
