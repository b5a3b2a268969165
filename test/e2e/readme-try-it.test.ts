/**
 * The README's "Try it in two minutes" block, run verbatim with bash in a temporary copy of this repository, as a new
 * user runs it in a fresh clone: `npm ci`, the emulator from `npx agility-pat emulator`, `auth login` with a "browser"
 * that follows the sign-in URL, a real `cdktf deploy`, `status` and `cdktf destroy` with Terraform, then `kill %1`.
 * The user is a stranger to the machine: a HOME, XDG_CONFIG_HOME and TMPDIR of its own, no Agility variable, only
 * npm's cache shared (CI reaches the npm registry only, and its `npm ci` filled that cache). The block stops the
 * emulator it started; the test checks that it did, and ends whatever it left running (by pid) if it did not.
 */
import { spawn, execFileSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { requireTerraform, terraformEnv, walk } from '../helpers/e2e';

jest.setTimeout(600_000);

const ROOT = resolve(__dirname, '..', '..');
const JWT = /eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/;

/** The one fenced `sh` block of the README's "## Try it in two minutes" section. */
function tryItBlock(readme = readFileSync(join(ROOT, 'README.md'), 'utf8')): string {
  const start = readme.indexOf('\n## Try it in two minutes\n');
  if (start < 0) throw new Error('README.md has no "## Try it in two minutes" section');
  const end = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, end < 0 ? undefined : end);
  const blocks = [...section.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)];
  if (blocks.length !== 1 || blocks[0][1] !== 'sh')
    throw new Error(`"Try it in two minutes" must hold exactly one sh block, has ${blocks.length}`);
  return blocks[0][2];
}

/** A copy of the repository's files as a fresh clone has them (tracked and new, not ignored): no node_modules, no dist. */
function copyRepository(to: string): void {
  const listed = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' });
  for (const file of new Set(listed.split('\0').filter(Boolean))) {
    const from = join(ROOT, file);
    if (!existsSync(from) || lstatSync(from).isDirectory()) continue; // deleted in the work tree, or a submodule
    mkdirSync(dirname(join(to, file)), { recursive: true });
    copyFileSync(from, join(to, file));
    chmodSync(join(to, file), statSync(from).mode & 0o777);
  }
}

/** Every string in a JSON value that could be a secret (20 characters or more; not a URL, an e-mail or a date). */
function secretLike(value: unknown): string[] {
  if (typeof value === 'string') return value.length >= 20 && !/^https?:|@|^\d{4}-\d\d-\d\dT/.test(value) ? [value] : [];
  if (value !== null && typeof value === 'object') return Object.values(value).flatMap(secretLike);
  return [];
}

/** The entries of npm's npx cache folder (`npx` in a clone links the clone there, one entry per folder). */
function npxEntries(npmCache: string): Set<string> {
  const npx = join(npmCache, '_npx');
  return new Set(existsSync(npx) ? readdirSync(npx).map((e) => join(npx, e)) : []);
}

