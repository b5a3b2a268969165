/**
 * The scheduled CI deploy of docs/ci-example/agility-pat-deploy.yml, run as GitHub would: each run on a fresh
 * "runner" folder (a copy of the compiled example app, node_modules linked, no cdktf.out and no state), the step's
 * `env:` and `run:` block taken from the workflow file, the real `agility-pat auth refresh`, `npx cdktf deploy` with
 * real Terraform and `agility-pat status`, against the in-process emulator. Runners share only the state backend, the
 * emulator and a stand-in for GitHub's secret store. Only `gh` is a stand-in (a script on PATH that checks its argv
 * and environment and stores the value it reads on stdin, never printing it).
 *
 * `describeScheduledDeploys` defines the same tests for every backend: test/e2e/ci-runners.test.ts (a local state
 * file outside the runners) and test/pg/ci-runners.pg-test.ts (Terraform's pg backend on a PostgreSQL server).
 */
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { Duration } from '../../lib/core/duration';
import { stackTag } from '../../lib/core/managed-name';
import { resolveTokenSpec } from '../../lib/core/token-spec';
import { startEmulator, type RunningEmulator } from '../../lib/emulator';
import { EmulatorAdmin, requireTerraform, run, terraformEnv, walk, type RunResult } from './e2e';

export const ROOT = resolve(__dirname, '..', '..');
export const WORKFLOW = join(ROOT, 'docs', 'ci-example', 'agility-pat-deploy.yml');
const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
// A JWT: three base64url parts, the first two JSON objects ("eyJ" is base64 for '{"').
const JWT = /eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/;
/** The repository the workflow runs in (`github.repository`). */
const REPOSITORY = 'example-org/example-site';
/** The Actions secrets main.ts delivers to. */
export const CI_SECRET = 'AGILITY_CI_DEPLOY_TOKEN';
export const PREVIEW_SECRET = 'AGILITY_PREVIEW_TOKEN';

/** The deploy step of the workflow: its environment (job's, then step's, expressions unexpanded) and its script. */
export interface WorkflowStep {
  env: Record<string, string>;
  script: string;
}

/** The text between `# BEGIN agility-pat-ci` and `# END agility-pat-ci`: the deploy step's `env:` and `run:`. */
export function deployStepText(text = readFileSync(WORKFLOW, 'utf8')): string {
  const block = /# BEGIN agility-pat-ci[^\n]*\n([\s\S]*?)\n\s*# END agility-pat-ci/.exec(text);
  if (!block) throw new Error(`${WORKFLOW} has no "# BEGIN agility-pat-ci ... # END agility-pat-ci" block`);
  return block[1];
}

/** Reads the job `env:` and the step between `# BEGIN agility-pat-ci` and `# END agility-pat-ci`. */
export function workflowStep(text = readFileSync(WORKFLOW, 'utf8')): WorkflowStep {
  const [envPart, runPart] = deployStepText(text).split(/\n\s*run: \|\n/);
  if (runPart === undefined) throw new Error('the agility-pat-ci block has no "run: |"');
  const lines = runPart.split('\n');
  const indent = Math.min(...lines.filter((l) => l.trim()).map((l) => /^ */.exec(l)![0].length));
  const jobEnv = /\n {4}env:\n((?: {6}.*\n)+)/.exec(text)?.[1] ?? '';
  const env: Record<string, string> = {};
  for (const part of [jobEnv, envPart]) {
    for (const m of part.matchAll(/^\s+([A-Z][A-Z0-9_]*): (.+)$/gm)) env[m[1]] = m[2].replace(/^'(.*)'$/, '$1');
  }
  return { env, script: lines.map((l) => l.slice(indent)).join('\n') };
}

/** Expands the `${{ ... }}` expressions the step uses; any other expression is an error, so the test keeps up. */
function expand(value: string, secrets: Record<string, string>): string {
  return value.replace(/\$\{\{\s*(.+?)\s*\}\}/g, (_, expr: string) => {
    const secret = /^secrets\.([A-Z_][A-Z0-9_]*)$/.exec(expr);
    if (secret) {
      if (!(secret[1] in secrets)) throw new Error(`the workflow reads secrets.${secret[1]}, which the test does not provide`);
      return secrets[secret[1]];
    }
    if (expr === 'github.repository') return REPOSITORY;
    const withDefault = /^vars\.[A-Z_]+ \|\| '(.*)'$/.exec(expr);
    if (withDefault) return withDefault[1];
    throw new Error(`the test cannot expand \${{ ${expr} }} of the workflow`);
  });
}

