/**
 * Many machines, one writer (docs/design.md, "Many machines, one writer"): a laptop and CI runners that share only the
 * Agility account, a file on a shared folder and one GitHub Actions secret (test/helpers/machines.ts), each with its
 * own project folder, TMPDIR (locks) and HOME, and its own GitHub latency. In every scenario two writers race for
 * one token's destinations; afterwards every destination holds a working secret, or `status` exits 20 and the next
 * deploy repairs it: never a dead destination while `status` says all is well.
 *
 * The scenario of the issue: `tokens rotate` on a laptop while CI's apply is delivering the same token, CI's GitHub
 * write slower (0.8 s and 4 s): CI's write lands last, with a secret the laptop revoked. Two deploys that share the
 * Terraform backend are serialised by its lock (test/pg/ci-runners.pg-test.ts, with the same latencies).
 */
import { pendingNameOf } from '../../lib/core/managed-name';
import { startEmulator, type RunningEmulator } from '../../lib/emulator';
import { GitHubStandIn } from '../helpers/github-stand-in';
import { MANAGED, Machine, REPOSITORY, SharedWorld } from '../helpers/machines';
import { requireBundle, type ProgramRun } from '../lifecycle/hook-harness';

jest.setTimeout(180_000);

const LATENCIES_MS = [800, 4_000];
/** The fast machine's GitHub latency. */
const NEAR_MS = 20;

let emulator: RunningEmulator;
let github: GitHubStandIn;
let world: SharedWorld;

beforeAll(() => requireBundle());
beforeEach(async () => {
  // The wall clock: GitHub's updated_at and Agility's createdDate are compared, as in real life.
  emulator = await startEmulator({ host: '127.0.0.1', port: 0 });
  github = await GitHubStandIn.start('ghp_unused_owner_token_0000000000', [REPOSITORY]);
  world = new SharedWorld(emulator, github);
});
afterEach(async () => {
  expect(github.server.violations).toEqual([]);
  expect(world.leaks()).toEqual([]);
  await github.close();
  await emulator.close();
  world.cleanup();
});

/** Resolves when `machine`'s GitHub write (the PUT of the secret) has reached GitHub and is on its way in. */
function githubWriteOnItsWay(machine: Machine): Promise<void> {
  return new Promise((resolve) => {
    github.server.onArrive = (method, _path, authorization) => {
      if (method === 'PUT' && authorization === `Bearer ${machine.githubToken}`) resolve();
    };
  });
}

/**
 * The property after a race: every destination works, or `status` (on any machine) exits 20; then the next deploy of
 * `repairer` leaves every destination working and `status` at 0. Returns what was seen right after the race.
 */
async function expectWorkingOrReportedThenRepaired(observer: Machine, repairer: Machine) {
  const after = await world.destinations();
  const status = await observer.status();
  if (!after.file || !after.github) expect(status.code).toBe(20);
  if (status.code === 20) {
    const next = await repairer.deploy();
    expect(next.runs.map((r) => r.stderr).join('')).toBe('');
    expect(next.ok).toBe(true);
  }
  expect(await world.destinations()).toEqual({ file: true, github: true });
  const finalStatus = await observer.status();
  expect(finalStatus.report.tokens[0]!.verdicts).toEqual(['ok']);
  expect(finalStatus.code).toBe(0);
  return { after, status };
}

/** A failed run that lost the race: SUPERSEDED (exit 17), and its message's promise is about the next deploy. */
function expectConceded(run: ProgramRun): void {
  expect(run.code).toBe(17);
  expect(run.stderr).toMatch(/\[SUPERSEDED\] "app \[cdktf:prod~abcdef\/g12\]" \(.*\) was revoked by another writer/);
  expect(run.stderr).toMatch(/agility-pat status exits 20 until the next run of its create hook/);
}

describe.each(LATENCIES_MS)('CI reaching GitHub in %i ms, the laptop in 20 ms', (latencyMs) => {
  it('rotate vs deploy: tokens rotate on the laptop while CI delivers the same token', async () => {
    const ci = world.machine('ci', latencyMs);
    const laptop = world.machine('laptop', NEAR_MS);
    const written = githubWriteOnItsWay(ci);
    const deploy = ci.deploy();
    await written;
    const rotate = await laptop.rotate();
    const deployed = await deploy;

    // The laptop revoked CI's pending token first, so CI loses. Whether the laptop's GitHub write landed before CI's
    // cannot be known by CI, so CI also revokes a laptop token still pending when CI concedes: then both lose (the
    // shorter latency), status says missing and the next deploy creates one. At 4 s the laptop has long finished.
    expect(deployed.ok).toBe(false);
    expectConceded(deployed.runs.at(-1)!);
    if (rotate.code !== 0) expectConceded(rotate);
    if (latencyMs >= 4_000) expect(rotate.code).toBe(0);
    const { after, status } = await expectWorkingOrReportedThenRepaired(laptop, ci);
    if (latencyMs >= 4_000) {
      // The failure of the issue, caught: the GitHub secret was dead, and status said so.
      expect(after.github).toBe(false);
      expect(status.code).toBe(20);
      expect(status.report.tokens[0]!.verdicts).toEqual(['undelivered']);
    }
  });

  it('revoke vs deploy: the laptop revokes the token CI is delivering', async () => {
    const ci = world.machine('ci', latencyMs);
    const laptop = world.machine('laptop', NEAR_MS);
    const written = githubWriteOnItsWay(ci);
    const deploy = ci.deploy();
    await written;
    const revoke = await laptop.revoke(pendingNameOf(MANAGED));
    expect(revoke.code).toBe(0);
    const deployed = await deploy;

    expect(deployed.ok).toBe(false);
    expectConceded(deployed.runs.at(-1)!);
    const { after, status } = await expectWorkingOrReportedThenRepaired(laptop, ci);
    expect(after.github).toBe(false);
    expect(status.report.tokens[0]!.verdicts).toEqual(['missing']);
  });

  it('deploy vs deploy without a shared lock: a second CI system deploys while the first delivers', async () => {
    const slow = world.machine('ci-a', latencyMs);
    const fast = world.machine('ci-b', NEAR_MS);
    const written = githubWriteOnItsWay(slow);
    const first = slow.deploy();
    await written;
    const second = await fast.deploy();
    const firstResult = await first;

    // The second revoked the first's pending token: the first loses; the second too when it was still pending as the
    // first conceded (see above).
    expect(firstResult.ok).toBe(false);
    expectConceded(firstResult.runs.at(-1)!);
    if (!second.ok) expectConceded(second.runs.at(-1)!);
    if (latencyMs >= 4_000) expect(second.ok).toBe(true);
    await expectWorkingOrReportedThenRepaired(fast, slow);
  });
});
