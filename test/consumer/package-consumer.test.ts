/**
 * As a new user would: pack this project, install the tarball into a fresh cdktf app outside the repository whose
 * install commands, main.ts, cdktf.json and tsconfig.json are the README's ("Use it for real"), and run
 * `cdktf synth`, `deploy` and `destroy` with real Terraform against the emulator that the installed `agility-pat`
 * command starts. Also: the installed command; the hook program found wherever the package sits (a pnpm-style store
 * outside the app, a workspace member's own node_modules); a second copy of constructs; the optional null provider
 * missing; and `npm install git+file://<this clone>` (the `prepare` path). Needs the npm registry or a warm npm cache.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { version } from '../../package.json';
import { requireTerraform, run, terraformEnv, type RunResult } from '../helpers/e2e';

jest.setTimeout(600_000);

const ROOT = resolve(__dirname, '..', '..');
// The repository's cdktf CLI, as if installed globally: the README's `npm install --save-dev cdktf-cli@0.21.0` is
// the same version, and installing it into each temporary app would add ~90 s and 450 MB.
const CDKTF = join(ROOT, 'node_modules', 'cdktf-cli', 'bundle', 'bin', 'cdktf');
const NPM_FLAGS = ['--prefer-offline', '--no-audit', '--no-fund'];
const JWT = /eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/;
const STACK = 'agility-tokens';
/** What the tarball may hold: the compiled library and types, the hook bundle, the node10 subpath stub, the docs. */
const SHIPPED =
  /^(package\.json|README\.md|LICENSE|CHANGELOG\.md|(testing|cdktn)\/package\.json|dist\/agility-pat\.js|dist\/lib\/.+\.(js|d\.ts))$/;

/** The README's user steps: the fenced blocks of its "Use it for real" section. */
function readmeSteps(): { install: string[][]; mainTs: string; cdktfJson: Record<string, unknown>; tsconfigJson: string } {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('\n## Use it for real\n');
  if (start < 0) throw new Error('README.md has no "Use it for real" section');
  const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
  const blocks = [...section.matchAll(/```(\w*)\n([\s\S]*?)```/g)].map((m) => ({ lang: m[1], text: m[2] }));
  const one = (what: string, test: (b: { lang: string; text: string }) => boolean): string => {
    const found = blocks.find(test);
    if (!found) throw new Error(`README.md's "Use it for real" has no ${what} block`);
    return found.text;
  };
  const install = one('npm install', (b) => b.text.startsWith('npm install '))
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/\s+/).slice(2));
  return {
    install,
    mainTs: one('main.ts', (b) => b.lang === 'ts' && b.text.startsWith('// main.ts')),
    cdktfJson: JSON.parse(one('cdktf.json', (b) => b.lang === 'json' && b.text.includes('"projectId"'))),
    tsconfigJson: one('tsconfig.json', (b) => b.lang === 'json' && b.text.includes('"compilerOptions"')),
  };
}

/** `npm install` in `dir` with the README's arguments, from the cache when it can. */
async function npmInstall(dir: string, args: string[]): Promise<void> {
  const result = await run('npm', ['install', ...NPM_FLAGS, ...args], { cwd: dir, env: { ...process.env }, timeoutMs: 540_000 });
  if (result.code !== 0) throw new Error(`npm install ${args.join(' ')} failed in ${dir}:\n${result.output}`);
}

/** A new app folder with the README's cdktf.json (a projectId of its own) and tsconfig.json, and `files`. */
function newApp(dir: string, steps: ReturnType<typeof readmeSteps>, files: Record<string, string> = {}): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'my-infra', version: '1.0.0', private: true }, null, 2));
  writeFileSync(join(dir, 'cdktf.json'), JSON.stringify({ ...steps.cdktfJson, projectId: randomUUID() }, null, 2));
  writeFileSync(join(dir, 'tsconfig.json'), steps.tsconfigJson);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

/** The hook program synth copied into the stack, or undefined. */
function synthesizedHook(appDir: string): string | undefined {
  const assets = join(appDir, 'cdktf.out', 'stacks', STACK, 'assets', 'agility-pat-hook');
  if (!existsSync(assets)) return undefined;
  const [hash] = readdirSync(assets);
  return hash === undefined ? undefined : join(assets, hash, 'agility-pat.js');
}

