import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'cdktf';
import { compare, type Comparison } from './comparison';
import { countResources, createProject, declarePlainStack, declareTokenStack, inProject } from './stacks';
import { summarize } from './stats';

export interface SynthTimeOptions {
  /** Token counts to measure; each gets its own row. */
  readonly sizes: readonly number[];
  readonly runs: number;
  /** The size whose ratio has a target (docs/design.md, "Facts": ≤ 1.5 at 500). */
  readonly targetSize: number;
  readonly log: (line: string) => void;
}

const STACK = 'bench';

/**
 * Measurement 2: in-process time to construct and synthesize a stack of N rotating tokens against one of the same
 * number of plain terraform_data resources. Both apps skip cdktf validations: more than 10 live tokens for one
 * credential fails the construct's app check, and DataResource's per-resource `terraform version` check would
 * dominate the baseline.
 */
export async function measureSynthTime(opts: SynthTimeOptions): Promise<Comparison[]> {
  const project = createProject('synth');
  try {
    const sizeKiB = { ours: new Map<number, number>(), base: new Map<number, number>() };
    const synthOnce = (side: 'ours' | 'base', tokens: number, run: number): number => {
      const outdir = join(project, `cdktf.out-${side}-${tokens}-${run}`);
      const start = process.hrtime.bigint();
      inProject(project, () => {
        const app = new App({ outdir, skipValidation: true });
        if (side === 'ours') declareTokenStack(app, STACK, { tokens, apiUrl: 'http://127.0.0.1:1' });
        else declarePlainStack(app, STACK, { resources: 2 * tokens + 1, command: 'node -e 0' });
        app.synth();
      });
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      const text = readFileSync(join(outdir, 'stacks', STACK, 'cdk.tf.json'), 'utf8');
      sizeKiB[side].set(tokens, Buffer.byteLength(text) / 1024);
      const synthesized = JSON.parse(text);
      const count = countResources(synthesized);
      rmSync(outdir, { recursive: true, force: true });
      if (count !== 2 * tokens + 1)
        throw new Error(`synth (${side}, ${tokens} tokens) produced ${count} resources, expected ${2 * tokens + 1}`);
      return ms;
    };
    // Warm-up: module loading and the JIT's first compilations are not synth time of either side.
    synthOnce('ours', 10, -1);
    synthOnce('base', 10, -1);

    const comparisons: Comparison[] = [];
    for (const tokens of opts.sizes) {
      const oursMs: number[] = [];
      const baseMs: number[] = [];
      for (let i = 0; i < opts.runs; i++) {
        if (i % 2 === 0) {
          oursMs.push(synthOnce('ours', tokens, i));
          baseMs.push(synthOnce('base', tokens, i));
        } else {
          baseMs.push(synthOnce('base', tokens, i));
          oursMs.push(synthOnce('ours', tokens, i));
        }
        // Let the event loop breathe between runs (and the log reach the terminal).
        await new Promise((r) => setImmediate(r));
      }
      opts.log(`synth: ${tokens} token(s), ${opts.runs} runs each done`);
      comparisons.push(
        compare(
          `synth-${tokens}`,
          `synth ${tokens} token${tokens === 1 ? '' : 's'} (${2 * tokens + 1} resources)`,
          'ms',
          summarize(oursMs),
          summarize(baseMs),
          tokens === opts.targetSize ? 1.5 : null,
        ),
      );
    }
    // How much configuration each side emits: synth time follows it (cdktf resolves every value of the tree).
    const target = opts.targetSize;
    const oursKiB = sizeKiB.ours.get(target);
    const baseKiB = sizeKiB.base.get(target);
    if (oursKiB !== undefined && baseKiB !== undefined) {
      comparisons.push(
        compare(`synth-size-${target}`, `cdk.tf.json size, ${target} tokens`, 'KiB', summarize([oursKiB]), summarize([baseKiB]), null),
      );
    }
    return comparisons;
  } finally {
    rmSync(project, { recursive: true, force: true });
  }
}
