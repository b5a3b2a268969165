/**
 * Many machines, one writer (docs/design.md, "Many machines, one writer"): a harness of "machines" (a laptop, CI
 * runners) that share only the Agility account (one emulator), the destinations (a file on a shared path, and one
 * GitHub Actions secret on the GitHub stand-in, each machine with its own GitHub latency) and, in the pg suite, the
 * Terraform backend. Each machine has its own project folder, TMPDIR (so its own lock folder) and HOME, and runs the
 * bundled program as Terraform and an operator would: `hook create` of the token's slot and `hook reconcile` for a
 * deploy (a slot whose create hook failed is tainted and runs again on the next deploy), `tokens rotate`,
 * `tokens revoke` and `status`. test/e2e/many-machines.test.ts runs the scenarios.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatManagedName } from '../../lib/core/managed-name';
import type { SinkSpec } from '../../lib/core/sink-spec';
import type { RunningEmulator } from '../../lib/emulator';
import type { StatusReport } from '../../lib/ops';
import { call } from '../emulator/support';
import { runProgram, type ProgramRun } from '../lifecycle/hook-harness';
import type { GitHubStandIn } from './github-stand-in';

export const TAG = 'prod~abcdef';
export const DECLARED = 'app';
export const GENERATION = 12;
export const MANAGED = formatManagedName({ declaredName: DECLARED, stackTag: TAG, generation: GENERATION });
export const REPOSITORY = 'acme/web';
export const SECRET_NAME = 'APP_TOKEN';
const CREDENTIAL_ENV = 'AGILITY_MACHINE_OAUTH';

/** What every machine shares: the account, the destinations. */
export class SharedWorld {
  readonly root = mkdtempSync(join(tmpdir(), 'agility-pat-machines-'));
  /** The file destination every machine writes (a shared folder, e.g. NFS). */
  readonly sharedFile = join(this.root, 'shared', 'app.pat');
  private readonly machines: Machine[] = [];

  constructor(
    readonly emulator: RunningEmulator,
    readonly github: GitHubStandIn,
    readonly email = 'platform@example.com',
  ) {
    mkdirSync(join(this.root, 'shared'), { mode: 0o700 });
  }

  /** The token's sinks: the shared file, then the GitHub secret (which cannot be read back or restored). */
  sinks(): SinkSpec[] {
    return [
      { kind: 'file', path: this.sharedFile },
      { kind: 'github-actions', repository: REPOSITORY, name: SECRET_NAME, apiUrl: this.github.url },
    ];
  }

  manifest(): object {
    return {
      version: 1,
      stackTag: TAG,
      apiUrl: this.emulator.url,
      credentialEnv: CREDENTIAL_ENV,
      tokens: [
        {
          declaredName: DECLARED,
          constructPath: `prod/${DECLARED}`,
          currentGeneration: GENERATION,
          currentManagedName: MANAGED,
          expiryDate: null,
          nextRotation: null,
          live: [{ managedName: MANAGED, generation: GENERATION, role: 'ensure', expiryDate: null }],
          sinks: this.sinks(),
          verify: true,
          retireEarly: null,
          replaces: null,
        },
      ],
    };
  }

  /** A machine whose GitHub requests take `githubLatencyMs` each. */
  machine(name: string, githubLatencyMs: number): Machine {
    const m = new Machine(this, name, githubLatencyMs);
    this.machines.push(m);
    return m;
  }

  /** What each destination holds, and whether it authenticates (a consumer's check, not status's). */
  async destinations(): Promise<{ file: boolean; github: boolean }> {
    let file = false;
    try {
      file = await this.authenticates(readFileSync(this.sharedFile, 'utf8'));
    } catch {
      file = false;
    }
    const sealed = this.github.decrypt(REPOSITORY, SECRET_NAME);
    return { file, github: sealed !== undefined && (await this.authenticates(sealed)) };
  }

  async authenticates(secret: string): Promise<boolean> {
    return (await call(this.emulator, 'GET', '/api/v1/users/me', { token: secret })).status === 200;
  }

