/**
 * Runs the deploy step of docs/ci-example/agility-pat-deploy.yml with bash against the emulator: the real
 * `agility-pat auth refresh` and `agility-pat status` (the bundle), with stand-ins for `gh` (records what it was
 * given) and `npx cdktf deploy` (records its arguments; the deploy itself is done beforehand through the API, as the
 * end-to-end tests show the hooks do). Nothing may leak a secret: output, and the argv of every command the step runs.
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildManifest } from '../../lib/core/manifest';
import { call, useEmulator } from '../emulator/support';
import { BUNDLE, requireBundle } from '../lifecycle/hook-harness';
import { T0, T0_MS, TAG, deploy, leaks, spec } from './support';

const WORKFLOW = resolve(__dirname, '..', '..', 'docs', 'ci-example', 'agility-pat-deploy.yml');
const emulator = useEmulator({ now: T0 });
let dir: string;
beforeAll(requireBundle);
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'agility-pat-ci-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** The `run: |` block between the BEGIN and END markers of the workflow, dedented. */
function deployScript(): { script: string; stack: string } {
  const text = readFileSync(WORKFLOW, 'utf8');
  const block = /# BEGIN agility-pat-ci[^\n]*\n\s*run: \|\n([\s\S]*?)\n\s*# END agility-pat-ci/.exec(text);
  if (!block) throw new Error(`${WORKFLOW} has no "# BEGIN agility-pat-ci ... run: | ... # END agility-pat-ci" block`);
  const lines = block[1].split('\n');
  const indent = Math.min(...lines.filter((l) => l.trim()).map((l) => /^ */.exec(l)![0].length));
  const stack = /^\s+STACK: ([\w-]+)$/m.exec(text)?.[1];
  if (!stack) throw new Error('the workflow sets no STACK');
  return { script: lines.map((l) => l.slice(indent)).join('\n'), stack };
}

/** A project folder: dist/agility-pat.js, fake gh and npx on PATH, and the synthesized stack's manifest. */
function project(stack: string): { bin: string } {
  mkdirSync(join(dir, 'dist'));
  symlinkSync(BUNDLE, join(dir, 'dist', 'agility-pat.js'));
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  const fake = (name: string, body: string) => {
    writeFileSync(join(bin, name), `#!/bin/sh\nprintf '%s\\n' "$*" >> "${dir}/argv.log"\n${body}\n`);
    chmodSync(join(bin, name), 0o755);
  };
  fake('gh', `cat > "${dir}/gh-stdin"`);
  fake('npx', 'exit 0');
  const manifest = buildManifest({
    stackTag: TAG,
    apiUrl: emulator().url,
    credentialEnv: 'AGILITY_ACCESS_TOKEN',
    tokens: [spec('rotating'), spec('default')],
  });
  mkdirSync(join(dir, 'cdktf.out', 'stacks', stack), { recursive: true });
  writeFileSync(join(dir, 'cdktf.out', 'stacks', stack, 'agility-pat-manifest.json'), JSON.stringify(manifest));
  return { bin };
}

function bash(script: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn('bash', ['-c', script], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 45_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, output });
    });
  });
}

async function runStep(refreshToken: string) {
  const { script, stack } = deployScript();
  const { bin } = project(stack);
  const runnerTemp = join(dir, 'runner-temp');
  mkdirSync(runnerTemp);
  const result = await bash(script, {
    PATH: `${bin}:${process.env.PATH}`,
    HOME: dir,
    RUNNER_TEMP: runnerTemp,
    STACK: stack,
    AGILITY_API_URL: emulator().url,
    AGILITY_PAT_NOW: new Date(T0_MS + 60_000).toISOString(),
    AGILITY_REFRESH_TOKEN: refreshToken,
    GH_TOKEN: 'not-a-real-github-token',
  });
  const argv = readFileSync(join(dir, 'argv.log'), 'utf8');
  expect(leaks(emulator(), result.output)).toEqual([]);
  expect(leaks(emulator(), argv)).toEqual([]);
  return { ...result, argv, stack };
}

describe('the example CI workflow', () => {
  it('refreshes the credential, saves the rotated refresh token, deploys and reports all tokens ok (exit 0)', async () => {
    const session = await emulator().signIn();
    await deploy(
      emulator(),
      session.access_token!,
      buildManifest({ stackTag: TAG, apiUrl: emulator().url, credentialEnv: 'X', tokens: [spec('rotating'), spec('default')] }),
    );
    const { code, output, argv, stack } = await runStep(session.refresh_token!);
    expect(output).toMatch(/Nothing needs action\./);
    expect(code).toBe(0);
    expect(argv.split('\n').filter(Boolean)).toEqual(['secret set AGILITY_REFRESH_TOKEN', `cdktf deploy ${stack} --auto-approve`]);
    const saved = readFileSync(join(dir, 'gh-stdin'), 'utf8').trim();
    expect(saved).not.toBe(session.refresh_token);
    // What was saved is the refresh token that works next time.
    expect((await call(emulator(), 'POST', '/oauth/refresh', { body: new URLSearchParams({ refresh_token: saved }) })).status).toBe(200);
  });

  it('fails the job with exit 20 when a token needs action', async () => {
    const session = await emulator().signIn();
    // Only "reporting" was deployed: "ci-deploy" is missing.
    await deploy(
      emulator(),
      session.access_token!,
      buildManifest({ stackTag: TAG, apiUrl: emulator().url, credentialEnv: 'X', tokens: [spec('default')] }),
    );
    const { code, output } = await runStep(session.refresh_token!);
    expect(output).toMatch(/^ci-deploy\s+.*\s+missing$/m);
    expect(code).toBe(20);
  });
});
