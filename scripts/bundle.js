#!/usr/bin/env node
// Bundles the `agility-pat` program into one self-contained file, dist/agility-pat.js, that the construct attaches to
// each stack and Terraform runs as `node <file>`: no node_modules, no ts-node, no npx on the deploy machine.
'use strict';
const esbuild = require('esbuild');
const path = require('node:path');
const zlib = require('node:zlib');

const root = path.resolve(__dirname, '..');

/**
 * libsodium (~1 MB of JavaScript and base64 WebAssembly, with its wrappers) is only needed when a GitHub sink delivers,
 * and the require that loads it already sits inside a function. But V8 still pre-parses every function of a script at
 * start-up, and even a 1 MB string literal costs ~25 ms to read and scan: ~50 ms of CPU in every hook process
 * (measured with `node dist/agility-pat.js --version`). So it is bundled on its own, brotli-compressed into a base64
 * string (~4 times smaller), and decompressed and compiled on first require only.
 */
const lazyLibsodium = {
  name: 'lazy-libsodium',
  setup(build) {
    build.onResolve({ filter: /^libsodium-wrappers$/ }, () => ({ path: 'libsodium-wrappers', namespace: 'lazy-libsodium' }));
    build.onLoad({ filter: /.*/, namespace: 'lazy-libsodium' }, async () => {
      const inner = await esbuild.build({
        entryPoints: [require.resolve('libsodium-wrappers')],
        bundle: true,
        platform: 'node',
        target: 'node20',
        format: 'cjs',
        minify: true,
        legalComments: 'none',
        logLevel: 'warning',
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
          'const m = { exports: {} };\n' +
          "new Function('module', 'exports', 'require', '__filename', '__dirname', source)(m, m.exports, require, __filename, __dirname);\n" +
          'module.exports = m.exports;\n',
      };
    });
  },
};

const HOOK_BUNDLE_OPTIONS = Object.freeze({
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  minify: true,
  keepNames: true,
  legalComments: 'none',
  logLevel: 'warning',
  banner: { js: "require('v8').setFlagsFromString('--liftoff-only');" },
  plugins: [lazyLibsodium],
});

module.exports = { HOOK_BUNDLE_OPTIONS };

if (require.main === module) {
  esbuild
    .build({
      ...HOOK_BUNDLE_OPTIONS,
      entryPoints: [path.join(root, 'lib/cli/main.ts')],
      outfile: path.join(root, 'dist/agility-pat.js'),
    })
    .catch((e) => {
      console.error(e.message);
      process.exit(1);
    });
}
