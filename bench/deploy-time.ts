import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { redactSecrets } from '../lib/core/redact';
import { compare, type Comparison } from './comparison';
import { startBenchEmulator, type BenchEmulator } from './loopback-emulator';
import { runTimed } from './process-timing';
import { summarize } from './stats';
import { requireTerraform, terraformEnv } from './terraform';

export interface DeployTimeOptions {
  readonly runs: number;
  readonly log: (line: string) => void;
}

const ROOT = resolve(__dirname, '..', '..');
const CDKTF = join(ROOT, 'node_modules', 'cdktf-cli', 'bundle', 'bin', 'cdktf');
/** Two stacks of five: one Agility user keeps at most 10 live tokens, and a rotating token with overlap keeps two. */
const STACKS = 2;
const TOKENS_PER_STACK = 5;
const TOKENS = STACKS * TOKENS_PER_STACK;
const DAY = 86_400_000;
const PERIOD_DAYS = 30;
/** Token k's anchor is `k` steps after the first: moving the clock one step on rotates exactly one token. */
const STEP = (PERIOD_DAYS * DAY) / TOKENS;
const FIRST_ANCHOR = Date.parse('2026-01-01T00:00:00Z');
/** Half a step past a rotation, in the second period: generation 1 of every token is current. */
const START = FIRST_ANCHOR + PERIOD_DAYS * DAY + TOKENS * STEP - STEP / 2;

/** The shared top of both apps: where cdktf is, the clock, the anchors and the slot arithmetic. */
const APP_PRELUDE = `'use strict';
const cdktf = require(${JSON.stringify(join(ROOT, 'node_modules', 'cdktf'))});
const now = Date.parse(process.env.AGILITY_PAT_NOW);
const anchor = (k) => ${FIRST_ANCHOR} + k * ${STEP};
const generation = (k) => Math.floor((now - anchor(k)) / ${PERIOD_DAYS * DAY});
`;

/** Ours: two stacks of five AgilityPersonalAccessTokens rotating every 30 days, each stack its own Agility user. */
const OURS_APP = `${APP_PRELUDE}
const { AgilityApi, AgilityPersonalAccessToken, AgilityTokenReconciler, Duration, SecretSink } = require(${JSON.stringify(join(ROOT, 'dist', 'lib'))});
const app = new cdktf.App();
for (let s = 0; s < ${STACKS}; s++) {
  const stack = new cdktf.TerraformStack(app, 'tokens-' + s);
  AgilityTokenReconciler.configure(stack, { api: AgilityApi.fromEnvironment(), credentialEnv: 'BENCH_AGILITY_TOKEN_' + s });
  for (let i = 0; i < ${TOKENS_PER_STACK}; i++) {
    new AgilityPersonalAccessToken(stack, 'token-' + i, {
      name: 'bench-token-' + i,
      rotation: { every: Duration.days(${PERIOD_DAYS}), anchor: new Date(anchor(s * ${TOKENS_PER_STACK} + i)) },
      sinks: [SecretSink.file('secrets/tokens-' + s + '/token-' + i + '.txt')],
    });
  }
}
app.synth();
`;

/**
 * The bare twin: the same number of terraform_data resources (two slots per token and one reconciler per stack),
 * replaced when the same generations change, each running \`node -e 0\` at create and at destroy.
 */
const BARE_APP = `${APP_PRELUDE}
const hooks = [
  { type: 'local-exec', command: 'node -e 0' },
  { type: 'local-exec', when: 'destroy', command: 'node -e 0' },
];
// As a user writes it: cdktf's default validation, whose DataResource runs \`terraform version\` once per resource.
const app = new cdktf.App();
for (let s = 0; s < ${STACKS}; s++) {
  const stack = new cdktf.TerraformStack(app, 'plain-' + s);
  const generations = [];
  for (let i = 0; i < ${TOKENS_PER_STACK}; i++) {
    const g = generation(s * ${TOKENS_PER_STACK} + i);
    generations.push(g);
    for (const slot of [0, 1]) {
      const held = Math.abs(g % 2) === slot ? g : g - 1;
      new cdktf.DataResource(stack, 'token-' + i + '-slot' + slot, { triggersReplace: { name: 'bench-token-' + i, generation: String(held) }, provisioners: hooks });
    }
  }
  new cdktf.DataResource(stack, 'reconciler', { triggersReplace: { generations: generations.join(','), epoch: String(Math.floor(now / ${DAY})) }, provisioners: hooks });
}
app.synth();
`;

interface Project {
  readonly dir: string;
  readonly stacks: string[];
}

function project(root: string, name: string, app: string, stacks: string[]): Project {
  const dir = join(root, name);
  mkdirSync(dir);
  writeFileSync(
    join(dir, 'cdktf.json'),
    JSON.stringify({ language: 'javascript', app: 'node app.js', projectId: `bench-${name}`, sendCrashReports: 'false' }),
  );
  writeFileSync(join(dir, 'app.js'), app);
  return { dir, stacks };
}

/**
 * Measurement 4: what a user feels, `cdktf deploy` (synth, init, plan and apply, as the cdktf CLI runs them) of an
 * app with 10 rotating tokens against an HTTPS emulator, against the same app with bare terraform_data resources:
 * a deploy that changes nothing, and a deploy where exactly one token rotates (the clock moves one step).
 */
