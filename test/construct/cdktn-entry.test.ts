/**
 * The build's second entry point, `agility-pat-cdktf/cdktn` (dist/lib/cdktn, emitted by scripts/emit-cdktn.js from the
 * one source), against the real cdktn 0.24.0 and cdktf 0.21.0: it synthesizes what the cdktf entry does; the emitted
 * copy differs from tsc's output only in its imports; a stack of the other CDK, null_resource under cdktn and two
 * copies of the package in one app each fail with a message that says what to do, never a TypeError. Reads dist/:
 * `npm test` builds it first (pretest).
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import * as cdktf from 'cdktf';
import * as cdktn from 'cdktn';
import { errorOf } from '../helpers/error-of';
import * as source from '../../lib';
import { cdkOf, missingCdkMessage } from '../../lib/construct/cdk-package';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { specifiers } = require('../../scripts/emit-cdktn.js') as { specifiers: (text: string) => { name: string; start: number }[] };

const ROOT = resolve(__dirname, '..', '..');
const DIST_LIB = join(ROOT, 'dist', 'lib');
const NOW = '2026-11-28T12:00:00Z';

type Entry = typeof source;
type Cdk = typeof cdktf;
/* eslint-disable @typescript-eslint/no-require-imports */
const forCdktf = require(DIST_LIB) as Entry;
const forCdktn = require(join(DIST_LIB, 'cdktn')) as Entry;
/* eslint-enable @typescript-eslint/no-require-imports */

