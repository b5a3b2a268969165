/**
 * Helpers for the operator-command tests: a stack manifest built with lib/core and written to a temp folder, a
 * "deploy" that creates the manifest's live tokens through the API as the hooks would, an in-process CLI context,
 * and a runner for the bundled program that checks outputs and argv for secrets.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Duration } from '../../lib/core/duration';
import { buildManifest, type StackManifest } from '../../lib/core/manifest';
import { resolveTokenSpec, type ResolvedTokenSpec } from '../../lib/core/token-spec';
import type { CliContext } from '../../lib/cli/context';
import type { RunningEmulator } from '../../lib/emulator';
import { BUNDLE } from '../lifecycle/hook-harness';
import { call, createToken } from '../emulator/support';
import { StopRequests } from '../../lib/cli/stop-requests';
import { deliverSecret } from '../../lib/sinks';

export const T0 = '2026-03-01T12:00:00.000Z';
export const T0_MS = Date.parse(T0);
export const DAY_MS = 86_400_000;
export const TAG = 'prod~abcdef';
export const CREDENTIAL_ENV = 'AGILITY_OPS_TEST_TOKEN';

/** The token declarations the tests use, by key. */
export type Decl = 'rotating' | 'fixed-long' | 'fixed-soon' | 'default';

/**
 * - rotating: every 30 days, overlap, anchored 45 days before T0: generation 1 current, 0 retained; generation 2
 *   starts at T0 + 15 days (the manifest's nextRotation).
 * - fixed-long: expires T0 + 300 days. fixed-soon: expires T0 + 10 days. default: Agility's 2-year default.
 */
export function spec(decl: Decl, nowMs = T0_MS): ResolvedTokenSpec {
  // Relative to the stack folder, as the hooks resolve it: `deploy` with a stack folder delivers there.
  const base = { stackTag: TAG, sinks: [{ kind: 'file' as const, path: `secrets/${decl}.pat` }], constructPath: `prod/${decl}` };
  switch (decl) {
    case 'rotating':
      return resolveTokenSpec(
        { ...base, declaredName: 'ci-deploy', rotation: { every: Duration.days(30), anchor: new Date(T0_MS - 45 * DAY_MS) } },
        nowMs,
      ).spec;
    case 'fixed-long':
      return resolveTokenSpec({ ...base, declaredName: 'webhook', expiresAt: new Date(T0_MS + 300 * DAY_MS) }, nowMs).spec;
    case 'fixed-soon':
      return resolveTokenSpec({ ...base, declaredName: 'preview', expiresAt: new Date(T0_MS + 10 * DAY_MS) }, nowMs).spec;
    case 'default':
      return resolveTokenSpec({ ...base, declaredName: 'reporting' }, nowMs).spec;
  }
}

/** A manifest of the given declarations against `apiUrl`. */
export function manifestOf(apiUrl: string, decls: readonly Decl[], nowMs = T0_MS): StackManifest {
  return buildManifest({ stackTag: TAG, apiUrl, credentialEnv: CREDENTIAL_ENV, tokens: decls.map((d) => spec(d, nowMs)) });
}

/** Writes `manifest` as `<dir>/cdktf.out/stacks/prod/agility-pat-manifest.json`; returns the stack folder. */
export function writeStack(dir: string, manifest: StackManifest): string {
  const stackDir = join(dir, 'cdktf.out', 'stacks', 'prod');
  mkdirSync(stackDir, { recursive: true });
  writeFileSync(join(stackDir, 'agility-pat-manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return stackDir;
}

/**
 * Creates every live token of the manifest through the API, as a deploy would; returns the secrets by managed name.
 * With `stackDir`, the current generation's secret is also delivered to the token's sinks from there (with its delivery
 * record, as the create hook does).
 */
export async function deploy(
  emu: RunningEmulator,
  accessToken: string,
  manifest: StackManifest,
  stackDir?: string,
): Promise<Map<string, string>> {
  const secrets = new Map<string, string>();
  for (const t of manifest.tokens) {
    for (const l of t.live) {
      const created = await createToken(emu, accessToken, l.managedName, l.expiryDate ?? undefined);
      secrets.set(l.managedName, created.token);
      if (stackDir !== undefined && l.role === 'ensure') {
        const info = { declaredName: t.declaredName, managedName: l.managedName, generation: l.generation };
        await deliverSecret(
          created.token,
          t.sinks,
          { ...info, expiryDate: created.expiryDate, tokenId: created.tokenID },
          { cwd: stackDir },
        );
      }
    }
  }
  return secrets;
}

/** Uses a PAT once (GET /api/v1/users/me), which sets its lastUsedDate to the emulator's now. */
export async function usePat(emu: RunningEmulator, secret: string): Promise<void> {
  const r = await call(emu, 'GET', '/api/v1/users/me', { token: secret });
  if (r.status !== 200) throw new Error(`using a PAT answered ${r.status}`);
}

/** Sets the emulator clock. */
export async function setEmulatorNow(emu: RunningEmulator, ms: number): Promise<void> {
  const r = await call(emu, 'POST', '/__emulator/clock', { json: { now: new Date(ms).toISOString() } });
  if (r.status !== 200) throw new Error(`setting the clock failed: ${r.status}`);
}

/** An in-process context at `nowMs` that collects what the command writes. */
export function captureContext(env: NodeJS.ProcessEnv, nowMs: number, cwd: string, stdoutIsTty = false) {
  const out: string[] = [];
  const err: string[] = [];
  const ctx: CliContext = {
    env,
    cwd,
    clock: () => nowMs,
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    stopSignal: new Promise(() => undefined),
    stops: new StopRequests(),
    stdoutIsTty,
  };
  return { ctx, out, err, stdout: () => out.join('\n'), stderr: () => err.join('\n') };
}

/** What one run of the bundled program did. */
export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Indices (never values) of the emulator's issued secrets that occur in `text`. */
export function leaks(emu: RunningEmulator, text: string): number[] {
  return emu
    .issuedSecrets()
    .map((s, i) => (s !== '' && text.includes(s) ? i : -1))
    .filter((i) => i >= 0);
}

/**
 * Runs `node dist/agility-pat.js <args>` asynchronously (the in-process emulator keeps answering). Asserts that no
 * issued secret is in argv or stderr, nor in stdout unless `stdoutMayHoldSecret` (auth refresh prints one by design).
 */
export function runBundle(
  emu: RunningEmulator,
  args: string[],
  opts: { env: NodeJS.ProcessEnv; cwd: string; stdoutMayHoldSecret?: boolean },
): Promise<Run> {
  expect(leaks(emu, args.join('\0'))).toEqual([]);
  return new Promise<Run>((resolve, reject) => {
    const child = spawn(process.execPath, [BUNDLE, ...args], { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 45_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  }).then((run) => {
    expect(leaks(emu, run.stderr)).toEqual([]);
    if (!opts.stdoutMayHoldSecret) expect(leaks(emu, run.stdout)).toEqual([]);
    return run;
  });
}

/** A minimal environment for the bundled program acting at `nowMs` (no inherited AGILITY_* variables). */
export function programEnv(nowMs: number, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', AGILITY_PAT_NOW: new Date(nowMs).toISOString(), ...extra };
}
