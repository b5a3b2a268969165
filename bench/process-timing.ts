import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { summarize, type Summary } from './stats';

/** What one child process did. */
export interface ProcessResult {
  /** Wall time from spawn to the child's exit with its output streams closed, ms. */
  readonly ms: number;
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  readonly env: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** Killed (SIGKILL) after this long. @default 600_000 */
  readonly timeoutMs?: number;
}

/**
 * Runs a program asynchronously (the emulator answering its requests lives in this process, so a synchronous spawn
 * would deadlock) and times it from spawn to close.
 */
export function runTimed(cmd: string, args: readonly string[], opts: RunOptions): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 600_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      resolve({ ms, code: code ?? (signal ? 128 : 1), stdout, stderr });
    });
  });
}

const GNU_TIME = '/usr/bin/time';

/** True when GNU time is available to measure a child's peak resident set size. */
export function canMeasurePeakRss(): boolean {
  return existsSync(GNU_TIME);
}

/**
 * Peak RSS of `runs` runs of a program, in MiB, measured with `/usr/bin/time -f %M` (kilobytes) in runs of their own
 * so the wrapper's fork and exec do not touch the wall-time samples. Throws when a run fails.
 */
export async function peakRssMiB(cmd: string, args: readonly string[], opts: RunOptions, runs: number): Promise<Summary> {
  const dir = mkdtempSync(join(tmpdir(), 'agility-pat-bench-rss-'));
  try {
    const samples: number[] = [];
    for (let i = 0; i < runs; i++) {
      const out = join(dir, `rss-${i}`);
      const r = await runTimed(GNU_TIME, ['-f', '%M', '-o', out, cmd, ...args], opts);
      if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${r.code} under ${GNU_TIME}: ${r.stderr.slice(-500)}`);
      const kib = Number(readFileSync(out, 'utf8').trim().split('\n').pop());
      if (!Number.isFinite(kib)) throw new Error(`${GNU_TIME} -f %M wrote no number to ${out}`);
      samples.push(kib / 1024);
    }
    return summarize(samples);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
