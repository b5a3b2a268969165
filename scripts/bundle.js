#!/usr/bin/env node
// Bundles the `agility-pat` program into one self-contained file, dist/agility-pat.js, that the construct attaches to
// each stack and Terraform runs as `node <file>`: no node_modules, no ts-node, no npx on the deploy machine.
'use strict';
const esbuild = require('esbuild');
const path = require('node:path');

const root = path.resolve(__dirname, '..');

/**
 * The esbuild settings of the hook program, also used by `npm run bench` to bundle its undici floor the same way.
 * Before undici loads, the banner turns on Liftoff-only compilation of its llhttp WebAssembly: that saves ~70 ms and
 * ~35 MiB per hook process, which otherwise waits at exit for V8's background tier-up (docs/design.md, "Facts", measured).
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
  banner: { js: "require('v8').setFlagsFromString('--liftoff-only');" },
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