describe('a cdktf app that installs the packed tarball', () => {
  const steps = readmeSteps();
  let work: string;
  let app: string;
  let tarball: string;
  let packed: string[];
  let emulatorUrl: string;
  let stopEmulator: () => void;
  const env = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => terraformEnv({ CI: '1', ...extra });
  const bin = (args: string[], extra: NodeJS.ProcessEnv = {}): Promise<RunResult> =>
    run(join(app, 'node_modules', '.bin', 'agility-pat'), args, { cwd: app, env: env(extra) });

  /** Signs `email` in to the emulator with the documented code `user:<email>`. */
  async function signIn(email: string): Promise<{ access_token: string; refresh_token: string }> {
    const res = await fetch(`${emulatorUrl}/oauth/token`, { method: 'POST', body: new URLSearchParams({ code: `user:${email}` }) });
    if (!res.ok) throw new Error(`sign-in failed: ${res.status}`);
    return (await res.json()) as { access_token: string; refresh_token: string };
  }

  beforeAll(async () => {
    requireTerraform();
    work = realpathSync(mkdtempSync(join(tmpdir(), 'agility-pat-consumer-')));
    // pretest built dist/; --ignore-scripts so packing does not build it again.
    const pack = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], {
      cwd: ROOT,
      env: { ...process.env },
    });
    if (pack.code !== 0) throw new Error(`npm pack failed:\n${pack.output}`);
    const info = JSON.parse(pack.output.slice(pack.output.indexOf('['))) as { filename: string; files: { path: string }[] }[];
    tarball = join(work, info[0].filename);
    packed = info[0].files.map((f) => f.path);

    app = newApp(join(work, 'app'), steps, { 'main.ts': steps.mainTs });
    for (const args of steps.install) {
      // The package itself comes from the tarball; cdktf-cli is the repository's (see CDKTF).
      const resolved = args.filter((a) => !a.startsWith('cdktf-cli')).map((a) => (/^\.\/agility-pat-cdktf-.*\.tgz$/.test(a) ? tarball : a));
      expect(args.filter((a) => a.startsWith('agility-pat-cdktf'))).toEqual([]); // what works today: the packed tarball
      await npmInstall(app, resolved);
    }

    // The emulator, from the installed command; its first line names the URL.
    const child = spawn(join(app, 'node_modules', '.bin', 'agility-pat'), ['emulator', '--port', '0'], {
      cwd: app,
      env: env(),
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    stopEmulator = () => child.kill('SIGTERM');
    emulatorUrl = await new Promise<string>((res, rej) => {
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
        const m = /listening on (http:\/\/\S+)/.exec(out);
        if (m) res(m[1]);
      });
      child.on('exit', (code) => rej(new Error(`agility-pat emulator exited with ${code}: ${out}`)));
    });
  });

  afterAll(() => {
    stopEmulator?.();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test('the tarball holds only the compiled library, its types, the hook bundle and the docs', () => {
    expect(packed.filter((p) => !SHIPPED.test(p))).toEqual([]);
    expect(packed).toEqual(
      expect.arrayContaining(['dist/agility-pat.js', 'dist/lib/index.js', 'dist/lib/index.d.ts', 'dist/lib/testing/index.js']),
    );
    expect(packed).toEqual(expect.arrayContaining(['README.md', 'LICENSE', 'CHANGELOG.md']));
  });

  test('the installed agility-pat command is the hook bundle; --help, --version, tokens, status and auth refresh work', async () => {
    expect(realpathSync(join(app, 'node_modules', '.bin', 'agility-pat'))).toBe(
      join(app, 'node_modules', 'agility-pat-cdktf', 'dist', 'agility-pat.js'),
    );
    const help = await bin(['--help']);
    expect(help.code).toBe(0);
    expect(help.output).toMatch(/^Usage: agility-pat/);
    expect((await bin(['--version'])).output.trim()).toBe(version);

    const session = await signIn('cli@example.com');
    const list = await bin(['tokens', 'list', '--api-url', emulatorUrl], { AGILITY_ACCESS_TOKEN: session.access_token });
    expect(list.code).toBe(0);
    const refreshed = await run(join(app, 'node_modules', '.bin', 'agility-pat'), ['auth', 'refresh', '--api-url', emulatorUrl], {
      cwd: app,
      env: env({ AGILITY_REFRESH_TOKEN: session.refresh_token }),
    });
    expect(refreshed.code).toBe(0);
    const access = refreshed.output.trim().split('\n').pop()!;
    expect(access).toMatch(JWT);
    const me = await fetch(`${emulatorUrl}/api/v1/users/me`, { headers: { authorization: `Bearer ${access}` } });
    expect(((await me.json()) as { emailAddress: string }).emailAddress).toBe('cli@example.com');
    const status = await bin(['status', '--help']);
    expect(status.code).toBe(0);
  });

  test('cdktf synth, deploy and destroy of the README main.ts, with status in between', async () => {
    const { access_token } = await signIn('consumer@example.com');
    const deployEnv = env({ AGILITY_API_URL: emulatorUrl, AGILITY_ACCESS_TOKEN: access_token });

    const synth = await run(process.execPath, [CDKTF, 'synth'], { cwd: app, env: deployEnv });
    expect(synth.code).toBe(0);
    const hook = synthesizedHook(app);
    expect(hook && readFileSync(hook)).toEqual(readFileSync(join(app, 'node_modules', 'agility-pat-cdktf', 'dist', 'agility-pat.js')));

    const deploy = await run(process.execPath, [CDKTF, 'deploy', '--auto-approve', STACK], { cwd: app, env: deployEnv });
    expect(deploy.code).toBe(0);
    const ci = readFileSync(join(app, 'secrets', 'ci-deploy.token'), 'utf8');
    expect(ci).toMatch(JWT);
    expect(readFileSync(join(app, 'secrets', 'preview-site.env'), 'utf8')).toMatch(/^AGILITY_PREVIEW_TOKEN=eyJ/m);
    expect((await fetch(`${emulatorUrl}/api/v1/users/me`, { headers: { authorization: `Bearer ${ci}` } })).status).toBe(200);

    const status = await bin(['status', '--stack', join('cdktf.out', 'stacks', STACK)], { AGILITY_ACCESS_TOKEN: access_token });
    expect(status.output).toMatch(/ci-deploy \[cdktf:agility-tokens~[0-9a-f]{6}\/g\d+\]/);
    expect(status.code).toBe(0);

    const destroy = await run(process.execPath, [CDKTF, 'destroy', '--auto-approve', STACK], { cwd: app, env: deployEnv });
    expect(destroy.code).toBe(0);
    expect((await fetch(`${emulatorUrl}/api/v1/users/me`, { headers: { authorization: `Bearer ${ci}` } })).status).toBe(401);
    const listed = await bin(['tokens', 'list', '--json', '--api-url', emulatorUrl], { AGILITY_ACCESS_TOKEN: access_token });
    expect(listed.code).toBe(0);
    expect(listed.output).not.toContain('ci-deploy');
    // No secret in anything the deploy printed.
    for (const r of [synth, deploy, status, destroy]) expect(r.output).not.toMatch(JWT);
  });

  describe('the hook program is found from the package, wherever npm or pnpm put it', () => {
    beforeAll(async () => {
      const tsc = await run(process.execPath, [join(app, 'node_modules', 'typescript', 'bin', 'tsc')], { cwd: app, env: env() });
      if (tsc.code !== 0) throw new Error(`tsc failed:\n${tsc.output}`);
    });

    /** Places the installed package and its peers with `place`, synthesizes main.js there, returns the copied hook. */
    async function synthIn(appDir: string, place: (nodeModulesOfPackage: string) => void): Promise<{ result: RunResult; hook?: string }> {
      newApp(appDir, steps, { 'main.js': readFileSync(join(app, 'main.js'), 'utf8') });
      place(join(app, 'node_modules'));
      const result = await run(process.execPath, ['main.js'], { cwd: appDir, env: env() });
      return { result, hook: synthesizedHook(appDir) };
    }

    const link = (target: string, at: string) => {
      mkdirSync(dirname(at), { recursive: true });
      symlinkSync(target, at, 'dir');
    };

    test('a pnpm-style store outside the app, linked into node_modules with the peers beside the package', async () => {
      const store = join(work, 'store', 'node_modules', '.pnpm', `agility-pat-cdktf@${version}`, 'node_modules');
      const appDir = join(work, 'pnpm-app');
      const { result, hook } = await synthIn(appDir, (nm) => {
        cpSync(join(nm, 'agility-pat-cdktf'), join(store, 'agility-pat-cdktf'), { recursive: true });
        for (const peer of ['cdktf', 'constructs']) {
          link(join(nm, peer), join(store, peer));
          link(join(nm, peer), join(appDir, 'node_modules', peer));
        }
        link(join(store, 'agility-pat-cdktf'), join(appDir, 'node_modules', 'agility-pat-cdktf'));
      });
      expect(result.output).toBe('');
      expect(result.code).toBe(0);
      expect(hook && readFileSync(hook)).toEqual(readFileSync(join(store, 'agility-pat-cdktf', 'dist', 'agility-pat.js')));
    });

    test("a workspace member's own node_modules, the peers hoisted to the workspace root", async () => {
      const root = join(work, 'workspace');
      const member = join(root, 'packages', 'infra');
      const { result, hook } = await synthIn(member, (nm) => {
        cpSync(join(nm, 'agility-pat-cdktf'), join(member, 'node_modules', 'agility-pat-cdktf'), { recursive: true });
        for (const peer of ['cdktf', 'constructs']) link(join(nm, peer), join(root, 'node_modules', peer));
      });
      expect(result.code).toBe(0);
      expect(hook && readFileSync(hook)).toEqual(readFileSync(join(member, 'node_modules', 'agility-pat-cdktf', 'dist', 'agility-pat.js')));
    });
  });

  test('a second copy of constructs under the package still synthesizes the same stack', async () => {
    const nested = join(app, 'node_modules', 'agility-pat-cdktf', 'node_modules', 'constructs');
    cpSync(join(app, 'node_modules', 'constructs'), nested, { recursive: true });
    try {
      const probe = await run(
        process.execPath,
        ['-e', "console.log(require.resolve('constructs', { paths: [require.resolve('agility-pat-cdktf')] }))"],
        {
          cwd: app,
          env: env(),
        },
      );
      expect(probe.output.trim()).toBe(join(nested, 'lib', 'index.js'));
      rmSync(join(app, 'cdktf.out'), { recursive: true, force: true });
      const result = await run(process.execPath, ['main.js'], { cwd: app, env: env() });
      expect(result.output).toBe('');
      expect(result.code).toBe(0);
      const tf = JSON.parse(readFileSync(join(app, 'cdktf.out', 'stacks', STACK, 'cdk.tf.json'), 'utf8'));
      expect(Object.keys(tf.resource.terraform_data).length).toBeGreaterThanOrEqual(3);
    } finally {
      rmSync(nested, { recursive: true, force: true });
    }
  });

  test('resourceType null_resource without the optional @cdktf/provider-null fails at synth, saying what to install', async () => {
    const script = `
const { App, TerraformStack } = require('cdktf');
const { AgilityTokenReconciler, AgilityPersonalAccessToken } = require('agility-pat-cdktf');
const stack = new TerraformStack(new App(), 's');
AgilityTokenReconciler.configure(stack, { resourceType: 'null_resource' });
new AgilityPersonalAccessToken(stack, 't', { name: 't' });`;
    const result = await run(process.execPath, ['-e', script], { cwd: app, env: env() });
    expect(result.code).not.toBe(0);
    expect(result.output).toContain('needs the optional peer dependency @cdktf/provider-null');
    expect(result.output).toContain('npm install @cdktf/provider-null');
  });
});

