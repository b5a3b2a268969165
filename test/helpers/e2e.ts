/**
 * End-to-end harness: synthesizes stacks in-process, runs the real Terraform binary on them (asynchronously, so the
 * in-process emulator keeps answering), reads the emulator's request log, and scans everything a deploy produced for
 * every secret the emulator issued.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { App, LocalBackend, TerraformStack } from 'cdktf';
import { startEmulator, type RequestLogEntry, type RunningEmulator } from '../../lib/emulator';
import { AgilityApi, AgilityTokenReconciler, MANIFEST_FILE, SYNTH_NOW_CONTEXT } from '../../lib';
import { TestEmulator } from '../../lib/testing';
import { terraformEnv as minimalTerraformEnv } from '../../bench/terraform';
import { STATUS_NEEDS_ACTION_EXIT_CODE, type StatusReport } from '../../lib/ops';
import { BUNDLE } from '../lifecycle/hook-harness';

/** Instants of a 30-day rotation anchored at ANCHOR: generation g starts at ANCHOR + g·30 days. */
export const ANCHOR = '2026-01-01T00:00:00Z';
export const G11 = '2026-11-28T00:00:00Z';
export const G11_NEXT_DAY = '2026-11-29T00:00:00Z';
export const G12 = '2026-12-28T00:00:00Z';
export const G13 = '2027-01-27T00:00:00Z';
export const G16 = '2027-04-27T00:00:00Z';

/** The Terraform binary; the end-to-end tests fail (never skip) without it. */
export function requireTerraform(): string {
  const probe = spawnSync('terraform', ['version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new Error(
      'Terraform was not found on PATH: the end-to-end tests need Terraform 1.11.4 (install it at /usr/local/bin/terraform). ' +
        `(${probe.error?.message ?? probe.stderr})`,
    );
  }
  return 'terraform';
}

export interface RunResult {
  code: number;
  output: string;
}

/** Runs a program asynchronously and collects stdout and stderr together. */
export function run(cmd: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 300_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, output });
    });
  });
}

/**
 * A minimal environment for Terraform and cdktf: no network chatter, the empty CLI configuration test/setup-env.ts
 * sets, no inherited secrets; the benchmark's, so both run Terraform the same way.
 */
export function terraformEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return minimalTerraformEnv(process.env.TF_CLI_CONFIG_FILE, extra);
}

/** A TCP port free on 127.0.0.1 now. */
export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => res(port));
    });
    srv.on('error', rej);
  });
}

/** The emulator's admin API: the testing kit's, plus the live tokens of a signed-in session by name. */
export class EmulatorAdmin {
  private readonly kit: TestEmulator;

  constructor(readonly emulator: RunningEmulator) {
    this.kit = new TestEmulator(emulator);
  }

  async setClock(now: string): Promise<void> {
    await this.kit.setNow(now);
  }

  requests(): Promise<RequestLogEntry[]> {
    return this.kit.requests();
  }

  clearRequests(): Promise<void> {
    return this.kit.clearRequests();
  }

  /** Token-route calls as `METHOD route`, ids replaced by `{id}`. */
  tokenCalls(): Promise<string[]> {
    return this.kit.tokenCalls();
  }

  /** Live tokens of a user: name → token. */
  async liveTokens(accessToken: string): Promise<Map<string, { tokenID: string; expiryDate: string; isExpired: boolean }>> {
    const res = await fetch(`${this.emulator.url}/api/v1/tokens/list`, { headers: { authorization: `Bearer ${accessToken}` } });
    const body = (await res.json()) as { tokens: { name: string; tokenID: string; expiryDate: string; isExpired: boolean }[] };
    return new Map(body.tokens.filter((t) => !t.isExpired).map((t) => [t.name, t]));
  }

  /** True when the secret authenticates `GET /api/v1/users/me`. */
  authenticates(secret: string): Promise<boolean> {
    return this.kit.authenticates(secret);
  }
}

/** What {@link useDeployEmulator} gives a test file. */
export interface DeployEmulator {
  /** The running emulator (set in beforeAll). */
  readonly emulator: RunningEmulator;
  readonly admin: EmulatorAdmin;
  /** A new deployment of this file, removed after all its tests. */
  deployment(stackName: string, email?: string, namespace?: string): Deployment;
}

/**
 * One emulator per test file, frozen at `now` and bound to 127.0.0.1 on a free port, with its admin API and the
 * deployments the file makes; all stopped and removed after the file's tests. Fails (never skips) without Terraform.
 */
export function useDeployEmulator(now: string): DeployEmulator {
  let emulator: RunningEmulator | undefined;
  let admin: EmulatorAdmin | undefined;
  const deployments: Deployment[] = [];
  beforeAll(async () => {
    requireTerraform();
    emulator = await startEmulator({ host: '127.0.0.1', port: 0, now });
    admin = new EmulatorAdmin(emulator);
  });
  afterAll(async () => {
    deployments.forEach((d) => d.cleanup());
    await emulator?.close();
  });
  return {
    get emulator() {
      return emulator!;
    },
    get admin() {
      return admin!;
    },
    deployment(stackName, email = `${stackName}@example.com`, namespace = 'e2e-project') {
      const d = new Deployment(admin!, stackName, namespace, 'AGILITY_ACCESS_TOKEN', email);
      deployments.push(d);
      return d;
    },
  };
}

export type Declare = (stack: TerraformStack) => void;