/** Where Terraform keeps the state between runners; `forget` loses it (a new workspace, a lost file, a wiped table). */
export interface StateBackend {
  /** Variables that point main.ts at the backend, over the workflow's (a local backend replaces `pg`). */
  readonly env: Record<string, string>;
  /** Values of the workflow's `secrets.*` the backend provides (PG_CONN_STR). */
  readonly secrets: Record<string, string>;
  /** Everything the backend stores, to scan for secrets. */
  dump(): Promise<string>;
  forget(): Promise<void>;
  /** Values that must never be written into a runner's folder (a database password). */
  readonly confidential: readonly string[];
}

/**
 * The GitHub side of the runs: a `gh` stand-in per runner and the secret store they write to (one file per secret,
 * mode 0600, outside every runner, as Actions secrets outlive runners).
 */
export class FakeGitHub {
  readonly dir = mkdtempSync(join(tmpdir(), 'agility-pat-github-'));
  readonly store = join(this.dir, 'secrets');

  constructor() {
    mkdirSync(this.store, { mode: 0o700 });
  }

  secret(name: string): string | undefined {
    const file = join(this.store, name);
    return existsSync(file) ? readFileSync(file, 'utf8') : undefined;
  }

  /**
   * Writes `<binDir>/gh`: accepts only `gh secret set NAME --repo OWNER/REPO` with GH_TOKEN set, refuses to run with
   * the refresh token in its environment (or, called by a hook, the OAuth access token), stores stdin, logs the
   * argv to `<logFile>`. While `<dir>/hold.armed` exists, a call from a hook waits for `<dir>/hold.release` after
   * writing `<dir>/hold.waiting.<NAME>` (the lock test keeps a deploy inside its apply that way). Each write lands
   * `latencySeconds` after it is sent.
   */
  install(binDir: string, logFile: string, latencySeconds = 0): void {
    mkdirSync(binDir, { recursive: true });
    const d = this.dir;
    const script = `#!/bin/sh
set -eu
printf '%s\\n' "$*" >> '${logFile}'
if [ "$#" -ne 5 ] || [ "$1" != secret ] || [ "$2" != set ] || [ "$4" != --repo ]; then
  echo "gh stand-in: expected: gh secret set NAME --repo OWNER/REPO" >&2; exit 2
fi
case "$3" in ''|*[!A-Z0-9_]*) echo "gh stand-in: bad secret name" >&2; exit 2 ;; esac
case "$5" in */*) ;; *) echo "gh stand-in: --repo must be OWNER/REPO" >&2; exit 2 ;; esac
[ -n "\${GH_TOKEN:-}" ] || { echo "gh stand-in: GH_TOKEN is not set" >&2; exit 4; }
[ -z "\${AGILITY_REFRESH_TOKEN+set}" ] || { echo "gh stand-in: the refresh token is in gh's environment" >&2; exit 5; }
if [ -n "\${AGILITY_PAT_MANAGED_NAME:-}" ] && [ -n "\${AGILITY_ACCESS_TOKEN+set}" ]; then
  echo "gh stand-in: the OAuth access token reached a sink's environment" >&2; exit 5
fi
umask 077
cat > '${this.store}'/"$3.tmp.$$"
[ -s '${this.store}'/"$3.tmp.$$" ] || { echo "gh stand-in: no value on stdin" >&2; exit 3; }
# This runner's distance to GitHub: the write lands this long after it was sent.
sleep ${latencySeconds}
if [ -n "\${AGILITY_PAT_MANAGED_NAME:-}" ] && [ -e '${d}/hold.armed' ]; then
  : > '${d}/hold.waiting.'"$3"
  while [ ! -e '${d}/hold.release' ]; do sleep 0.2; done
fi
mv '${this.store}'/"$3.tmp.$$" '${this.store}'/"$3"
`;
    writeFileSync(join(binDir, 'gh'), script);
    chmodSync(join(binDir, 'gh'), 0o755);
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A fresh runner: the compiled example app (dist/, cdktf.json, package.json), node_modules linked, nothing else. */
export class Runner {
  readonly dir = mkdtempSync(join(tmpdir(), 'agility-pat-runner-'));
  readonly bin = join(this.dir, '.runner', 'bin');
  readonly ghLog = join(this.dir, '.runner', 'gh-argv.log');

  constructor(github: FakeGitHub, githubLatencySeconds = 0) {
    cpSync(join(ROOT, 'dist'), join(this.dir, 'work', 'dist'), { recursive: true });
    for (const f of ['cdktf.json', 'package.json']) cpSync(join(ROOT, f), join(this.dir, 'work', f));
    symlinkSync(join(ROOT, 'node_modules'), join(this.dir, 'work', 'node_modules'));
    mkdirSync(join(this.dir, '.runner', 'temp'), { recursive: true });
    mkdirSync(join(this.dir, '.runner', 'home'));
    github.install(this.bin, this.ghLog, githubLatencySeconds);
  }

  get work(): string {
    return join(this.dir, 'work');
  }

  ghCalls(): string[] {
    return existsSync(this.ghLog) ? readFileSync(this.ghLog, 'utf8').split('\n').filter(Boolean) : [];
  }

  /** Runs the workflow's deploy step with bash, as of `now`, with the given Actions secrets. */
  async runStep(opts: { now: number; emulatorUrl: string; secrets: Record<string, string>; backend: StateBackend }): Promise<RunResult> {
    const step = workflowStep();
    const env: NodeJS.ProcessEnv = {};
    for (const [name, value] of Object.entries(step.env)) env[name] = expand(value, opts.secrets);
    Object.assign(env, opts.backend.env, {
      AGILITY_API_URL: opts.emulatorUrl,
      AGILITY_PAT_NOW: new Date(opts.now).toISOString(),
    });
    const full = terraformEnv({
      ...env,
      PATH: `${this.bin}:${process.env.PATH}`,
      HOME: join(this.dir, '.runner', 'home'),
      RUNNER_TEMP: join(this.dir, '.runner', 'temp'),
      CI: 'true',
      GITHUB_ACTIONS: 'true',
      GITHUB_REPOSITORY: REPOSITORY,
      npm_config_update_notifier: 'false',
    });
    const result = await run('bash', ['-c', step.script], { cwd: this.work, env: full, timeoutMs: 400_000 });
    // Without Terraform's colours, which cdktf passes on.
    return { ...result, output: result.output.replace(/\x1b\[[0-9;]*m/g, '') };
  }

  /** Files of the runner (node_modules and Terraform's providers aside) that hold a secret or a JWT-shaped value. */
  leaks(secrets: readonly string[]): string[] {
    const hits: string[] = [];
    for (const file of walk(this.dir, new Set(['node_modules', 'providers']))) {
      const text = readFileSync(file, 'latin1');
      if (secrets.some((s) => s !== '' && text.includes(s)) || JWT.test(text)) hits.push(relative(this.dir, file));
    }
    return hits;
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * A run instant one hour after ci-deploy's generation starts, so day 2 (one day later) is the same generation and
 * day 31 (30 days later, the rotation period) is exactly the next one. The anchor derives from the stack tag and the
 * token name, as the construct's does.
 */
export function firstRunInstant(): number {
  const namespace = (JSON.parse(readFileSync(join(ROOT, 'cdktf.json'), 'utf8')) as { projectId: string }).projectId;
  const { spec } = resolveTokenSpec(
    {
      declaredName: 'ci-deploy',
      stackTag: stackTag('agility-tokens', namespace),
      rotation: { every: Duration.days(30) },
      sinks: [],
      constructPath: 'agility-tokens/ci-deploy',
    },
    Date.parse('2026-12-01T00:00:00Z'),
  );
  return Date.parse(spec.nextRotation!) + HOUR_MS;
}

/** Token-changing calls (anything but a list). */
function changes(calls: readonly string[]): string[] {
  return calls.filter((c) => !c.startsWith('GET '));
}

/** Creations and deletions. */
function createsAndDeletes(calls: readonly string[]): string[] {
  return calls.filter((c) => /^(POST \/api\/v1\/tokens\/create|DELETE) /.test(c));
}

/** How many live tokens carry each name (a duplicate shows as 2). */
async function liveNames(emulator: RunningEmulator, accessToken: string): Promise<Record<string, number>> {
  const res = await fetch(`${emulator.url}/api/v1/tokens/list`, { headers: { authorization: `Bearer ${accessToken}` } });
  if (!res.ok) throw new Error(`listing tokens answered ${res.status}: ${await res.text()}`);
  const body = (await res.json()) as { tokens: { name: string; isExpired: boolean }[] };
  const counts: Record<string, number> = {};
  for (const t of body.tokens.filter((x) => !x.isExpired)) counts[t.name] = (counts[t.name] ?? 0) + 1;
  return counts;
}

/** Fails with the end of the run's output (which never holds a secret: the tests check) unless it exited 0 and `status` found nothing to do. */
function expectSucceeded(result: RunResult): void {
  if (result.code !== 0 || !/Nothing needs action\./.test(result.output)) {
    throw new Error(`the deploy step exited ${result.code}; the end of its output:\n${result.output.slice(-4000)}`);
  }
}

/** Waits until `file` exists, failing when `gaveUp()` says the awaited process is gone or after `ms`. */
async function waitForFile(file: string, gaveUp: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!existsSync(file)) {
    if (gaveUp()) throw new Error(`gave up waiting for ${file}: the process that should write it ended`);
    if (Date.now() > deadline) throw new Error(`${file} did not appear within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * The tests of the scheduled deploy for one kind of backend. `makeBackend` gives a fresh, empty backend per test.
 */
export function describeScheduledDeploys(
  name: string,
  makeBackend: () => Promise<StateBackend>,
  options: {
    /** GitHub latencies (seconds) at which two CI systems deploy at once (docs/design.md, "Many machines, one writer"). */
    readonly racingLatencies?: readonly number[];
  } = {},
): void {
  describe(`scheduled CI deploys from fresh runners, state in ${name}`, () => {
    let emulator: RunningEmulator;
    let admin: EmulatorAdmin;
    let github: FakeGitHub;
    let backend: StateBackend;
    const runners: Runner[] = [];
    const T0 = firstRunInstant();
    const EMAIL = 'ci-owner@example.com';

    beforeAll(() => {
      requireTerraform();
      if (!existsSync(join(ROOT, 'dist', 'main.js')) || !existsSync(join(ROOT, 'dist', 'agility-pat.js'))) {
        throw new Error('dist/ is not built: run `npm run build` first (npm test does).');
      }
    });
    beforeEach(async () => {
      emulator = await startEmulator({ host: '127.0.0.1', port: 0, now: T0 });
      admin = new EmulatorAdmin(emulator);
      github = new FakeGitHub();
      backend = await makeBackend();
    });
    afterEach(async () => {
      await emulator.close();
      github.cleanup();
      runners.splice(0).forEach((r) => r.cleanup());
    });

    const newRunner = (githubLatencySeconds = 0): Runner => {
      const r = new Runner(github, githubLatencySeconds);
      runners.push(r);
      return r;
    };

    /** One scheduled run on a fresh runner at `now`, with the refresh token the previous run saved. */
    async function scheduledRun(now: number, refreshToken = github.secret('AGILITY_REFRESH_TOKEN')) {
      await admin.setClock(new Date(now).toISOString());
      await admin.clearRequests();
      const runner = newRunner();
      const result = await runner.runStep({
        now,
        emulatorUrl: emulator.url,
        secrets: { AGILITY_REFRESH_TOKEN: refreshToken!, SECRETS_WRITER_TOKEN: 'github-pat-stand-in', ...backend.secrets },
        backend,
      });
      const calls = await admin.tokenCalls();
      return { runner, result, calls };
    }

    /** Nothing a run left or printed holds an issued secret, the backend's password, or a JWT; nor does the state. */
    async function expectNoLeaks(runs: { runner: Runner; result: RunResult }[]): Promise<void> {
      const secrets = [...emulator.issuedSecrets(), ...backend.confidential];
      for (const { runner, result } of runs) {
        expect(runner.leaks(secrets)).toEqual([]);
        expect(secrets.filter((s) => result.output.includes(s))).toEqual([]);
        expect(JWT.test(result.output)).toBe(false);
      }
      const state = await backend.dump();
      expect(emulator.issuedSecrets().filter((s) => state.includes(s))).toEqual([]);
    }

    const firstRefreshToken = async (now: number): Promise<string> => {
      await admin.setClock(new Date(now).toISOString());
      return (await emulator.signIn(EMAIL)).refresh_token!;
    };

    test('day 1 creates and delivers to GitHub secrets, day 2 changes nothing, day 31 replaces exactly one slot', async () => {
      // Day 1: a fresh runner with an empty backend creates both tokens and delivers them to the repository's secrets.
      const day1 = await scheduledRun(T0, await firstRefreshToken(T0));
      expectSucceeded(day1.result);
      expect(day1.result.output).not.toContain('[agility-pat:ephemeral-sink]');
      expect(createsAndDeletes(day1.calls)).toEqual(['POST /api/v1/tokens/create 201', 'POST /api/v1/tokens/create 201']);
      const ciSecret = github.secret(CI_SECRET)!;
      const previewSecret = github.secret(PREVIEW_SECRET)!;
      expect(await admin.authenticates(ciSecret)).toBe(true);
      expect(await admin.authenticates(previewSecret)).toBe(true);
      expect(day1.runner.ghCalls()).toEqual(
        expect.arrayContaining([
          `secret set AGILITY_REFRESH_TOKEN --repo ${REPOSITORY}`,
          `secret set ${CI_SECRET} --repo ${REPOSITORY}`,
          `secret set ${PREVIEW_SECRET} --repo ${REPOSITORY}`,
        ]),
      );
      const access = (await emulator.signIn(EMAIL)).access_token!;
      const afterDay1 = await liveNames(emulator, access);
      expect(Object.values(afterDay1)).toEqual([1, 1]);

      // Day 2: another fresh runner, the same state backend. Terraform plans no slot change: no create, no delete;
      // the only token calls are the reconciler's daily drift check (one list) and `status` (one list).
      const day2 = await scheduledRun(T0 + DAY_MS);
      expectSucceeded(day2.result);
      expect(day2.calls).toEqual(['GET /api/v1/tokens/list 200', 'GET /api/v1/tokens/list 200']);
      expect(day2.result.output).not.toMatch(/slot\d+[^\n]*must be replaced/);
      expect(github.secret(CI_SECRET)).toBe(ciSecret);
      expect(await liveNames(emulator, (await emulator.signIn(EMAIL)).access_token!)).toEqual(afterDay1);

      // The consumers use their tokens during the month (status would call them unused otherwise).
      const day31 = T0 + 30 * DAY_MS;
      await admin.setClock(new Date(day31).toISOString());
      expect(await admin.authenticates(github.secret(CI_SECRET)!)).toBe(true);
      expect(await admin.authenticates(github.secret(PREVIEW_SECRET)!)).toBe(true);

      // Day 31: ci-deploy's next generation starts. One slot is replaced: one token created and delivered, the
      // previous generation kept live for slow consumers, nothing revoked.
      const rotation = await scheduledRun(day31);
      expectSucceeded(rotation.result);
      const replaced = [...rotation.result.output.matchAll(/# (\S*slot\d+)[^\n]*must be replaced/g)].map((m) => m[1]);
      expect(new Set(replaced).size).toBe(1);
      expect(createsAndDeletes(rotation.calls)).toEqual(['POST /api/v1/tokens/create 201']);
      const rotated = github.secret(CI_SECRET)!;
      expect(rotated).not.toBe(ciSecret);
      expect(await admin.authenticates(rotated)).toBe(true);
      expect(await admin.authenticates(ciSecret)).toBe(true);
      expect(github.secret(PREVIEW_SECRET)).toBe(previewSecret);
      const access31 = (await emulator.signIn(EMAIL)).access_token!;
      const afterDay31 = await liveNames(emulator, access31);
      expect(Object.values(afterDay31)).toEqual([1, 1, 1]);
      expect(Object.keys(afterDay31).filter((n) => n.startsWith('ci-deploy '))).toHaveLength(2);

      await expectNoLeaks([day1, day2, rotation]);
    });

    // Needs the lifecycle's adoption of delivered tokens (tokens created under a pending name, renamed after
    // delivery): until it is merged, each create hook revokes the live token and creates another, and this fails.
    test('a fresh state adopts delivered tokens: deleting the state between two deploys makes no create or delete call', async () => {
      const day1 = await scheduledRun(T0, await firstRefreshToken(T0));
      expectSucceeded(day1.result);
      const ciSecret = github.secret(CI_SECRET);
      await backend.forget();
      const again = await scheduledRun(T0 + HOUR_MS);
      expect(createsAndDeletes(again.calls)).toEqual([]);
      expectSucceeded(again.result);
      expect(github.secret(CI_SECRET)).toBe(ciSecret);
    });

    test('two concurrent deploys: the backend lock lets one through, the other fails clearly and touches no token', async () => {
      // Two runs at once (say a scheduled run and a manual one from another workflow): each has its own session.
      const refreshA = await firstRefreshToken(T0);
      const refreshB = (await emulator.signIn(EMAIL)).refresh_token!;
      await admin.clearRequests();
      writeFileSync(join(github.dir, 'hold.armed'), '');
      const runnerA = newRunner();
      const runnerB = newRunner();
      const secrets = (refresh: string) => ({
        AGILITY_REFRESH_TOKEN: refresh,
        SECRETS_WRITER_TOKEN: 'github-pat-stand-in',
        ...backend.secrets,
      });
      let aDone = false;
      const a = runnerA.runStep({ now: T0, emulatorUrl: emulator.url, secrets: secrets(refreshA), backend }).finally(() => (aDone = true));
      // A is inside its apply, holding the state lock: both its tokens are created, each hook waits in its delivery.
      for (const secret of [CI_SECRET, PREVIEW_SECRET]) await waitForFile(join(github.dir, `hold.waiting.${secret}`), () => aDone, 240_000);
      const createsBeforeB = changes(await admin.tokenCalls());

      const b = await runnerB.runStep({ now: T0, emulatorUrl: emulator.url, secrets: secrets(refreshB), backend });
      expect(b.code).not.toBe(0);
      expect(b.output).toMatch(/Error acquiring the state lock/);
      expect(changes(await admin.tokenCalls())).toEqual(createsBeforeB);
      expect(runnerB.ghCalls()).toEqual([`secret set AGILITY_REFRESH_TOKEN --repo ${REPOSITORY}`]);

      writeFileSync(join(github.dir, 'hold.release'), '');
      const resultA = await a;
      expectSucceeded(resultA);
      expect(createsAndDeletes(await admin.tokenCalls())).toEqual(['POST /api/v1/tokens/create 201', 'POST /api/v1/tokens/create 201']);
      const access = (await emulator.signIn(EMAIL)).access_token!;
      expect(Object.values(await liveNames(emulator, access))).toEqual([1, 1]);
      expect(await admin.authenticates(github.secret(CI_SECRET)!)).toBe(true);
      await expectNoLeaks([
        { runner: runnerA, result: resultA },
        { runner: runnerB, result: b },
      ]);
    });

    // Two CI systems (say a scheduled workflow and another pipeline) deploy the stack at once, one far from GitHub: the
    // backend's lock orders them; afterwards every secret works, or status exits 20 and the next deploy repairs it.
    // Only for backends that name latencies (the pg suite): jest refuses an empty table.
    const racing = options.racingLatencies ?? [];
    (racing.length > 0 ? test.each(racing) : () => undefined)(
      'two CI systems deploy at once, one %s s from GitHub: working secrets, or status 20 and repaired',
      async (latency) => {
        const refreshA = await firstRefreshToken(T0);
        const refreshB = (await emulator.signIn(EMAIL)).refresh_token!;
        const secrets = (refresh: string) => ({
          AGILITY_REFRESH_TOKEN: refresh,
          SECRETS_WRITER_TOKEN: 'github-pat-stand-in',
          ...backend.secrets,
        });
        const far = newRunner(latency);
        const near = newRunner();
        const [a, b] = await Promise.all([
          far.runStep({ now: T0, emulatorUrl: emulator.url, secrets: secrets(refreshA), backend }),
          near.runStep({ now: T0, emulatorUrl: emulator.url, secrets: secrets(refreshB), backend }),
        ]);
        // At most one got through; the other failed on the lock (or both ran one after the other).
        for (const r of [a, b]) if (r.code !== 0) expect(r.output).toMatch(/Error acquiring the state lock|Needs action/);
        const works = async () =>
          (await admin.authenticates(github.secret(CI_SECRET) ?? 'none')) &&
          (await admin.authenticates(github.secret(PREVIEW_SECRET) ?? 'none'));
        if (!(await works())) {
          // A dead secret is never left while the run that wrote it says all is well: its status step exited 20, or it failed.
          expect([a, b].every((r) => r.code !== 0 || /Needs action/.test(r.output))).toBe(true);
        }
        const next = await scheduledRun(T0 + HOUR_MS);
        expectSucceeded(next.result);
        expect(await works()).toBe(true);
        await expectNoLeaks([{ runner: far, result: a }, { runner: near, result: b }, next]);
      },
    );
  });
}