describe('npm install git+file://<a clone> (the prepare path)', () => {
  let work: string;
  afterAll(() => work && rmSync(work, { recursive: true, force: true }));

  test('builds the package on install: the command, the library and a synth work', async () => {
    work = realpathSync(mkdtempSync(join(tmpdir(), 'agility-pat-git-consumer-')));
    const steps = readmeSteps();
    const app = newApp(join(work, 'app'), steps, {
      'main.js': `
const { App, TerraformStack } = require('cdktf');
const { AgilityPersonalAccessToken } = require('agility-pat-cdktf');
const app = new App();
const stack = new TerraformStack(app, '${STACK}');
new AgilityPersonalAccessToken(stack, 'ci-deploy', { name: 'ci-deploy' });
app.synth();`,
    });
    // A clone of this repository's committed HEAD: what `npm install git+https://...` fetches.
    await npmInstall(app, [`git+file://${ROOT}`, 'cdktf@0.21.0', 'constructs@^10.4.2']);
    const installed = join(app, 'node_modules', 'agility-pat-cdktf');
    expect(existsSync(join(installed, 'dist', 'agility-pat.js'))).toBe(true);
    expect(readdirSync(installed).sort()).toEqual(['CHANGELOG.md', 'LICENSE', 'README.md', 'cdktn', 'dist', 'package.json', 'testing']);
    const versionRun = await run(join(app, 'node_modules', '.bin', 'agility-pat'), ['--version'], { cwd: app, env: terraformEnv() });
    expect(versionRun.output.trim()).toBe(version);
    const synth = await run(process.execPath, ['main.js'], { cwd: app, env: terraformEnv() });
    expect(synth.code).toBe(0);
    expect(synthesizedHook(app)).toBeDefined();
  });
});