/**
 * One stack deployed from a temporary project folder (cdktf.json, state, sinks), with its own Terraform working
 * directory. Everything it writes stays under `dir`, removed by `cleanup()`.
 */
export class Deployment {
  readonly dir: string;
  readonly outdir: string;
  /** Everything Terraform printed across every run. */
  output = '';
  private initialized = false;

  constructor(
    readonly admin: EmulatorAdmin,
    readonly stackName = 'e2e',
    readonly namespace = 'e2e-project',
    readonly credentialEnv = 'AGILITY_ACCESS_TOKEN',
    /** The Agility user this deployment signs in as; each user has its own limits. */
    readonly email = `${stackName}@example.com`,
  ) {
    requireTerraform();
    this.dir = mkdtempSync(join(tmpdir(), 'agility-pat-e2e-'));
    this.outdir = join(this.dir, 'cdktf.out');
  }

  get stackDir(): string {
    return join(this.outdir, 'stacks', this.stackName);
  }

  /** Synthesizes the stack as of `now`, with the project folder as working directory (relative sink paths). */
  synth(now: string, declare: Declare, settings: Parameters<typeof AgilityTokenReconciler.configure>[1] = {}): void {
    const cwd = process.cwd();
    process.chdir(this.dir);
    try {
      // The synth instant through cdktf's context: no process.env to set and restore.
      const app = new App({ outdir: this.outdir, context: { [SYNTH_NOW_CONTEXT]: now } });
      const stack = new TerraformStack(app, this.stackName);
      new LocalBackend(stack, { path: join(this.dir, 'terraform.tfstate') });
      AgilityTokenReconciler.configure(stack, {
        namespace: this.namespace,
        api: AgilityApi.url(this.admin.emulator.url),
        credentialEnv: this.credentialEnv,
        ...settings,
      });
      declare(stack);
      app.synth();
    } finally {
      process.chdir(cwd);
    }
  }

  /** The stack tag synth put in the manifest: the marker part of every managed name of this deployment. */
  stackTag(): string {
    return (JSON.parse(readFileSync(join(this.stackDir, MANIFEST_FILE), 'utf8')) as { stackTag: string }).stackTag;
  }

  /** A fresh OAuth access token (they expire after an hour of emulator time). */
  async signIn(): Promise<string> {
    return (await this.admin.emulator.signIn(this.email)).access_token as string;
  }

  env(now: string, accessToken: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    return terraformEnv({ AGILITY_PAT_NOW: now, [this.credentialEnv]: accessToken, ...extra });
  }

  /** `terraform apply` (or destroy) in the stack folder, as of `now` on both sides. */
  async terraform(verb: 'apply' | 'destroy', now: string, extra: NodeJS.ProcessEnv = {}): Promise<RunResult> {
    await this.admin.setClock(now);
    const env = this.env(now, await this.signIn(), extra);
    if (!this.initialized) {
      const init = await run('terraform', ['init', '-input=false', '-no-color'], { cwd: this.stackDir, env });
      this.output += init.output;
      if (init.code !== 0) throw new Error(`terraform init failed:\n${init.output}`);
      this.initialized = true;
    }
    const args =
      verb === 'apply'
        ? ['apply', '-auto-approve', '-input=false', '-no-color']
        : ['destroy', '-auto-approve', '-input=false', '-no-color'];
    const result = await run('terraform', args, { cwd: this.stackDir, env });
    this.output += result.output;
    return result;
  }

  /**
   * Runs the bundled `agility-pat` program (`status`, `tokens …`) in the project folder as of `now`, signed in like the
   * hooks (the credential in its variable, never in argv). Its output joins `output`, so the secret scan covers it.
   */
  async cli(args: string[], now: string): Promise<RunResult> {
    await this.admin.setClock(now);
    const result = await run(process.execPath, [BUNDLE, ...args], { cwd: this.dir, env: this.env(now, await this.signIn()) });
    this.output += result.output;
    return result;
  }

  /** `agility-pat status --json` of this stack as of `now`: the exit code and the parsed report. */
  async status(now: string): Promise<{ code: number; report: StatusReport }> {
    const result = await this.cli(['status', '--stack', this.stackDir, '--json'], now);
    if (result.code !== 0 && result.code !== STATUS_NEEDS_ACTION_EXIT_CODE) throw new Error(`status failed:\n${result.output}`);
    return { code: result.code, report: JSON.parse(result.output) as StatusReport };
  }

  /** Every place a secret must never be: files under the project folder except `allowed`, and all output. */
  findSecrets(secrets: readonly string[], allowed: readonly string[] = []): string[] {
    const hits: string[] = [];
    const allowedSet = new Set(allowed.map((p) => join(this.dir, p)));
    for (const file of walk(this.dir)) {
      if (allowedSet.has(file) || file.includes(`${join('.terraform', 'providers')}`)) continue;
      const text = readFileSync(file, 'latin1');
      for (const s of secrets) if (text.includes(s)) hits.push(`${relative(this.dir, file)} contains an issued secret`);
    }
    for (const s of secrets) if (this.output.includes(s)) hits.push('terraform output contains an issued secret');
    return hits;
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Every file under `dir`, folders named in `skip` left out. */
export function* walk(dir: string, skip: ReadonlySet<string> = new Set()): Generator<string> {
  for (const entry of readdirSync(dir)) {
    const full = join(dir, entry);
    const st = statSync(full, { throwIfNoEntry: false });
    if (!st || skip.has(entry)) continue;
    if (st.isDirectory()) yield* walk(full, skip);
    else if (st.isFile()) yield full;
  }
}
