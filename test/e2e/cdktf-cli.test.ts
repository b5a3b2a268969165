/**
 * As a user would: `npm start` (dist/scripts/start.js) twice, and `cdktf deploy` / `cdktf destroy` of a small app
 * that imports the compiled library, both with the pinned cdktf CLI and real Terraform.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { startEmulator, type RunningEmulator } from '../../lib/emulator';
import { EmulatorAdmin, freePort, requireTerraform, run, terraformEnv } from '../helpers/e2e';

jest.setTimeout(300_000);

const ROOT = resolve(__dirname, '..', '..');
const CDKTF = join(ROOT, 'node_modules', 'cdktf-cli', 'bundle', 'bin', 'cdktf');
// A JWT: three base64url parts, the first two JSON objects ("eyJ" is base64 for '{"').
const JWT = /eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g;

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function project(cdktfJson: object, files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'agility-pat-cli-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'cdktf.json'), JSON.stringify(cdktfJson, null, 2));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

function baseEnv(extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return terraformEnv({ CI: '1', ...extra });
}

function* files(dir: string): Generator<string> {
  for (const e of readdirSync(dir)) {
    const full = join(dir, e);
    const st = statSync(full);
    if (st.isDirectory()) {
      if (e !== 'node_modules' && e !== 'providers') yield* files(full);
    } else yield full;
  }
}

/** Files under `dir` (sinks excepted) and `output` that hold any of `secrets`, or anything JWT-shaped. */
function leaks(dir: string, output: string, secrets: string[], sinkFiles: string[]): string[] {
  const hits: string[] = [];
  const check = (where: string, text: string) => {
    if (secrets.some((s) => text.includes(s))) hits.push(`${where}: an issued secret`);
    if ((text.match(JWT) ?? []).length > 0) hits.push(`${where}: a JWT-shaped value`);
  };
  for (const f of files(dir)) if (!sinkFiles.includes(relative(dir, f))) check(relative(dir, f), readFileSync(f, 'latin1'));
  check('output', output);
  return hits;
}

describe('npm start', () => {
  test('deploys main.ts against the built-in emulator, prints what exists, and a second run changes nothing', async () => {
    requireTerraform();
    const dir = project({
      language: 'typescript',
      app: `node "${join(ROOT, 'dist', 'main.js')}"`,
      projectId: 'npm-start-e2e',
      sendCrashReports: 'false',
    });
    const env = baseEnv({ AGILITY_PAT_PROJECT_DIR: dir, AGILITY_EMULATOR_PORT: String(await freePort()) });
    const first = await run(process.execPath, [join(ROOT, 'dist', 'scripts', 'start.js')], { cwd: ROOT, env });
    expect(first.output).toContain('deploying against the built-in emulator');
    expect(first.code).toBe(0);
    expect(first.output).toMatch(/Agility tokens of stack agility-tokens~[0-9a-f]{6} now:/);
    expect(first.output).toMatch(/ci-deploy \[cdktf:agility-tokens~[0-9a-f]{6}\/g\d+\]\s+current\s+live/);
    expect(first.output).toMatch(/preview-site \[cdktf:agility-tokens~[0-9a-f]{6}\/g0\]\s+current\s+live/);
    const ci = readFileSync(join(dir, 'secrets', 'ci-deploy.token'), 'utf8');
    const preview = readFileSync(join(dir, 'secrets', 'preview-site.env'), 'utf8')
      .trim()
      .split('=')[1];
    expect(ci).toMatch(JWT);
    expect(preview).toMatch(JWT);
    expect(statSync(join(dir, 'secrets', 'ci-deploy.token')).mode & 0o777).toBe(0o600);

    const second = await run(process.execPath, [join(ROOT, 'dist', 'scripts', 'start.js')], { cwd: ROOT, env });
    expect(second.code).toBe(0);
    expect(second.output).toMatch(/No changes/);
    expect(readFileSync(join(dir, 'secrets', 'ci-deploy.token'), 'utf8')).toBe(ci);
    expect(leaks(dir, first.output + second.output, [ci, preview], ['secrets/ci-deploy.token', 'secrets/preview-site.env'])).toEqual([]);
  });

  test('refuses half a set of credentials with a clear message', async () => {
    const dir = project({ language: 'typescript', app: 'node nothing.js', projectId: 'x' });
    const result = await run(process.execPath, [join(ROOT, 'dist', 'scripts', 'start.js')], {
      cwd: ROOT,
      env: baseEnv({ AGILITY_PAT_PROJECT_DIR: dir, AGILITY_API_URL: 'https://mgmt.aglty.io' }),
    });
    expect(result.code).toBe(2);
    expect(result.output).toContain('AGILITY_ACCESS_TOKEN is not set');
  });
});

describe('cdktf deploy and cdktf destroy of a user app', () => {
  let emulator: RunningEmulator;
  beforeAll(async () => {
    requireTerraform();
    emulator = await startEmulator({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => emulator?.close());

  test('deploy creates and delivers, destroy revokes every token of the stack; no secret anywhere', async () => {
    const admin = new EmulatorAdmin(emulator);
    const app = `
const { App, TerraformStack } = require(${JSON.stringify(join(ROOT, 'node_modules', 'cdktf'))});
const { AgilityPersonalAccessToken, AgilityApi, AgilityTokenReconciler, Duration, SecretSink } = require(${JSON.stringify(join(ROOT, 'dist', 'lib'))});
const app = new App();
const stack = new TerraformStack(app, 'user-stack');
AgilityTokenReconciler.configure(stack, { api: AgilityApi.fromEnvironment() });
new AgilityPersonalAccessToken(stack, 'deploy-bot', { name: 'deploy-bot', rotation: { every: Duration.days(7) }, sinks: [SecretSink.file('out/deploy-bot.token')] });
app.synth();
`;
    const dir = project(
      { language: 'javascript', app: 'node app.js', projectId: 'cdktf-cli-e2e', sendCrashReports: 'false' },
      { 'app.js': app },
    );
    const access = (await emulator.signIn()).access_token as string;
    const env = baseEnv({ AGILITY_API_URL: emulator.url, AGILITY_ACCESS_TOKEN: access });

    await admin.clearRequests();
    const deploy = await run(process.execPath, [CDKTF, 'deploy', '--auto-approve', 'user-stack'], { cwd: dir, env });
    expect(deploy.code).toBe(0);
    expect(await admin.tokenCalls()).toEqual(expect.arrayContaining(['POST /api/v1/tokens/create 201']));
    expect((await admin.tokenCalls()).filter((c) => c.startsWith('POST'))).toHaveLength(1);
    const secret = readFileSync(join(dir, 'out', 'deploy-bot.token'), 'utf8');
    expect(await admin.authenticates(secret)).toBe(true);

    await admin.clearRequests();
    const destroy = await run(process.execPath, [CDKTF, 'destroy', '--auto-approve', 'user-stack'], { cwd: dir, env });
    expect(destroy.code).toBe(0);
    // Two slots: the live current generation is found and deleted; the previous one was never created.
    expect([...(await admin.tokenCalls())].sort()).toEqual(
      ['DELETE /api/v1/tokens/{id}/delete 204', 'GET /api/v1/tokens/list 200', 'GET /api/v1/tokens/list 200'].sort(),
    );
    expect(await admin.authenticates(secret)).toBe(false);
    expect(leaks(dir, deploy.output + destroy.output, emulator.issuedSecrets(), ['out/deploy-bot.token'])).toEqual([]);
  });
});
