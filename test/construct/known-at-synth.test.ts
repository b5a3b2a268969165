/**
 * Values Terraform resolves only at apply (TerraformVariable, resource attributes) cannot name a token, date it or
 * say where its secret goes: they would be synthesized as placeholders. The construct refuses them, naming itself and
 * the prop; and the stack's Terraform version check depends on the resource type carrying the hooks.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { App, Fn, TerraformStack, TerraformVariable, Testing } from 'cdktf';
import {
  AgilityApi,
  AgilityPersonalAccessToken,
  AgilityTokenReconciler,
  Duration,
  SecretSink,
  type AgilityPersonalAccessTokenProps,
} from '../../lib';
import { hasErrorCode } from '../../lib/core/errors';
import { errorOf } from '../helpers/error-of';

const NOW = '2026-11-28T12:00:00Z';
const tmp: string[] = [];
afterAll(() => tmp.forEach((d) => rmSync(d, { recursive: true, force: true })));

function app(): App {
  const a = Testing.app();
  tmp.push(a.outdir);
  return a;
}

/** A stack with a reconciler and one string variable, the kind of value a newcomer passes. */
function stackWithVariable() {
  const stack = new TerraformStack(app(), 'prod');
  AgilityTokenReconciler.configure(stack, { namespace: 'p', api: AgilityApi.url('https://mgmt.aglty.io') });
  const v = new TerraformVariable(stack, 'n', { type: 'string' });
  return { stack, str: v.stringValue };
}

/** Runs `fn` with the synth instant at NOW (the reconciler reads it once, when it is made). */
function withNow<T>(fn: () => T): T {
  const before = process.env.AGILITY_PAT_NOW;
  process.env.AGILITY_PAT_NOW = NOW;
  try {
    return fn();
  } finally {
    if (before === undefined) delete process.env.AGILITY_PAT_NOW;
    else process.env.AGILITY_PAT_NOW = before;
  }
}

function declare(props: (str: string) => Partial<AgilityPersonalAccessTokenProps>) {
  return withNow(() => {
    const { stack, str } = stackWithVariable();
    return new AgilityPersonalAccessToken(stack, 'tok', { name: 'ci', sinks: [SecretSink.file('secrets/ci.token')], ...props(str) });
  });
}

describe('unresolved tokens are refused at construction', () => {
  const cases: [string, (s: string) => Partial<AgilityPersonalAccessTokenProps>][] = [
    ['name', (s) => ({ name: s })],
    ['expiresAt', (s) => ({ expiresAt: s })],
    ['rotation.anchor', (s) => ({ rotation: { every: Duration.days(30), anchor: s } })],
    ['replaces', (s) => ({ replaces: s })],
    ['replaces.token', (s) => ({ replaces: { token: s, overlap: false } })],
    ['sinks[0].path', (s) => ({ sinks: [SecretSink.file(s)] })],
    ['sinks[1].path', (s) => ({ sinks: [SecretSink.file('a.token'), SecretSink.envFile(s, 'KEY')] })],
    ['sinks[0].key', (s) => ({ sinks: [SecretSink.envFile('.env', s)] })],
    ['sinks[0].argv[2]', (s) => ({ sinks: [SecretSink.command(['gh', 'secret', s])] })],
    ['sinks[0].name', (s) => ({ sinks: [SecretSink.githubActions({ repository: 'acme/site', name: s })] })],
    ['sinks[0].repository', (s) => ({ sinks: [SecretSink.githubActions({ repository: s, name: 'AGILITY_TOKEN' })] })],
    ['sinks[0].environment', (s) => ({ sinks: [SecretSink.githubActions({ repository: 'a/b', environment: s, name: 'T' })] })],
    ['sinks[0].organization', (s) => ({ sinks: [SecretSink.githubActions({ organization: s, name: 'T' })] })],
    ['sinks[0].tokenEnv', (s) => ({ sinks: [SecretSink.githubActions({ repository: 'a/b', name: 'T', tokenEnv: s })] })],
    ['sinks[0].apiUrl', (s) => ({ sinks: [SecretSink.githubActions({ repository: 'a/b', name: 'T', apiUrl: s })] })],
    ['sinks[0].address', (s) => ({ sinks: [SecretSink.vault({ address: s, path: 'ci/agility' })] })],
    ['sinks[0].path', (s) => ({ sinks: [SecretSink.vault({ address: 'https://vault.example.com', path: s })] })],
    ['sinks[0].mount', (s) => ({ sinks: [SecretSink.vault({ address: 'https://vault.example.com', path: 'p', mount: s })] })],
    ['sinks[0].field', (s) => ({ sinks: [SecretSink.vault({ address: 'https://vault.example.com', path: 'p', field: s })] })],
    ['sinks[0].namespace', (s) => ({ sinks: [SecretSink.vault({ address: 'https://vault.example.com', path: 'p', namespace: s })] })],
  ];

  test.each(cases)('%s', (prop, props) => {
    const e = errorOf(() => declare(props));
    expect(hasErrorCode(e, 'INVALID_INPUT')).toBe(true);
    const escaped = prop.replace(/[.[\]]/g, '\\$&');
    expect(e.message).toMatch(
      new RegExp(
        `^prod/tok: ${escaped} must be known at synth, but it is a token Terraform resolves only at apply \\(\\$\\{TfToken\\[TOKEN\\.\\d+\\]\\}\\)`,
      ),
    );
    expect(hasErrorCode(e, 'INVALID_INPUT') && e.details).toMatchObject({ prop, constructPath: 'prod/tok' });
  });

  test('a token inside a string (interpolation, Fn results) is refused too; plain values and Dates pass', () => {
    expect(errorOf(() => declare((s) => ({ name: `ci-${s}` }))).message).toMatch(/name must be known at synth/);
    expect(errorOf(() => declare(() => ({ name: Fn.lower('CI') }))).message).toMatch(/name must be known at synth/);
    const ok = declare(() => ({ name: 'ci', rotation: { every: Duration.days(30), anchor: new Date('2026-01-01T00:00:00Z') } }));
    expect(ok.currentManagedName).toMatch(/^ci \[cdktf:prod~[0-9a-f]{6}\/g\d+\]$/);
  });

  test("the reconciler's namespace is refused too", () => {
    const stack = new TerraformStack(app(), 'prod');
    const v = new TerraformVariable(stack, 'ns', { type: 'string' });
    expect(() => AgilityTokenReconciler.configure(stack, { namespace: v.stringValue })).toThrow(
      /^prod\/AgilityTokenReconciler: namespace must be known at synth/,
    );
  });
});

