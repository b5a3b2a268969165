import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'cdktf';
import { redactSecrets } from '../lib/core/redact';
import { startEmulator, type RunningEmulator } from '../lib/emulator';
import { compare, type Comparison } from './comparison';
import { runTimed } from './process-timing';
import { createProject, declarePlainStack, declareTokenStack, inProject } from './stacks';
import { summarize } from './stats';
import { requireTerraform, terraformEnv } from './terraform';

export interface ApplyTimeOptions {
  readonly runs: number;
  /** Stacks per side, applied one after another. */
  readonly stacks: number;
  /** Rotating tokens per stack; at most 5, Agility's creations per hour per user. */
  readonly tokensPerStack: number;
  readonly log: (line: string) => void;
}

interface StackDir {
  readonly name: string;
  readonly dir: string;
  readonly statePath: string;
  readonly credentialEnv?: string;
}

/**
 * Measurement 3: `terraform apply` of rotating tokens against the emulator, against the same number of plain
 * terraform_data resources whose create hooks run `node -e 0`. One Agility user may create only 5 tokens an hour, so
 * the tokens are spread over `stacks` stacks of `tokensPerStack`, each deployed as its own user (its own
 * credentialEnv), applied one after another; a run's figure is the sum of its applies. Every run starts from empty
 * state and signs in fresh users, so each run creates every token. `terraform init` is not timed.
 */
export async function measureApplyTime(opts: ApplyTimeOptions): Promise<Comparison[]> {
  const terraform = requireTerraform();
  const project = createProject('apply');
  const emulator = await startEmulator({ host: '127.0.0.1', port: 0 });
  try {
    const cliConfig = join(project, 'empty.tfrc');
    writeFileSync(cliConfig, '');
    const stackDir = (outdir: string, name: string): string => join(outdir, 'stacks', name);
    const statePath = (name: string): string => join(project, 'state', `${name}.tfstate`);

    const ours: StackDir[] = [];
    const base: StackDir[] = [];
    inProject(project, () => {
      const oursOut = join(project, 'cdktf.out');
      const app = new App({ outdir: oursOut });
      for (let i = 0; i < opts.stacks; i++) {
        const name = `tokens-${i}`;
        const credentialEnv = `BENCH_AGILITY_TOKEN_${i}`;
        declareTokenStack(app, name, { tokens: opts.tokensPerStack, apiUrl: emulator.url, credentialEnv, statePath: statePath(name) });
        ours.push({ name, dir: stackDir(oursOut, name), statePath: statePath(name), credentialEnv });
      }
      app.synth();
      // Validation skipped only to avoid DataResource's `terraform version` per resource; it does not change the output.
      const baseOut = join(project, 'cdktf.out.plain');
      const plain = new App({ outdir: baseOut, skipValidation: true });
      for (let i = 0; i < opts.stacks; i++) {
        const name = `plain-${i}`;
        declarePlainStack(plain, name, { resources: 2 * opts.tokensPerStack + 1, command: 'node -e 0', statePath: statePath(name) });
        base.push({ name, dir: stackDir(baseOut, name), statePath: statePath(name) });
      }
      plain.synth();
    });

    const secrets = (): string[] => emulator.issuedSecrets();
    const tf = async (s: StackDir, args: string[], extra: NodeJS.ProcessEnv = {}): Promise<number> => {
      const r = await runTimed(terraform, args, { cwd: s.dir, env: terraformEnv(cliConfig, extra) });
      if (r.code !== 0) {
        const tail = (r.stdout + r.stderr).split('\n').slice(-40).join('\n');
        throw new Error(`terraform ${args[0]} failed in ${s.dir} (exit ${r.code}):\n${redactSecrets(tail, secrets())}`);
      }
      return r.ms;
    };
    for (const s of [...ours, ...base]) await tf(s, ['init', '-input=false', '-no-color']);
    opts.log(`apply: ${ours.length + base.length} stacks synthesized and initialized`);

    const apply = ['apply', '-auto-approve', '-input=false', '-no-color'];
    const applyOurs = async (run: number): Promise<number> => {
      let total = 0;
      for (const s of ours) {
        rmSync(s.statePath, { force: true });
        // Emptied so the check after apply sees this run's deliveries, not an earlier run's.
        rmSync(join(project, 'secrets', s.name), { recursive: true, force: true });
        const email = `bench-r${run}-${s.name}@example.com`;
        const accessToken = (await emulator.signIn(email)).access_token as string;
        total += await tf(s, apply, { [s.credentialEnv as string]: accessToken });
        await expectDeployed(emulator, accessToken, project, s.name, opts.tokensPerStack);
      }
      return total;
    };
    const applyBase = async (): Promise<number> => {
      let total = 0;
      for (const s of base) {
        rmSync(s.statePath, { force: true });
        total += await tf(s, apply);
      }
      return total;
    };

    const oursMs: number[] = [];
    const baseMs: number[] = [];
    for (let run = 0; run < opts.runs; run++) {
      if (run % 2 === 0) {
        oursMs.push(await applyOurs(run));
        baseMs.push(await applyBase());
      } else {
        baseMs.push(await applyBase());
        oursMs.push(await applyOurs(run));
      }
      opts.log(`apply: run ${run + 1}/${opts.runs}: ours ${oursMs[run].toFixed(0)} ms, baseline ${baseMs[run].toFixed(0)} ms`);
    }
    const tokens = opts.stacks * opts.tokensPerStack;
    return [
      compare(
        'apply',
        `apply ${tokens} rotating tokens (${opts.stacks}x${opts.tokensPerStack}, ${opts.stacks * (2 * opts.tokensPerStack + 1)} resources)`,
        'ms',
        summarize(oursMs),
        summarize(baseMs),
        2,
      ),
    ];
  } finally {
    await emulator.close();
    rmSync(project, { recursive: true, force: true });
  }
}

/** After an apply, the user must hold one live token per declared token and every sink must hold a secret. */
async function expectDeployed(
  emulator: RunningEmulator,
  accessToken: string,
  project: string,
  stack: string,
  tokens: number,
): Promise<void> {
  const res = await fetch(`${emulator.url}/api/v1/tokens/list`, { headers: { authorization: `Bearer ${accessToken}` } });
  const body = (await res.json()) as { tokens?: { isExpired?: boolean }[] };
  const live = (body.tokens ?? []).filter((t) => !t.isExpired).length;
  if (res.status !== 200 || live !== tokens)
    throw new Error(`apply of ${stack}: the user holds ${live} live tokens after apply, expected ${tokens}`);
  for (let i = 0; i < tokens; i++) {
    const sink = join(project, 'secrets', stack, `token-${i}.txt`);
    if (!existsSync(sink) || readFileSync(sink, 'utf8').length === 0)
      throw new Error(`apply of ${stack}: the file sink ${sink} was not written`);
  }
}
