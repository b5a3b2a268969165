#!/usr/bin/env node
// Emits the `agility-pat-cdktf/cdktn` entry point (CDK Terrain) from tsc's output of the one source: every module that
// reaches `cdktf` from dist/lib/index is copied under dist/lib/cdktn/ with its `cdktf` imports made `cdktn` imports,
// JavaScript and declarations alike (docs/design.md, "CDK Terrain"). Modules that do not reach the CDK (lib/core, the
// API models) are shared: the copies import them where they are.
'use strict';
const ts = require('typescript');
const { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const LIB = path.join(root, 'dist', 'lib');
const OUT = path.join(LIB, 'cdktn');
const ENTRY = path.join(LIB, 'index');
const FROM = 'cdktf';
const TO = 'cdktn';
const KINDS = ['.js', '.d.ts'];

/** The import specifiers of an emitted file, each with the offset of its first character. */
function specifiers(text) {
  return ts.preProcessFile(text, true, true).importedFiles.map(({ fileName, pos }) => {
    const start = text.startsWith(fileName, pos + 1) ? pos + 1 : text.indexOf(fileName, pos);
    if (start < 0 || !/["'`]/.test(text[start - 1])) throw new Error(`cannot locate the import "${fileName}" near offset ${pos}`);
    return { name: fileName, start };
  });
}

const isCdk = (name) => name === FROM || name.startsWith(`${FROM}/`);

/**
 * What a relative specifier of `from` names: a module (a path without extension, as tsc emits them) or a file named
 * in full (a JSON file). Undefined for a package name; an error for a relative one that names nothing, which a copy
 * could not point at.
 */
function resolveModule(from, name) {
  if (!name.startsWith('.')) return undefined;
  const base = path.resolve(path.dirname(from), name);
  for (const candidate of [base, path.join(base, 'index')]) {
    if (KINDS.some((k) => existsSync(candidate + k))) return candidate;
  }
  if (existsSync(base)) return base;
  throw new Error(`${path.relative(root, from)} imports "${name}", which is not in dist/`);
}

/** The modules reachable from the entry, with their imports (the union of the JavaScript's and the declarations'). */
function moduleGraph() {
  const graph = new Map();
  const queue = [ENTRY];
  while (queue.length) {
    const mod = queue.pop();
    if (graph.has(mod)) continue;
    const node = { cdk: false, deps: new Set() };
    graph.set(mod, node);
    for (const kind of KINDS) {
      if (!existsSync(mod + kind)) continue;
      for (const { name } of specifiers(readFileSync(mod + kind, 'utf8'))) {
        if (isCdk(name)) node.cdk = true;
        const dep = resolveModule(mod + kind, name);
        if (dep && dep.startsWith(LIB + path.sep) && !dep.startsWith(OUT + path.sep)) {
          node.deps.add(dep);
          queue.push(dep);
        }
      }
    }
  }
  return graph;
}

/** The modules that import the CDK themselves or through another module: those need a copy of their own. */
function modulesReachingCdk(graph) {
  const reaches = new Set([...graph].filter(([, n]) => n.cdk).map(([m]) => m));
  for (let grew = true; grew;) {
    grew = false;
    for (const [mod, node] of graph) {
      if (!reaches.has(mod) && [...node.deps].some((d) => reaches.has(d))) {
        reaches.add(mod);
        grew = true;
      }
    }
  }
  return reaches;
}

function relativeSpecifier(fromFile, toModule) {
  const rel = path.relative(path.dirname(fromFile), toModule).split(path.sep).join('/');
  return rel.startsWith('.') ? rel : `./${rel}`;
}

function emit() {
  rmSync(OUT, { recursive: true, force: true });
  const copied = modulesReachingCdk(moduleGraph());
  if (!copied.has(ENTRY)) throw new Error(`${ENTRY} does not reach ${FROM}: nothing to emit for ${TO}`);
  const target = (mod) => path.join(OUT, path.relative(LIB, mod));
  let cdkImports = 0;
  for (const mod of copied) {
    for (const kind of KINDS) {
      if (!existsSync(mod + kind)) continue;
      const text = readFileSync(mod + kind, 'utf8');
      const outFile = target(mod) + kind;
      let out = '';
      let at = 0;
      for (const { name, start } of specifiers(text)) {
        let replacement = name;
        if (isCdk(name)) {
          replacement = TO + name.slice(FROM.length);
          cdkImports++;
        } else {
          const dep = resolveModule(mod + kind, name);
          if (dep) replacement = relativeSpecifier(outFile, copied.has(dep) ? target(dep) : dep);
        }
        out += text.slice(at, start) + replacement;
        at = start + name.length;
      }
      out += text.slice(at);
      mkdirSync(path.dirname(outFile), { recursive: true });
      writeFileSync(outFile, out);
    }
  }
  if (cdkImports === 0) throw new Error(`no ${FROM} import was rewritten`);
  return { modules: copied.size, cdkImports };
}

module.exports = { emit, specifiers };

if (require.main === module) {
  try {
    emit();
  } catch (e) {
    console.error(`emit-cdktn: ${e.message}`);
    process.exit(1);
  }
}