export async function measureDeployTime(opts: DeployTimeOptions): Promise<Comparison[]> {
  requireTerraform();
  const root = mkdtempSync(join(tmpdir(), 'agility-pat-bench-deploy-'));
  let bench: BenchEmulator | undefined;
  try {
    bench = await startBenchEmulator(root, { tls: true, now: new Date(START).toISOString() });
    const emulator = bench.emulator;
    const cliConfig = join(root, 'empty.tfrc');
    writeFileSync(cliConfig, '');
    const ours = project(
      root,
      'ours',
      OURS_APP,
      Array.from({ length: STACKS }, (_, s) => `tokens-${s}`),
    );
    const bare = project(
      root,
      'bare',
      BARE_APP,
      Array.from({ length: STACKS }, (_, s) => `plain-${s}`),
    );
    const credentials: NodeJS.ProcessEnv = {};
    // Access tokens live an hour of emulator time: sign in again whenever the clock moves.
    const signIn = async (): Promise<void> => {
      for (let s = 0; s < STACKS; s++) {
        credentials[`BENCH_AGILITY_TOKEN_${s}`] = (await emulator.signIn(`bench-deploy-${s}@example.com`)).access_token as string;
      }
    };
    await signIn();
    const b = bench;
    const creations = async (): Promise<number> => {
      const log = (await b.call('GET', '/__emulator/requests')).body as { method: string; path: string; status: number }[];
      return log.filter((r) => r.method === 'POST' && r.path === '/api/v1/tokens/create' && r.status === 201).length;
    };
    const deploy = async (p: Project, nowMs: number): Promise<{ ms: number; output: string }> => {
      const env = terraformEnv(cliConfig, {
        CI: '1',
        AGILITY_API_URL: emulator.url,
        AGILITY_PAT_NOW: new Date(nowMs).toISOString(),
        ...credentials,
        ...b.childEnv,
      });
      const r = await runTimed(process.execPath, [CDKTF, 'deploy', '--auto-approve', ...p.stacks], { cwd: p.dir, env });
      const output = redactSecrets(r.stdout + r.stderr, emulator.issuedSecrets());
      if (r.code !== 0) throw new Error(`cdktf deploy failed in ${p.dir} (exit ${r.code}):\n${output.split('\n').slice(-40).join('\n')}`);
      return { ms: r.ms, output };
    };
    const setClock = async (nowMs: number): Promise<void> => {
      const res = await b.call('POST', '/__emulator/clock', { json: { now: new Date(nowMs).toISOString() } });
      if (res.status !== 200) throw new Error(`setting the emulator clock failed: ${res.status}`);
    };

    // Not timed: the first deploy creates every token (5 per user, Agility's hourly allowance).
    await deploy(ours, START);
    await deploy(bare, START);
    if ((await creations()) !== TOKENS) throw new Error(`the first deploy created ${await creations()} tokens, expected ${TOKENS}`);
    opts.log('deploy: both apps deployed once (not timed)');

    const noop = { ours: [] as number[], bare: [] as number[] };
    for (let run = 0; run < opts.runs; run++) {
      const before = await creations();
      const order = run % 2 === 0 ? (['ours', 'bare'] as const) : (['bare', 'ours'] as const);
      for (const side of order) {
        const r = await deploy(side === 'ours' ? ours : bare, START);
        if (!/No changes/i.test(r.output)) throw new Error(`a no-op deploy (${side}) changed something:\n${r.output.slice(-2000)}`);
        noop[side].push(r.ms);
      }
      if ((await creations()) !== before) throw new Error('a no-op deploy created a token');
      opts.log(`deploy: no-op run ${run + 1}/${opts.runs}: ours ${noop.ours[run].toFixed(0)} ms, bare ${noop.bare[run].toFixed(0)} ms`);
    }

    const rotation = { ours: [] as number[], bare: [] as number[] };
    for (let run = 0; run < opts.runs; run++) {
      // One step on: exactly one token's generation advances (and it is days later: the hourly allowance is back).
      const now = START + (run + 1) * STEP;
      await setClock(now);
      await signIn();
      const before = await creations();
      const order = run % 2 === 0 ? (['ours', 'bare'] as const) : (['bare', 'ours'] as const);
      for (const side of order) {
        const r = await deploy(side === 'ours' ? ours : bare, now);
        if (!/[1-9]\d* added/.test(r.output)) throw new Error(`a rotation deploy (${side}) replaced nothing:\n${r.output.slice(-2000)}`);
        rotation[side].push(r.ms);
      }
      const created = (await creations()) - before;
      if (created !== 1) throw new Error(`a one-rotation deploy created ${created} tokens, expected 1`);
      opts.log(
        `deploy: rotation run ${run + 1}/${opts.runs}: ours ${rotation.ours[run].toFixed(0)} ms, bare ${rotation.bare[run].toFixed(0)} ms`,
      );
    }
    return [
      compare('deploy-noop', `cdktf deploy, no change (${TOKENS} tokens)`, 'ms', summarize(noop.ours), summarize(noop.bare), 1.0),
      compare('deploy-rotation', `cdktf deploy, 1 of ${TOKENS} rotates`, 'ms', summarize(rotation.ours), summarize(rotation.bare), null),
    ];
  } finally {
    await bench?.close();
    rmSync(root, { recursive: true, force: true });
  }
}