  /** Files of every machine and of the shared folder that hold an issued secret, except the destination itself. */
  leaks(): string[] {
    const secrets = this.emulator.issuedSecrets();
    const hits: string[] = [];
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir)) {
        const path = join(dir, entry);
        if (statSync(path).isDirectory()) walk(path);
        else if (path !== this.sharedFile && secrets.some((s) => readFileSync(path, 'latin1').includes(s))) hits.push(path);
      }
    };
    walk(this.root);
    return hits;
  }

  cleanup(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** One machine: its own project folder (with the synthesized stack), TMPDIR, HOME, GitHub token and Terraform state. */
export class Machine {
  readonly dir: string;
  readonly stackDir: string;
  readonly githubToken: string;
  /** This machine's Terraform state: the slot is in state once its create hook succeeded; the reconciler's last run. */
  private slotInState = false;
  private reconciled = false;
  /** Every run's output, for the leak check. */
  readonly runs: ProgramRun[] = [];

  constructor(
    private readonly world: SharedWorld,
    readonly name: string,
    githubLatencyMs: number,
  ) {
    this.dir = join(world.root, name);
    this.stackDir = join(this.dir, 'project', 'cdktf.out', 'stacks', 'prod');
    for (const d of [this.stackDir, join(this.dir, 'tmp'), join(this.dir, 'home')]) mkdirSync(d, { recursive: true, mode: 0o700 });
    writeFileSync(join(this.stackDir, 'agility-pat-manifest.json'), JSON.stringify(world.manifest(), null, 2));
    this.githubToken = `ghp_${name}_${'x'.repeat(20)}`;
    world.github.addCaller(this.githubToken, githubLatencyMs);
  }

  private async env(extra: NodeJS.ProcessEnv = {}): Promise<NodeJS.ProcessEnv> {
    const session = await this.world.emulator.signIn(this.world.email);
    return {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: join(this.dir, 'home'),
      TMPDIR: join(this.dir, 'tmp'),
      [CREDENTIAL_ENV]: session.access_token!,
      GITHUB_TOKEN: this.githubToken,
      ...extra,
    };
  }

  private async run(args: string[], extra: NodeJS.ProcessEnv = {}): Promise<ProgramRun> {
    const run = await runProgram(this.world.emulator, args, { env: await this.env(extra), cwd: this.stackDir, timeoutMs: 60_000 });
    this.runs.push(run);
    return run;
  }

  /** The create hook of the token's slot, as Terraform runs it (in the stack folder). */
  createHook(): Promise<ProgramRun> {
    return this.run(['hook', 'create'], {
      AGILITY_PAT_API_URL: this.world.emulator.url,
      AGILITY_PAT_CREDENTIAL_ENV: CREDENTIAL_ENV,
      AGILITY_PAT_MANAGED_NAME: MANAGED,
      AGILITY_PAT_DECLARED_NAME: DECLARED,
      AGILITY_PAT_GENERATION: String(GENERATION),
      AGILITY_PAT_CURRENT_GENERATION: String(GENERATION),
      AGILITY_PAT_SINKS: JSON.stringify(this.world.sinks()),
    });
  }

  /**
   * One `terraform apply` of this machine's state: the slot's create hook unless the slot is in state, then the
   * reconciler (it depends on the slot) when it has not run since the manifest was written, or at a drift check.
   * Resolves to the hook runs and whether the apply succeeded.
   */
  async deploy(options: { driftCheck?: boolean } = {}): Promise<{ ok: boolean; runs: ProgramRun[] }> {
    const runs: ProgramRun[] = [];
    if (!this.slotInState) {
      const create = await this.createHook();
      runs.push(create);
      if (create.code !== 0) return { ok: false, runs }; // tainted: not in state, runs again next time
      this.slotInState = true;
    }
    if (!this.reconciled || options.driftCheck) {
      const reconcile = await this.run(['hook', 'reconcile'], {
        AGILITY_PAT_API_URL: this.world.emulator.url,
        AGILITY_PAT_CREDENTIAL_ENV: CREDENTIAL_ENV,
        AGILITY_PAT_MANIFEST: 'agility-pat-manifest.json',
      });
      runs.push(reconcile);
      if (reconcile.code !== 0) return { ok: false, runs };
      this.reconciled = true;
    }
    return { ok: true, runs };
  }

  /** `agility-pat tokens rotate app --stack <stack folder> --yes`. */
  rotate(): Promise<ProgramRun> {
    return this.run(['tokens', 'rotate', DECLARED, '--stack', this.stackDir, '--yes']);
  }

  /** `agility-pat tokens revoke <ref> --stack-tag <tag> --yes`, against the shared account. */
  revoke(ref: string): Promise<ProgramRun> {
    return this.run([
      'tokens',
      'revoke',
      ref,
      '--stack-tag',
      TAG,
      '--yes',
      '--api-url',
      this.world.emulator.url,
      '--credential-env',
      CREDENTIAL_ENV,
    ]);
  }

  /** `agility-pat status --stack <stack folder> --json`. */
  async status(): Promise<{ code: number | null; report: StatusReport }> {
    const run = await this.run(['status', '--stack', this.stackDir, '--json']);
    if (run.code !== 0 && run.code !== 20) throw new Error(`status exited ${run.code}: ${run.stderr}`);
    return { code: run.code, report: JSON.parse(run.stdout) as StatusReport };
  }
}