/** Pids of processes whose environment holds `marker` (the unique HOME): what the block started and left running. */
function processesWith(marker: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/environ`, 'latin1').split('\0').includes(marker)) pids.push(Number(entry));
    } catch {
      // gone, or not ours to read
    }
  }
  return pids;
}

describe('README "Try it in two minutes"', () => {
  let dir: string;
  beforeAll(() => {
    requireTerraform();
    dir = mkdtempSync(join(tmpdir(), 'agility-pat-try-it-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('the block is one sh block that starts the emulator, signs in with a curl "browser", deploys, checks and destroys', () => {
    const block = tryItBlock();
    for (const step of [
      'npm ci',
      'npx agility-pat emulator',
      'BROWSER="curl -fsSL -o /dev/null" npx agility-pat auth login',
      'npx cdktf deploy agility-tokens',
      'npx agility-pat status --stack cdktf.out/stacks/agility-tokens',
      'npx cdktf destroy agility-tokens',
      'kill %1',
    ]) {
      expect(block).toContain(step);
    }
    expect(block).not.toMatch(/node dist\/|AGILITY_ACCESS_TOKEN/);
  });

  test('runs verbatim against the emulator: deploys two delivered tokens, status ok, destroys, stops the emulator', async () => {
    const repo = join(dir, 'agility-pat-cdktf');
    const home = join(dir, 'home');
    const config = join(dir, 'config');
    const tmp = join(dir, 'tmp');
    for (const d of [repo, home, config, tmp]) mkdirSync(d, { recursive: true });
    copyRepository(repo);
    writeFileSync(join(dir, 'try-it.sh'), tryItBlock());
    // The harness around the verbatim block: stop at the first failing step, and stop the emulator (job 1) whatever
    // happens; a SIGTERM from the timeout below runs the EXIT trap too.
    writeFileSync(
      join(dir, 'harness.sh'),
      `trap 'kill %1 2>/dev/null' EXIT\ntrap 'exit 143' TERM\nsource ${JSON.stringify(join(dir, 'try-it.sh'))}\n`,
    );

    const npmCache = execFileSync('npm', ['config', 'get', 'cache'], { encoding: 'utf8' }).trim();
    const npxBefore = npxEntries(npmCache);
    const env = terraformEnv({
      HOME: home,
      XDG_CONFIG_HOME: config,
      TMPDIR: tmp,
      npm_config_cache: npmCache,
      npm_config_prefer_offline: 'true',
      npm_config_update_notifier: 'false',
      npm_config_fund: 'false',
      npm_config_audit: 'false',
    });
    const homeMarker = `HOME=${home}`;

    const started = Date.now();
    const child = spawn('bash', ['-e', join(dir, 'harness.sh')], { cwd: repo, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const timer = setTimeout(() => process.kill(-child.pid!, 'SIGTERM'), 480_000);
    const code = await new Promise<number>((res) => child.on('close', (c, signal) => res(c ?? (signal ? 128 : 1))));
    clearTimeout(timer);
    const seconds = Math.round((Date.now() - started) / 1000);

    // Whatever the block started and left running (the emulator, if `kill %1` failed) is ended here, by pid.
    const leftRunning = processesWith(homeMarker);
    for (const pid of leftRunning) process.kill(pid, 'SIGKILL');
    // The npx cache entry that links this copy: removed, so the shared npm cache keeps nothing of the test.
    for (const entry of npxEntries(npmCache)) {
      const manifest = join(entry, 'package.json');
      if (!npxBefore.has(entry) && existsSync(manifest) && readFileSync(manifest, 'utf8').includes(dir)) {
        rmSync(entry, { recursive: true, force: true });
      }
    }

    if (code !== 0) throw new Error(`the Try it block failed (exit ${code}) after ${seconds} s:\n${output.slice(-6000)}`);
    expect(leftRunning).toEqual([]);
    const apiUrl = /^export AGILITY_API_URL=(http:\/\/127\.0\.0\.1:\d+)$/m.exec(
      readFileSync(join(repo, '.agility-pat', 'emulator.log'), 'utf8'),
    );
    expect(apiUrl).not.toBeNull();
    await expect(fetch(`${apiUrl![1]}/api/v1/types`)).rejects.toThrow();

    // auth login stored the sign-in where the README says, private to the user.
    const credentials = join(config, 'agility-pat', 'credentials.json');
    expect(statSync(credentials).mode & 0o777).toBe(0o600);
    expect(statSync(dirname(credentials)).mode & 0o777).toBe(0o700);
    // Deployed and delivered: the two tokens of main.ts had secrets in their sinks, and status said ok for both.
    const ciSecret = readFileSync(join(repo, 'secrets', 'ci-deploy.token'), 'utf8');
    const previewSecret = /^AGILITY_PREVIEW_TOKEN=(.+)$/m.exec(readFileSync(join(repo, 'secrets', 'preview-site.env'), 'utf8'))?.[1];
    expect(ciSecret).toMatch(JWT);
    expect(previewSecret).toMatch(JWT);
    expect(output).toMatch(/^ci-deploy\s+ci-deploy \[cdktf:agility-tokens~[0-9a-f]{6}\/g\d+\].*\bok$/m);
    expect(output).toMatch(/^preview-site\s+preview-site \[cdktf:agility-tokens~[0-9a-f]{6}\/g0\].*\bok$/m);
    expect(output).toMatch(/Destroy complete! Resources: \d+ destroyed/);

    // No secret the emulator issued (the stored sign-in, the two PATs) in the output, the state or the synthesized stack.
    const issued = [ciSecret, previewSecret!, ...secretLike(JSON.parse(readFileSync(credentials, 'utf8')))];
    expect(issued.length).toBeGreaterThanOrEqual(3);
    const inspected = [
      output,
      ...[...walk(repo, new Set(['node_modules', 'secrets', '.agility-pat']))]
        .filter((f) => /\.(tfstate|json)$/.test(f))
        .map((f) => readFileSync(f, 'utf8')),
    ];
    for (const text of inspected) for (const secret of issued) expect(text.includes(secret)).toBe(false);
    console.log(`README "Try it" block: ${seconds} s`);
  });
});
