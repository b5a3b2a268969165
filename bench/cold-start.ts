import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBenchEmulator } from './loopback-emulator';
import { hookProgramPath } from '../lib/construct/hook-program';
import { compare, medianPairedRatio, type Comparison } from './comparison';
import { canMeasurePeakRss, peakRssMiB, runTimed, type ProcessResult } from './process-timing';
import { summarize } from './stats';

/**
 * The baseline: the same GET /api/v1/tokens/list with the same bearer header, written with node:http (node:https
 * for an https URL) and nothing else, printing the tokens and exiting explicitly once done (as the hook program does).
 */
const BASELINE_SCRIPT = `'use strict';
const url = new URL('/api/v1/tokens/list', process.env.AGILITY_API_URL);
const http = url.protocol === 'https:' ? require('node:https') : require('node:http');
http
  .get(url, { headers: { authorization: 'Bearer ' + process.env.AGILITY_ACCESS_TOKEN, accept: 'application/json' } }, (res) => {
    let body = '';
    res.setEncoding('utf8');
    res.on('data', (d) => (body += d));
    res.on('end', () => {
      if (res.statusCode !== 200) {
        process.stderr.write('GET /api/v1/tokens/list answered ' + res.statusCode + '\\n');
        process.exit(1);
      }
      process.stdout.write(JSON.stringify(JSON.parse(body).tokens, null, 2) + '\\n', () => process.exit(0));
    });
  })
  .on('error', (e) => {
    process.stderr.write(e.message + '\\n');
    process.exit(1);
  });
`;

/**
 * The floor undici sets: the same request through `lib/api/undici-request` (the hook's own HTTP layer) and nothing
 * else, bundled with the hook's esbuild settings but not its lazy built-ins nor its code cache (scripts/bundle.js): undici
 * as it bundles by itself. Ours minus this is what the project's code adds, less what the bundle saves.
 */
const UNDICI_FLOOR_SOURCE = `import { request } from ${JSON.stringify(join(__dirname, '..', '..', 'lib', 'api', 'undici-request'))};
const url = new URL('/api/v1/tokens/list', process.env.AGILITY_API_URL);
request(url.href, { method: 'GET', headers: { authorization: 'Bearer ' + process.env.AGILITY_ACCESS_TOKEN, accept: 'application/json' } })
  .then(async (res) => {
    const body = await res.body.text();
    if (res.statusCode !== 200) throw new Error('GET /api/v1/tokens/list answered ' + res.statusCode);
    process.stdout.write(JSON.stringify(JSON.parse(body).tokens, null, 2) + '\\n', () => process.exit(0));
  })
  .catch((e) => {
    process.stderr.write(e.message + '\\n');
    process.exit(1);
  });
`;

export interface ColdStartOptions {
  /** Timed runs of each program. */
  readonly runs: number;
  /** Extra runs measuring peak RSS under /usr/bin/time; 0 skips them. */
  readonly rssRuns: number;
  /** Against an HTTPS emulator (a loopback certificate trusted through NODE_EXTRA_CA_CERTS), as the real API is. */
  readonly tls: boolean;
  readonly log: (line: string) => void;
}

/** Tokens the signed-in user owns, so the listed response is not empty. */
const SEEDED_TOKENS = 3;

/**
 * Measurement 1: whole-process wall time of the bundled hook program's `tokens list --json` against a minimal
 * node:http(s) script doing the same request and against undici's floor, interleaved, all against one in-process
 * emulator (plain HTTP, or HTTPS with `tls`).
 */