describe("the Terraform version check follows the stack's resourceType", () => {
  /** App-wide validation errors with a stand-in `terraform` on PATH that says `version`, in a fresh module registry. */
  function validationErrors(version: string, resourceType: 'terraform_data' | 'null_resource'): string[] {
    const bin = mkdtempSync(join(tmpdir(), 'agility-pat-fake-terraform-'));
    tmp.push(bin);
    writeFileSync(join(bin, 'terraform'), `#!/bin/sh\necho "Terraform ${version}"\necho "on linux_amd64"\n`);
    chmodSync(join(bin, 'terraform'), 0o755);
    const path = process.env.PATH;
    process.env.PATH = `${bin}${delimiter}${path ?? ''}`;
    try {
      let errors: string[] = [];
      // A fresh copy of the library and cdktf: the version is read once per process (module), so each case needs its own.
      jest.isolateModules(() => {
        /* eslint-disable @typescript-eslint/no-require-imports */
        const cdktf = require('cdktf') as typeof import('cdktf');
        const lib = require('../../lib') as typeof import('../../lib');
        /* eslint-enable @typescript-eslint/no-require-imports */
        const a = cdktf.Testing.app();
        tmp.push(a.outdir);
        const stack = new cdktf.TerraformStack(a, 'prod');
        lib.AgilityTokenReconciler.configure(stack, { namespace: 'p', resourceType, api: lib.AgilityApi.url('https://mgmt.aglty.io') });
        new lib.AgilityPersonalAccessToken(stack, 't', { name: 't', expiresAt: '2027-01-01T00:00:00Z', sinks: [] });
        errors = a.node.findAll().flatMap((c) => c.node.validate());
      });
      return errors.filter((e) => /Terraform/.test(e));
    } finally {
      process.env.PATH = path;
    }
  }

  test('0.x is refused for terraform_data and for null_resource', () => {
    expect(validationErrors('v0.15.5', 'terraform_data')).toEqual([
      expect.stringMatching(/Terraform 1\.4 or later is needed for resourceType "terraform_data"/),
    ]);
    expect(validationErrors('v0.15.5', 'null_resource')).toEqual([
      expect.stringMatching(/Terraform 1\.0 or later is needed for resourceType "null_resource"/),
    ]);
  });

  test('1.2 is refused for terraform_data (built in since 1.4) and accepted for null_resource', () => {
    expect(validationErrors('v1.2.0', 'terraform_data')).toHaveLength(1);
    expect(validationErrors('v1.2.0', 'null_resource')).toEqual([]);
  });
});

describe("Agility's 10 live tokens are counted per API URL and credential variable together", () => {
  function errorsOf(stacks: { api: string; credentialEnv?: string }[]): string[] {
    const a = app();
    withNow(() =>
      stacks.forEach(({ api, credentialEnv }, i) => {
        const stack = new TerraformStack(a, `s${i}`);
        AgilityTokenReconciler.configure(stack, { namespace: 'p', api: AgilityApi.url(api), credentialEnv });
        for (let t = 0; t < 3; t++)
          new AgilityPersonalAccessToken(stack, `t${t}`, { name: `t${t}`, rotation: { every: Duration.days(30) }, sinks: [] });
      }),
    );
    return a.node
      .findAll()
      .flatMap((c) => c.node.validate())
      .filter((e) => /live tokens/.test(e));
  }

  test('two stacks of one variable against two APIs (two users) pass; against one API they hold 12 and fail', () => {
    expect(errorsOf([{ api: 'https://mgmt.aglty.io' }, { api: 'http://127.0.0.1:7311' }])).toEqual([]);
    expect(errorsOf([{ api: 'https://mgmt.aglty.io' }, { api: 'https://mgmt.aglty.io' }])).toEqual([
      expect.stringMatching(/^the credential in AGILITY_ACCESS_TOKEN for https:\/\/mgmt\.aglty\.io would hold 12 live tokens/),
    ]);
    expect(errorsOf([{ api: 'https://mgmt.aglty.io' }, { api: 'https://mgmt.aglty.io', credentialEnv: 'AGILITY_BOT_TOKEN' }])).toEqual([]);
  });
});
