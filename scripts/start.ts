/**
 * `npm start`: deploys main.ts with real Terraform (`cdktf deploy`).
 * - Without Agility credentials: starts the built-in emulator on 127.0.0.1 (state in .agility-pat/), signs in to it,
 *   deploys against it, prints what exists now, and stops the emulator. A second run is a no-op deploy.
 * - With AGILITY_ACCESS_TOKEN and AGILITY_API_URL set: deploys against that API instead.
 * The access token reaches cdktf and the hooks through the environment only, never argv or output.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { AgilityClient } from '../lib/api';
import { formatTable } from '../lib/cli/table';
import { parseManifest, type StackManifest } from '../lib/core/manifest';
import { describeSink } from '../lib/core/sink-spec';
import { isAgilityPatError } from '../lib/core/errors';
import { startEmulator, type RunningEmulator } from '../lib/emulator';
import { MANIFEST_FILE } from '../lib/core/hook-contract';

const ROOT = resolve(__dirname, '..', '..');
/** The CDKTF project to deploy: this repository (main.ts), or another folder with a cdktf.json (tests use that). */
const PROJECT = resolve(process.env.AGILITY_PAT_PROJECT_DIR || ROOT);
const STATE_DIR = join(PROJECT, '.agility-pat');
const STACK = 'agility-tokens';
const DEFAULT_EMULATOR_PORT = 7311;

async function start(): Promise<number> {
  const env: NodeJS.ProcessEnv = { ...process.env, CHECKPOINT_DISABLE: '1', DISABLE_VERSION_CHECK: '1' };
  mkdirSync(STATE_DIR, { recursive: true, mode: 0o700 });
  // An unset or missing CLI configuration makes Terraform print warnings on every run: use an empty one instead.
  if (!env.TF_CLI_CONFIG_FILE || !existsSync(env.TF_CLI_CONFIG_FILE)) {
    const rc = join(STATE_DIR, 'terraform.rc');
    if (!existsSync(rc)) writeFileSync(rc, '');
    env.TF_CLI_CONFIG_FILE = rc;
  }
  const credentialEnv = env.AGILITY_CREDENTIAL_ENV || 'AGILITY_ACCESS_TOKEN';
  const hasToken = Boolean(env[credentialEnv]);
  const hasUrl = Boolean(env.AGILITY_API_URL);
  if (hasToken !== hasUrl) {
    console.error(
      `npm start: ${hasToken ? 'AGILITY_API_URL' : credentialEnv} is not set. Set both ${credentialEnv} and AGILITY_API_URL to deploy against a real Agility API, or neither to use the built-in emulator.`,
    );
    return 2;
  }

  let emulator: RunningEmulator | undefined;
  if (!hasToken) {
    const port = Number(env.AGILITY_EMULATOR_PORT ?? DEFAULT_EMULATOR_PORT);
    try {
      // A fixed port keeps the API URL, and so every slot's triggers, the same from one run to the next.
      emulator = await startEmulator({ host: '127.0.0.1', port, stateFile: join(STATE_DIR, 'emulator-state.json') });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      console.error(
        `npm start: cannot start the emulator on 127.0.0.1:${port} (${code ?? (e as Error).message}). Stop what uses that port or set AGILITY_EMULATOR_PORT.`,
      );
      return 3;
    }
    const session = await emulator.signIn();
    env[credentialEnv] = session.access_token ?? '';
    env.AGILITY_API_URL = emulator.url;
    console.log(
      `npm start: no Agility credentials set, so deploying against the built-in emulator at ${emulator.url} (state in .agility-pat/).`,
    );
  } else {
    console.log(`npm start: deploying against ${env.AGILITY_API_URL} with the access token in ${credentialEnv}.`);
  }

  try {
    const code = await runCdktf(['deploy', '--auto-approve', STACK], env);
    if (code !== 0) {
      console.error(`npm start: cdktf deploy failed (exit ${code}); the lines above say why.`);
      return code;
    }
    await printSummary(env, credentialEnv);
    return 0;
  } finally {
    await emulator?.close();
  }
}

/** Runs the pinned cdktf CLI with node (no npx), asynchronously so the in-process emulator keeps answering. */
function runCdktf(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const cli = join(ROOT, 'node_modules', 'cdktf-cli', 'bundle', 'bin', 'cdktf');
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { cwd: PROJECT, env, stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', reject);
    child.on('close', (code, signal) => resolvePromise(code ?? (signal ? 1 : 0)));
  });
}

/** What exists now: each declared token, its live generations in Agility, expiry, sinks and next rotation. */
async function printSummary(env: NodeJS.ProcessEnv, credentialEnv: string): Promise<void> {
  const stackDir = join(PROJECT, 'cdktf.out', 'stacks', STACK);
  const manifest: StackManifest = parseManifest(readFileSync(join(stackDir, MANIFEST_FILE), 'utf8'));
  const client = new AgilityClient({ baseUrl: env.AGILITY_API_URL as string, accessToken: env[credentialEnv] });
  const { tokens } = await client.listTokens();
  const byName = new Map(tokens.map((t) => [t.name, t]));
  const synth = JSON.parse(readFileSync(join(stackDir, 'cdk.tf.json'), 'utf8')) as { output?: Record<string, { value: string }> };
  const rows: string[][] = [];
  for (const t of manifest.tokens) {
    for (const live of t.live) {
      const listed = byName.get(live.managedName);
      rows.push([
        live.managedName,
        live.role === 'ensure' ? 'current' : 'previous',
        listed ? (listed.isExpired ? 'expired' : 'live') : live.role === 'ensure' ? 'missing' : 'not created (superseded)',
        listed?.expiryDate.slice(0, 19) ?? '-',
        live.role === 'ensure'
          ? t.sinks.map((s) => describeSink(displaySink(s, stackDir))).join(', ') || '(no sink)'
          : '(delivered earlier)',
        synth.output?.[`${t.constructPath.split('/').pop()}-next-rotation`]?.value ?? '-',
      ]);
    }
  }
  console.log('\nAgility tokens of stack ' + manifest.stackTag + ' now:');
  console.log(formatTable(['MANAGED NAME', 'GENERATION', 'STATE', 'EXPIRES (UTC)', 'SECRET DELIVERED TO', 'NEXT ROTATION'], rows));
}

/** Sink paths in the manifest are relative to the stack folder; show them relative to the project. */
function displaySink<T extends { kind: string; path?: string }>(s: T, stackDir: string): T {
  return s.path === undefined ? s : { ...s, path: relative(PROJECT, resolve(stackDir, s.path)) };
}

start().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(`npm start: ${isAgilityPatError(e) ? `[${e.code}] ` : ''}${(e as Error).message}`);
    process.exit(1);
  },
);
