#!/usr/bin/env node
// Bundles the `agility-pat` program into one self-contained file, dist/agility-pat.js, that the construct attaches to
// each stack and Terraform runs as `node <file>`: no node_modules, no ts-node, no npx on the deploy machine.
'use strict';
const esbuild = require('esbuild');
const { execFileSync } = require('node:child_process');
const { mkdirSync, writeFileSync } = require('node:fs');
const { wrap } = require('node:module');
const path = require('node:path');

const root = path.resolve(__dirname, '..');

/** V8 flags set before any code is compiled: the bundle's banner, and the loader before it compiles the bundle. */
const V8_FLAGS = '--liftoff-only';

/**
 * The esbuild settings of the hook program, also used by `npm run bench` to bundle undici's floor as undici bundles
 * by itself. Before undici loads, the banner turns on Liftoff-only compilation of its llhttp WebAssembly: that saves
 * ~70 ms and ~35 MiB per hook process, which otherwise waits at exit for V8's background tier-up (docs/design.md,
 * "Facts", measured).
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
 * Built-in modules undici loads at start that one HTTP/1.1 request never uses (`npm run bench`, "over TLS"):
 * - `node:http2` (~5-15 ms): only an `allowH2` client connects with it, so its constants are inlined and `connect`
 *   loads it on first use;
 * - `node:assert` (~5 ms, with its error formatting): undici only calls `assert(value)` on its own invariants, so a
 *   two-line function that throws does the same.
 */
const lazyBuiltins = {
  name: 'agility-pat-lazy-builtins',
  setup(build) {
    build.onResolve({ filter: /^node:(http2|assert)$/ }, (args) => ({ path: args.path, namespace: 'agility-pat-lazy' }));
    build.onLoad({ filter: /.*/, namespace: 'agility-pat-lazy' }, (args) => {
      if (args.path === 'node:http2') {
        const constants = require('node:http2').constants;
        const used = Object.fromEntries(Object.entries(constants).filter(([k]) => /^(HTTP2_HEADER_|NGHTTP2_)/.test(k)));
        return {
          loader: 'js',
          contents: `module.exports = { constants: ${JSON.stringify(used)}, connect: (...args) => require('node:' + 'http2').connect(...args) };`,
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
 * The bundle wrapped in a loader that compiles it with a V8 code cache made here, by this Node, under the same flags.
 * A Node whose V8 differs rejects the cache (`cachedDataRejected`) and compiles the source as usual: slower, not wrong.
 */
function withCodeCache(bundle) {
  const source = wrap(bundle.replace(/^#!.*/, ''));
  const cache = execFileSync(
    process.execPath,
    [
      '-e',
      `require('v8').setFlagsFromString(${JSON.stringify(V8_FLAGS)});
const { Script } = require('vm');
process.stdout.write(new Script(require('fs').readFileSync(0, 'utf8')).createCachedData().toString('base64'));`,
    ],
    { input: source, maxBuffer: 64 * 1024 * 1024 },
  ).toString();
  return (
    '#!/usr/bin/env node\n' +
    "'use strict';\n" +
    `require('v8').setFlagsFromString(${JSON.stringify(V8_FLAGS)});\n` +
    `new (require('vm').Script)(${JSON.stringify(source)}, { filename: __filename, cachedData: Buffer.from(${JSON.stringify(cache)}, 'base64') })\n` +
    '  .runInThisContext()(exports, require, module, __filename, __dirname);\n'
  );
}

module.exports = { HOOK_BUNDLE_OPTIONS };

if (require.main === module) {
  esbuild
    .build({ ...HOOK_BUNDLE_OPTIONS, entryPoints: [path.join(root, 'lib/cli/main.ts')], plugins: [lazyBuiltins], write: false })
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
