#!/usr/bin/env node
// `npm run lint` step: fails when the committed API reference (docs/api, `npm run docs:api`) is not what TypeDoc makes
// from the current TSDoc. Generates into a temporary folder and compares every file, both ways.
'use strict';
const { execFileSync } = require('node:child_process');
const { mkdtempSync, readdirSync, readFileSync, rmSync, existsSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join, relative } = require('node:path');

const root = join(__dirname, '..');
const committed = join(root, 'docs', 'api');

/** Every file under `dir`, as paths relative to it, sorted. */
function files(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath ?? e.path, e.name)))
    .sort();
}

const out = mkdtempSync(join(tmpdir(), 'agility-pat-api-docs-'));
try {
  execFileSync(process.execPath, [join(root, 'node_modules', 'typedoc', 'bin', 'typedoc'), '--out', out, '--logLevel', 'Error'], {
    cwd: root,
    stdio: 'inherit',
  });
  const made = files(out);
  const have = files(committed);
  const problems = [
    ...made.filter((f) => !have.includes(f)).map((f) => `missing: docs/api/${f}`),
    ...have.filter((f) => !made.includes(f)).map((f) => `no longer generated: docs/api/${f}`),
    ...made
      .filter((f) => have.includes(f) && !readFileSync(join(out, f)).equals(readFileSync(join(committed, f))))
      .map((f) => `out of date: docs/api/${f}`),
  ];
  if (problems.length > 0) {
    console.error(
      `docs/api is not the API reference the TSDoc makes now:\n  ${problems.join('\n  ')}\nRun "npm run docs:api" and commit docs/api.`,
    );
    process.exit(1);
  }
  console.log(`docs/api is current (${made.length} files).`);
} finally {
  rmSync(out, { recursive: true, force: true });
}