const outdirs: string[] = [];
afterAll(() => outdirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
beforeAll(() => (process.env.AGILITY_PAT_NOW = NOW));
afterAll(() => delete process.env.AGILITY_PAT_NOW);

function newStack(cdk: Cdk | typeof cdktn, name = 'prod'): cdktf.TerraformStack {
  const outdir = mkdtempSync(join(tmpdir(), 'agility-pat-cdktn-'));
  outdirs.push(outdir);
  return new cdk.TerraformStack(new cdk.App({ outdir }), name) as cdktf.TerraformStack;
}

/** The README's two tokens in a stack of `cdk`, declared through `entry`; the synthesized cdk.tf.json. */
function synthTokens(
  entry: Entry,
  cdk: Cdk | typeof cdktn,
): { stack: cdktf.TerraformStack; json: { resource: Record<string, Record<string, unknown>> } } {
  const stack = newStack(cdk);
  entry.AgilityTokenReconciler.configure(stack, { namespace: 'test-project', api: entry.AgilityApi.url('https://mgmt.aglty.io') });
  new entry.AgilityPersonalAccessToken(stack, 'ci-deploy', {
    name: 'ci-deploy',
    rotation: { every: entry.Duration.days(30) },
    sinks: [entry.SecretSink.file('secrets/ci-deploy.token')],
  });
  new entry.AgilityPersonalAccessToken(stack, 'preview-site', { name: 'preview-site', expiresAt: '2027-10-31T00:00:00Z' });
  const app = cdk.App.of(stack) as cdktf.App;
  app.synth();
  return { stack, json: JSON.parse(readFileSync(join(app.outdir, 'stacks', 'prod', 'cdk.tf.json'), 'utf8')) };
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

/** The text with every import specifier blanked, to compare two files apart from where they import from. */
function withoutSpecifiers(text: string): string {
  let out = '';
  let at = 0;
  for (const { name, start } of specifiers(text)) {
    out += text.slice(at, start);
    at = start + name.length;
  }
  return out + text.slice(at);
}

describe('the agility-pat-cdktf/cdktn entry point', () => {
  test('synthesizes a cdktn stack into the same resources as the cdktf entry point does for a cdktf stack', () => {
    const onCdktn = synthTokens(forCdktn, cdktn);
    const onCdktf = synthTokens(forCdktf, cdktf);
    expect(Object.keys(onCdktn.json.resource.terraform_data)).toHaveLength(4);
    // Same managed names, triggers, hooks and hook asset: the state of a cdktf stack carries over to cdktn unchanged.
    expect(onCdktn.json.resource).toEqual(onCdktf.json.resource);
    const slots = onCdktn.stack.node.findAll().filter((c) => c.node.id.startsWith('slot'));
    expect(slots.map((c) => cdkOf(c))).toEqual(['cdktn', 'cdktn', 'cdktn']);
    expect(cdkOf(onCdktf.stack)).toBe('cdktf');
  });

  test("is tsc's output of the one source with only its imports changed, and imports no cdktf", () => {
    const emitted = filesUnder(join(DIST_LIB, 'cdktn'));
    expect(emitted.map((f) => relative(DIST_LIB, f))).toEqual(
      expect.arrayContaining(['cdktn/index.js', 'cdktn/index.d.ts', 'cdktn/construct/agility-token-reconciler.d.ts']),
    );
    let cdktnImports = 0;
    for (const file of emitted) {
      const original = join(DIST_LIB, relative(join(DIST_LIB, 'cdktn'), file));
      const text = readFileSync(file, 'utf8');
      expect(withoutSpecifiers(text)).toBe(withoutSpecifiers(readFileSync(original, 'utf8')));
      const names = specifiers(text).map((s) => s.name);
      expect(names.filter((n) => n === 'cdktf' || n.startsWith('cdktf/'))).toEqual([]);
      cdktnImports += names.filter((n) => n === 'cdktn' || n.startsWith('cdktn/')).length;
      for (const rel of names.filter((n) => n.startsWith('.'))) {
        const target = resolve(file, '..', rel);
        expect([target, `${target}.js`, `${target}.d.ts`].some((p) => existsSync(p))).toBe(true);
      }
    }
    expect(cdktnImports).toBeGreaterThan(5);
  });

  test('a stack of the other CDK is refused with the entry point to import instead', () => {
    const wrongWay = errorOf(() => forCdktf.AgilityTokenReconciler.configure(newStack(cdktn), { namespace: 'n' }));
    expect(wrongWay).toMatchObject({ code: 'CONFIG', details: { prop: 'stack' } });
    expect(wrongWay.message).toContain('the stack is a cdktn stack');
    expect(wrongWay.message).toContain('import from "agility-pat-cdktf/cdktn" instead');
    const otherWay = errorOf(() => new forCdktn.AgilityPersonalAccessToken(newStack(cdktf), 't', { name: 't' }));
    expect(otherWay).toMatchObject({ code: 'CONFIG' });
    expect(otherWay.message).toContain('import from "agility-pat-cdktf" instead');
  });

  test('resourceType null_resource under cdktn fails at synth, saying it is cdktf-only', () => {
    const stack = newStack(cdktn);
    const e = errorOf(() => forCdktn.AgilityTokenReconciler.configure(stack, { namespace: 'n', resourceType: 'null_resource' }));
    expect(e).toMatchObject({ code: 'CONFIG', details: { prop: 'resourceType' } });
    expect(e.message).toContain('resourceType "null_resource" is cdktf-only');
    expect(e.message).toContain('"terraform_data"');
  });
});

describe('two copies of the package in one app', () => {
  test('a token of one copy in a stack whose reconciler another copy made fails with a message, not a TypeError', () => {
    const stack = newStack(cdktf);
    source.AgilityTokenReconciler.configure(stack, { namespace: 'n' });
    const e = errorOf(() => new forCdktf.AgilityPersonalAccessToken(stack, 't', { name: 't' }));
    expect(e).toMatchObject({ code: 'CONFIG', details: { prop: 'scope' } });
    expect(e.message).toContain("prod/AgilityTokenReconciler, the stack's reconciler, was made by another copy of agility-pat-cdktf");
    expect(e.message).toContain(join(ROOT, 'lib', 'construct'));
    expect(e.message).toContain(join(DIST_LIB, 'construct'));
  });

  test("two stacks whose tokens come from two copies fail the app's validation, naming the other copy", () => {
    const a = newStack(cdktf, 'a');
    const app = cdktf.App.of(a) as cdktf.App;
    const b = new cdktf.TerraformStack(app, 'b');
    new source.AgilityPersonalAccessToken(a, 't', { name: 't' });
    new forCdktf.AgilityPersonalAccessToken(b, 't', { name: 't' });
    const e = errorOf(() => app.synth());
    expect(e.message).toContain("b/AgilityTokenReconciler, another stack's reconciler, was made by another copy of agility-pat-cdktf");
    expect(e).not.toBeInstanceOf(TypeError);
  });

  test('a construct of another package under the id AgilityTokenReconciler is reported, not used', () => {
    const stack = newStack(cdktf);
    new cdktf.TerraformOutput(stack, 'AgilityTokenReconciler', { value: 1 });
    expect(errorOf(() => new source.AgilityPersonalAccessToken(stack, 't', { name: 't' })).message).toContain(
      'is not an AgilityTokenReconciler',
    );
  });
});

describe('a missing CDK peer', () => {
  test('names the entry point of the CDK that is installed, or both ways when neither is', () => {
    expect(missingCdkMessage(['cdktn'])).toBe(
      'agility-pat-cdktf needs the peer dependency cdktf, which is not installed, but cdktn is: import from "agility-pat-cdktf/cdktn" instead (docs/cdk-terrain.md).',
    );
    expect(missingCdkMessage(['cdktf'])).toContain(
      'agility-pat-cdktf/cdktn needs the peer dependency cdktn, which is not installed, but cdktf is',
    );
    const neither = missingCdkMessage([]);
    expect(neither).toContain('neither cdktf nor cdktn (CDK Terrain) is installed');
    expect(neither).toContain('npm install cdktf@~0.21.0');
    expect(neither).toContain('npm install cdktn@^0.24.0');
  });
});
