/**
 * `npm run bench`: prints the figures docs/design.md ("Facts") aims for (hook cold start, synth, apply, deploy), each
 * against a baseline doing the same work the plainest way, as a table (or JSON with --json). It reports; it fails
 * only when something is broken (a program exits non-zero, a synth or an apply produces the wrong result), never
 * because a machine is slow.
 *
 *   node dist/bench/run.js [--runs N] [--only cold,synth,apply] [--json]
 */
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { measureApplyTime } from './apply-time';
import { measureColdStart } from './cold-start';
import { measureDeployTime } from './deploy-time';
import type { Comparison } from './comparison';
import { formatReport, type BenchReport } from './report';
import { measureSynthTime } from './synth-time';
import { hookProgramPath } from '../lib/construct/hook-program';

const USAGE = `Usage: node dist/bench/run.js [--runs N] [--only cold,tls,synth,apply,deploy] [--json]

  --runs N     runs per measurement (default: cold start 20, synth 5, apply 3, deploy 5)
  --only LIST  comma-separated subset of cold, tls, synth, apply, deploy (default: all)
  --json       print the report as JSON instead of a table (progress still goes to stderr)
  -h, --help   this help`;

const MEASUREMENTS = ['cold', 'tls', 'synth', 'apply', 'deploy'] as const;
type Measurement = (typeof MEASUREMENTS)[number];

const SYNTH_SIZES = [1, 100, 500];
const SYNTH_TARGET_SIZE = 500;
const APPLY_STACKS = 4;
const APPLY_TOKENS_PER_STACK = 5;

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { runs: { type: 'string' }, only: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const runs = values.runs === undefined ? undefined : Number(values.runs);
  if (runs !== undefined && (!Number.isInteger(runs) || runs < 1))
    throw new Error(`--runs must be a whole number of at least 1, got "${values.runs}".`);
  const only = values.only === undefined ? [...MEASUREMENTS] : values.only.split(',').map((s) => s.trim());
  const unknown = only.filter((m) => !(MEASUREMENTS as readonly string[]).includes(m));
  if (unknown.length > 0) throw new Error(`--only accepts ${MEASUREMENTS.join(', ')}; got "${unknown.join(', ')}".`);
  const selected = new Set(only as Measurement[]);
  const log = (line: string): void => void process.stderr.write(`[bench] ${line}\n`);
  const started = Date.now();

  const comparisons: Comparison[] = [];
  const notes: string[] = [];
  const coldStarts = [
    {
      measurement: 'cold',
      tls: false,
      note:
        'hook cold start: whole-process wall time of `node dist/agility-pat.js tokens list --json` (the bundled hook program) ' +
        'vs a node:http script doing the same GET /api/v1/tokens/list with the same bearer header, interleaved, spawned ' +
        'asynchronously against one in-process emulator (3 tokens listed); one untimed warm-up run each. The floor row is ' +
        "the same request through undici's request alone (lib/api/undici-request) bundled with the hook's esbuild settings " +
        'but without its lazy built-ins and code cache: what the pinned undici@7 costs as it bundles by itself; the hook ' +
        "speaks through node's http/https (lib/api/exchange.ts) and never loads undici, so it may start below that floor. Peak RSS " +
        'from `/usr/bin/time -f %M` in separate runs (skipped when it is missing).',
    },
    {
      measurement: 'tls',
      tls: true,
      note:
        'over TLS: the same three programs against the emulator serving HTTPS (a self-signed loopback certificate made at ' +
        'start, trusted through NODE_EXTRA_CA_CERTS), as the real API is; the baseline uses node:https. Targets: the hook ' +
        "at most 1.5x node:https (the ratio and the paired ratio), and at most 1.1x undici's floor.",
    },
  ] as const;
  for (const c of coldStarts) {
    if (!selected.has(c.measurement)) continue;
    const n = runs ?? 20;
    comparisons.push(...(await measureColdStart({ runs: n, rssRuns: Math.min(n, 5), tls: c.tls, log })));
    notes.push(c.note);
  }
  if (selected.has('synth')) {
    comparisons.push(...(await measureSynthTime({ sizes: SYNTH_SIZES, runs: runs ?? 5, targetSize: SYNTH_TARGET_SIZE, log })));
    notes.push(
      'synth: in-process construction + app.synth() of one stack of N AgilityPersonalAccessTokens (rotation every 30 days, ' +
        'one file sink, 2 slots each + the reconciler) vs 2N+1 cdktf DataResources (terraform_data) with one local-exec ' +
        'provisioner each. BOTH apps are built with `new App({ skipValidation: true })`: more than 10 live tokens for one ' +
        "credential fails the construct's app-wide validation, and the baseline's per-resource `terraform version` check " +
        '(~60 ms each) would otherwise dominate. One warm-up synth per side; temp outdirs removed.',
    );
  }
  if (selected.has('apply')) {
    comparisons.push(...(await measureApplyTime({ runs: runs ?? 3, stacks: APPLY_STACKS, tokensPerStack: APPLY_TOKENS_PER_STACK, log })));
    notes.push(
      `apply: real \`terraform apply\` from empty state, ${APPLY_STACKS} stacks x ${APPLY_TOKENS_PER_STACK} rotating tokens applied ` +
        'one after another, each stack its own Agility user/credentialEnv (Agility allows 5 creations per user per hour), ' +
        'a run = the sum of its applies; vs the same number of terraform_data resources whose create hooks run `node -e 0`. ' +
        'Each run signs in fresh emulator users and checks every token is live and every file sink written; `terraform init` is not timed.',
    );
  }

  if (selected.has('deploy')) {
    comparisons.push(...(await measureDeployTime({ runs: runs ?? 5, log })));
    notes.push(
      'deploy: what a user feels, `cdktf deploy --auto-approve` (cdktf-cli 0.21.0: synth, init, plan, apply) of an app of ' +
        '2 stacks x 5 rotating tokens (each stack its own Agility user) against the HTTPS emulator, vs the same app with the ' +
        'same terraform_data resources (2 slots per token + 1 per stack, replaced when the same generations change, each ' +
        'running `node -e 0` at create and destroy), both apps as a user writes them: `new App()` with cdktf validation, which on the bare side runs `terraform version` once per DataResource (the construct checks it once). "no change": ' +
        'a deploy with nothing to do (target <= 1.0x); "1 rotates": the clock moves so exactly one token rotates (one ' +
        'token created, checked in the request log). Not timed: the first deploy of each app.',
    );
  }

  const report: BenchReport = {
    environment: {
      node: process.version,
      cpus: availableParallelism(),
      terraform: terraformVersion(),
      // What every hook process loads and compiles: the bundled program, packed modules and code cache included.
      bundleKiB: Math.round(statSync(hookProgramPath()).size / 1024),
      started: new Date(started).toISOString(),
      seconds: Math.round((Date.now() - started) / 1000),
    },
    comparisons,
    notes: [
      ...notes,
      'ratio = ours median / baseline median; paired = the median of the per-run ratios ours[i] / baseline[i] of runs made side by ' +
        'side (cold starts); bundleKiB = the size of dist/agility-pat.js; "over target" reports a figure, it does not fail the run.',
    ],
  };
  process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatReport(report)}\n`);
  return 0;
}

function terraformVersion(): string {
  const r = spawnSync('terraform', ['version'], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, CHECKPOINT_DISABLE: '1', TF_CLI_CONFIG_FILE: '/dev/null' },
  });
  return /v\d+\.\d+\.\d+/.exec(r.stdout ?? '')?.[0] ?? 'missing';
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`bench failed: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