export async function measureColdStart(opts: ColdStartOptions): Promise<Comparison[]> {
  const dir = mkdtempSync(join(tmpdir(), 'agility-pat-bench-cold-'));
  const bench = await startBenchEmulator(dir, { tls: opts.tls });
  const emulator = bench.emulator;
  try {
    const accessToken = (await emulator.signIn()).access_token as string;
    for (let i = 0; i < SEEDED_TOKENS; i++) {
      const res = await bench.call('POST', '/api/v1/tokens/create', { bearer: accessToken, json: { name: `bench-seed-${i}` } });
      if (res.status !== 201) throw new Error(`seeding the emulator failed: POST /api/v1/tokens/create answered ${res.status}`);
    }
    const baselineFile = join(dir, 'baseline-list.js');
    writeFileSync(baselineFile, BASELINE_SCRIPT);
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      AGILITY_API_URL: emulator.url,
      AGILITY_ACCESS_TOKEN: accessToken,
      ...bench.childEnv,
    };
    const floorFile = join(dir, 'undici-floor.js');
    await bundleLikeTheHook(UNDICI_FLOOR_SOURCE, dir, floorFile);
    const ours = { args: [hookProgramPath(), 'tokens', 'list', '--json'] };
    const base = { args: [baselineFile] };
    const floor = { args: [floorFile] };

    const check = (what: string, r: ProcessResult): ProcessResult => {
      // Both print the token list as JSON; anything else means the program is broken, not slow.
      const broken =
        r.code !== 0 ? `exited with ${r.code}` : countListed(r.stdout) !== SEEDED_TOKENS ? 'did not print the seeded tokens as JSON' : '';
      if (broken) throw new Error(`cold start: ${what} ${broken}: ${r.stderr.slice(-500)}`);
      return r;
    };
    // One untimed run each first: file-system cache and the emulator's first-request costs are not start-up time.
    check('the hook program', await runTimed(process.execPath, ours.args, { env }));
    check('the node:http baseline', await runTimed(process.execPath, base.args, { env }));
    check('the undici floor', await runTimed(process.execPath, floor.args, { env }));

    const sides = [
      { what: 'the hook program', args: ours.args, ms: [] as number[] },
      { what: 'the node:http baseline', args: base.args, ms: [] as number[] },
      { what: 'the undici floor', args: floor.args, ms: [] as number[] },
    ];
    for (let i = 0; i < opts.runs; i++) {
      // Rotating which goes first keeps slow drift (thermal, other load) from favouring one side.
      for (let k = 0; k < sides.length; k++) {
        const side = sides[(i + k) % sides.length];
        side.ms.push(check(side.what, await runTimed(process.execPath, side.args, { env })).ms);
      }
    }
    const scheme = opts.tls ? 'https' : 'http';
    opts.log(`cold start over ${scheme}: ${opts.runs} runs each done`);
    const [oursMs, baseMs, floorMs] = sides.map((s) => summarize(s.ms));
    // Run i of each side ran one after another in the same round: their ratios pair them.
    const paired = (a: number, b: number): number => medianPairedRatio(sides[a]!.ms, sides[b]!.ms);
    const id = opts.tls ? 'tls-cold-start' : 'cold-start';
    const over = opts.tls ? ' over TLS' : '';
    const result = opts.tls
      ? [
          compare(`${id}`, `hook cold start${over} vs node:https`, 'ms', oursMs, baseMs, 1.5, paired(0, 1)),
          compare(`${id}-vs-undici`, `hook cold start${over} vs undici floor`, 'ms', oursMs, floorMs, 1.1, paired(0, 2)),
          compare(`${id}-undici`, `undici floor${over} vs node:https`, 'ms', floorMs, baseMs, null, paired(2, 1)),
        ]
      : [
          compare(id, 'hook cold start: tokens list', 'ms', oursMs, baseMs, 1.5, paired(0, 1)),
          compare(`${id}-undici`, 'undici request alone (floor)', 'ms', floorMs, baseMs, null, paired(2, 1)),
        ];
    if (opts.rssRuns > 0 && canMeasurePeakRss()) {
      const oursRss = await peakRssMiB(process.execPath, ours.args, { env }, opts.rssRuns);
      const baseRss = await peakRssMiB(process.execPath, base.args, { env }, opts.rssRuns);
      result.push(compare(`${id}-rss`, `hook cold start${over}: peak RSS`, 'MiB', oursRss, baseRss, null));
    }
    return result;
  } finally {
    await bench.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Bundles `source` with the hook program's own esbuild settings (scripts/bundle.js). */
async function bundleLikeTheHook(source: string, dir: string, outfile: string): Promise<void> {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const esbuild = require('esbuild') as typeof import('esbuild');
  const { HOOK_BUNDLE_OPTIONS } = require(join(__dirname, '..', '..', 'scripts', 'bundle.js')) as {
    HOOK_BUNDLE_OPTIONS: import('esbuild').BuildOptions;
  };
  /* eslint-enable @typescript-eslint/no-require-imports */
  const entry = join(dir, 'undici-floor.ts');
  writeFileSync(entry, source);
  await esbuild.build({ ...HOOK_BUNDLE_OPTIONS, entryPoints: [entry], outfile });
}

/** How many tokens a program printed as a JSON array; -1 when its output is not one. */
function countListed(stdout: string): number {
  try {
    const parsed: unknown = JSON.parse(stdout);
    return Array.isArray(parsed) ? parsed.length : -1;
  } catch {
    return -1;
  }
}
