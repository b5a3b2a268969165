import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataResource, LocalBackend, type App, TerraformStack } from 'cdktf';
import { AgilityApi, AgilityPersonalAccessToken, AgilityTokenReconciler, Duration, SecretSink } from '../lib';

/** A temporary project folder holding a cdktf.json, as `cdktf init` leaves one; relative sink paths resolve here. */
export function createProject(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `agility-pat-bench-${prefix}-`));
  writeFileSync(
    join(dir, 'cdktf.json'),
    `${JSON.stringify({ language: 'typescript', app: 'node main.js', projectId: 'agility-pat-bench' }, null, 2)}\n`,
  );
  return dir;
}

/** Runs `fn` with `dir` as working directory, as `cdktf synth` runs the app in the project folder. */
export function inProject<T>(dir: string, fn: () => T): T {
  const cwd = process.cwd();
  process.chdir(dir);
  try {
    return fn();
  } finally {
    process.chdir(cwd);
  }
}

export interface TokenStackOptions {
  readonly tokens: number;
  readonly apiUrl: string;
  readonly credentialEnv?: string;
  /** Local state file; cdktf's default otherwise. */
  readonly statePath?: string;
}

/**
 * A stack of `tokens` AgilityPersonalAccessTokens rotating every 30 days (two slots each) with one file sink each,
 * plus the stack's reconciler: `2 * tokens + 1` terraform_data resources.
 */
export function declareTokenStack(app: App, name: string, opts: TokenStackOptions): TerraformStack {
  const stack = new TerraformStack(app, name);
  if (opts.statePath) new LocalBackend(stack, { path: opts.statePath });
  AgilityTokenReconciler.configure(stack, { namespace: 'bench', api: AgilityApi.url(opts.apiUrl), credentialEnv: opts.credentialEnv });
  for (let i = 0; i < opts.tokens; i++) {
    new AgilityPersonalAccessToken(stack, `token-${i}`, {
      name: `bench-token-${i}`,
      rotation: { every: Duration.days(30) },
      sinks: [SecretSink.file(`secrets/${name}/token-${i}.txt`)],
    });
  }
  return stack;
}

export interface PlainStackOptions {
  readonly resources: number;
  /** What each resource's create-time local-exec provisioner runs. */
  readonly command: string;
  readonly statePath?: string;
}

/** The baseline: `resources` plain terraform_data resources (cdktf's DataResource), each with one local-exec provisioner. */
export function declarePlainStack(app: App, name: string, opts: PlainStackOptions): TerraformStack {
  const stack = new TerraformStack(app, name);
  if (opts.statePath) new LocalBackend(stack, { path: opts.statePath });
  for (let i = 0; i < opts.resources; i++) {
    new DataResource(stack, `data-${i}`, {
      triggersReplace: { name: `bench-resource-${i}`, generation: '1' },
      provisioners: [{ type: 'local-exec', command: opts.command }],
    });
  }
  return stack;
}

/** Number of resources of every type in a synthesized cdk.tf.json. */
export function countResources(cdkTfJson: { resource?: Record<string, Record<string, unknown>> }): number {
  return Object.values(cdkTfJson.resource ?? {}).reduce((n, byName) => n + Object.keys(byName).length, 0);
}
