/**
 * Harness for running the REAL bundled program (dist/agility-pat.js, built by `npm run build`) as a child process
 * against an in-process emulator: spawning is asynchronous so the emulator in this jest process keeps answering.
 * Every run's stdout and stderr are scanned for every secret the emulator issued (see {@link runProgram}).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { formatManagedName } from '../../lib/core/managed-name';
import type { SinkSpec } from '../../lib/core/sink-spec';
import { decodeJwtClaims } from '../../lib/emulator/jwt';
import type { RequestLogEntry, RunningEmulator } from '../../lib/emulator';
import { call, useEmulator } from '../emulator/support';

/** The bundled hook program Terraform runs with `node`. */
export const BUNDLE = resolve(__dirname, '..', '..', 'dist', 'agility-pat.js');

/** The stack tag every test token carries (the shape `stackTag()` produces). */
export const STACK_TAG = 'prod~abcdef';

/** The credential variable the hooks are told to read (AGILITY_PAT_CREDENTIAL_ENV). */
export const CREDENTIAL_ENV = 'AGILITY_TEST_OAUTH';

/** Fails loudly (never skips) when the bundle has not been built. */
export function requireBundle(): void {
  if (!existsSync(BUNDLE)) throw new Error(`${BUNDLE} does not exist: run "npm run build" before these tests.`);
}

/** `<declared> [cdktf:prod~abcdef/g<generation>]`. */
export function managed(declaredName: string, generation = 5, tag = STACK_TAG): string {
  return formatManagedName({ declaredName, stackTag: tag, generation });
}

/** What one run of the program did. */
export interface ProgramRun {
  /** Exit status; null when ended by a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  durationMs: number;
}

/** Options of {@link runProgram}. */
export interface RunOptions {
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Called once the child is spawned (e.g. to kill it at the right moment). */
  onSpawn?: (child: ChildProcess) => void;
  /** The child is killed with SIGKILL after this long. @default 45000 */
  timeoutMs?: number;
}

/**
 * Indices (never values) of the issued secrets that occur in `text`: an empty array means no leak. Indices keep a
 * failing assertion from printing the secret it found.
 */
export function leakedSecretIndices(emu: RunningEmulator, text: string): number[] {
  return emu
    .issuedSecrets()
    .map((s, i) => (s !== '' && text.includes(s) ? i : -1))
    .filter((i) => i >= 0);
}

/**
 * Runs `node dist/agility-pat.js <args>` asynchronously, collects its output and asserts that neither stdout nor
 * stderr contains any secret the emulator issued (PATs, access and refresh tokens). Every program run in these
 * tests goes through here.
 */
export function runProgram(emu: RunningEmulator, args: string[], options: RunOptions): Promise<ProgramRun> {
  const started = Date.now();
  return new Promise<ProgramRun>((resolvePromise, reject) => {
    const child = spawn(process.execPath, [BUNDLE, ...args], { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 45_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code, signal, stdout, stderr, durationMs: Date.now() - started });
    });
    options.onSpawn?.(child);
  }).then((run) => {
    expect(leakedSecretIndices(emu, run.stdout + run.stderr)).toEqual([]);
    return run;
  });
}

/** The inputs of one hook run, as the construct would pass them in the environment. */
export interface HookInputs {
  /** The OAuth access token (or, to test refusal, a PAT) put in {@link CREDENTIAL_ENV}. */
  credential?: string;
  managedName?: string;
  declaredName?: string;
  generation?: number;
  currentGeneration?: number;
  expiry?: string;
  sinks?: SinkSpec[];
  manifest?: string;
}

/** The inputs of `hook create` for `ci [cdktf:prod~abcdef/g5]` (generation 5, current), no sinks unless `extra` says. */
export function ciInputs(credential: string, extra: Partial<HookInputs> = {}): HookInputs {
  return { credential, managedName: managed('ci'), declaredName: 'ci', generation: 5, sinks: [], ...extra };
}

/** A minimal environment (no inherited AGILITY_* variables) for a hook talking to `emu`. */
export function hookEnv(emu: RunningEmulator, inputs: HookInputs): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    AGILITY_PAT_API_URL: emu.url,
    AGILITY_PAT_CREDENTIAL_ENV: CREDENTIAL_ENV,
  };
  if (inputs.credential !== undefined) env[CREDENTIAL_ENV] = inputs.credential;
  if (inputs.managedName !== undefined) env.AGILITY_PAT_MANAGED_NAME = inputs.managedName;
  if (inputs.declaredName !== undefined) env.AGILITY_PAT_DECLARED_NAME = inputs.declaredName;
  if (inputs.generation !== undefined) env.AGILITY_PAT_GENERATION = String(inputs.generation);
  if (inputs.currentGeneration !== undefined) env.AGILITY_PAT_CURRENT_GENERATION = String(inputs.currentGeneration);
  if (inputs.expiry !== undefined) env.AGILITY_PAT_EXPIRY = inputs.expiry;
  if (inputs.sinks !== undefined) env.AGILITY_PAT_SINKS = JSON.stringify(inputs.sinks);
  if (inputs.manifest !== undefined) env.AGILITY_PAT_MANIFEST = inputs.manifest;
  return env;
}

