#!/usr/bin/env node
// `prepare`: npm runs it after `npm ci` or `npm install` in a clone, when it installs this package from a git URL, and
// again when `npx agility-pat` in a clone links the clone into npx's cache. It builds (`npm run build`) unless every
// output of the build is newer than every input, so the README's "Try it" (`npm ci`, then `npx agility-pat`) builds
// once, not twice. `npm run build` always builds.
'use strict';
const { execFileSync } = require('node:child_process');
const { existsSync, readdirSync, statSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
/** What the build makes: the hook bundle, the library, the example app (`npm start`, the CI example). */
const OUTPUTS = ['dist/agility-pat.js', 'dist/lib/index.js', 'dist/main.js'];
/** What the build reads (tsconfig.json's `include`, the build scripts, the dependency versions). */
const INPUTS = ['lib', 'scripts', 'bench', 'main.ts', 'package.json', 'package-lock.json', 'tsconfig.json'];

/** The newest modification time under `path` (0 when it does not exist). */
function newest(path) {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  return Math.max(st.mtimeMs, ...readdirSync(path).map((entry) => newest(join(path, entry))));
}

/** The newest input of the build. */
function newestInput() {
  return Math.max(...INPUTS.map((i) => newest(join(root, i))));
}

const outputs = OUTPUTS.map((f) => join(root, f));
const built = outputs.every((f) => existsSync(f)) && Math.min(...outputs.map((f) => statSync(f).mtimeMs)) > newestInput();

if (built) {
  console.log('prepare: dist/ is newer than every source; not building again (npm run build always builds).');
} else {
  execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
}