/** Runs `agility-pat hook <action>` with {@link hookEnv} in `cwd` (leak-checked by {@link runProgram}). */
export function runHook(
  emu: RunningEmulator,
  action: 'create' | 'destroy' | 'reconcile',
  inputs: HookInputs,
  cwd: string,
  extra: Pick<RunOptions, 'onSpawn' | 'timeoutMs'> = {},
): Promise<ProgramRun> {
  return runProgram(emu, ['hook', action], { env: hookEnv(emu, inputs), cwd, ...extra });
}

/** A fresh temporary directory per test, removed after it. */
export function useTempDir(): () => string {
  let dir: string | undefined;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'agility-pat-hook-'));
  });
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });
  return () => dir!;
}

/** Empties the emulator's request log. */
export async function clearRequests(emu: RunningEmulator): Promise<void> {
  const r = await call(emu, 'DELETE', '/__emulator/requests');
  if (r.status !== 204) throw new Error(`clearing the request log failed: ${r.status}`);
}

/** The emulator's request log. */
export async function requestLog(emu: RunningEmulator): Promise<RequestLogEntry[]> {
  return (await call(emu, 'GET', '/__emulator/requests')).body as RequestLogEntry[];
}

/** Token-route calls in the log (of one user when given) as `METHOD route status`, token ids shown as `{id}`. */
export async function tokenCalls(emu: RunningEmulator, user?: string): Promise<string[]> {
  return (await requestLog(emu))
    .filter((r) => r.path.toLowerCase().startsWith('/api/v1/tokens') && (user === undefined || r.user === user))
    .map((r) => `${r.method} ${r.path.replace(/\/api\/v1\/tokens\/[0-9a-f-]{36}\//i, '/api/v1/tokens/{id}/')} ${r.status}`);
}

/** Queues an injected fault. */
export async function injectFault(emu: RunningEmulator, fault: Record<string, unknown>): Promise<void> {
  const r = await call(emu, 'POST', '/__emulator/faults', { json: fault });
  if (r.status !== 201) throw new Error(`injecting ${JSON.stringify(fault)} failed: ${r.status} ${r.text}`);
}

/** A listed token. */
export interface ListedToken {
  tokenID: string;
  name: string;
  expiryDate: string;
  isExpired: boolean;
}

/** The user's live (listed, not expired) tokens, as the API sees them. */
export async function liveTokens(emu: RunningEmulator, accessToken: string): Promise<ListedToken[]> {
  const r = await call(emu, 'GET', '/api/v1/tokens/list', { token: accessToken });
  if (r.status !== 200) throw new Error(`listing tokens failed: ${r.status}`);
  return (r.body.tokens as ListedToken[]).filter((t) => !t.isExpired);
}

/** The live tokens named exactly `name`. */
export async function liveNamed(emu: RunningEmulator, accessToken: string, name: string): Promise<ListedToken[]> {
  return (await liveTokens(emu, accessToken)).filter((t) => t.name === name);
}

/** True when `secret` authenticates `GET /api/v1/users/me`. */
export async function authenticates(emu: RunningEmulator, secret: string): Promise<boolean> {
  return (await call(emu, 'GET', '/api/v1/users/me', { token: secret })).status === 200;
}

/** The token id a PAT secret was issued for (the emulator's JWT `jti`). */
export function tokenIdOf(secret: string): string | undefined {
  return decodeJwtClaims(secret)?.jti;
}

/**
 * Asserts the file holds, exactly, the secret of the one live token named `name`, and that it authenticates;
 * returns the secret.
 */
export async function expectDelivered(emu: RunningEmulator, accessToken: string, name: string, file: string): Promise<string> {
  const live = await liveNamed(emu, accessToken, name);
  expect(live).toHaveLength(1);
  const secret = readFileSync(file, 'utf8');
  expect(tokenIdOf(secret)).toBe(live[0].tokenID);
  expect(await authenticates(emu, secret)).toBe(true);
  return secret;
}

export { waitFor } from '../helpers/wait-for';

/**
 * What every hook test file sets up: an emulator on the wall clock (the hook's clock; each test resets it), a fresh
 * temporary folder per test, the bundle built, and `signIn(email)` returning that user's OAuth access token.
 */
export function useHookSuite() {
  const emulator = useEmulator({});
  const tmp = useTempDir();
  beforeAll(requireBundle);
  const signIn = async (email: string): Promise<string> => (await emulator().signIn(email)).access_token!;
  /** Runs `hook create` for `ci [cdktf:prod~abcdef/g5]` into one file sink; returns the run, the file and the name. */
  const ensureCi = async (oauth: string, file = join(tmp(), 'ci.pat')) => {
    const name = managed('ci');
    const run = await runHook(emulator(), 'create', ciInputs(oauth, { sinks: [{ kind: 'file', path: file }] }), tmp());
    return { run, file, name };
  };
  return { emulator, tmp, signIn, ensureCi };
}
