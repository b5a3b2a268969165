import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import statusReportSchema from '../../lib/schemas/status-report.schema.json';
import { main } from '../../lib/cli/main';
import type { StatusReport } from '../../lib/ops';
import { call, createToken, useEmulator } from '../emulator/support';
import { requireBundle } from '../lifecycle/hook-harness';
import {
  CREDENTIAL_ENV,
  DAY_MS,
  T0,
  T0_MS,
  TAG,
  captureContext,
  deploy,
  manifestOf,
  programEnv,
  runBundle,
  setEmulatorNow,
  usePat,
  writeStack,
  type Decl,
} from './support';

const emulator = useEmulator({ now: T0 });
let dir: string;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'agility-pat-status-'));
  await setEmulatorNow(emulator(), T0_MS);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Deploys `decls` at T0 and writes the stack; returns the stack folder and the PAT secrets. */
async function deployed(decls: Decl[]) {
  const emu = emulator();
  const { access_token } = await emu.signIn();
  const manifest = manifestOf(emu.url, decls);
  const stackDir = writeStack(dir, manifest);
  const secrets = await deploy(emu, access_token!, manifest, stackDir);
  return { manifest, secrets, stackDir };
}

/** Runs `status` in-process at `nowMs` with a fresh OAuth session (access tokens live an hour). */
async function status(stackDir: string, nowMs: number, extra: string[] = []) {
  const emu = emulator();
  await setEmulatorNow(emu, nowMs);
  const { access_token } = await emu.signIn();
  const cap = captureContext({ [CREDENTIAL_ENV]: access_token! }, nowMs, dir);
  const code = await main(['status', '--stack', stackDir, '--json', ...extra], cap.ctx);
  expect(cap.stderr()).toBe('');
  return { code, report: JSON.parse(cap.stdout()) as StatusReport };
}

const verdictsOf = (r: StatusReport) => Object.fromEntries(r.tokens.map((t) => [t.declaredName, t.verdicts]));

describe('status verdicts from real situations', () => {
  it('says ok for every declared token right after a deploy, and exits 0', async () => {
    const { stackDir } = await deployed(['rotating', 'fixed-long', 'default']);
    const { code, report } = await status(stackDir, T0_MS + 60_000);
    expect(verdictsOf(report)).toEqual({ 'ci-deploy': ['ok'], webhook: ['ok'], reporting: ['ok'] });
    expect(report.needsAction).toBe(false);
    expect(code).toBe(0);
    const ci = report.tokens.find((t) => t.declaredName === 'ci-deploy')!;
    expect(ci.generation).toBe(1);
    expect(ci.managedName).toBe(`ci-deploy [cdktf:${TAG}/g1]`);
    expect(ci.retained).toMatchObject({ managedName: `ci-deploy [cdktf:${TAG}/g0]`, generation: 0, live: true, lastUsedDate: null });
    expect(ci.retained!.tokenID).toEqual(expect.any(String));
    expect(report.limits.activeTokens).toEqual({ used: 4, limit: 10 });
    expect(report.limits.creationsLastHour).toEqual({ used: 4, limit: 5, lowerBound: true });
  });

  it('says rotation-due once the clock passes the rotation boundary, not before', async () => {
    const { stackDir, secrets } = await deployed(['rotating']);
    // A consumer uses the current secret only (using the retained one too would be stale-consumer).
    const useAll = () => usePat(emulator(), secrets.get(`ci-deploy [cdktf:${TAG}/g1]`)!);
    await setEmulatorNow(emulator(), T0_MS + 14 * DAY_MS);
    await useAll();
    const before = await status(stackDir, T0_MS + 14 * DAY_MS);
    expect(before.report.tokens[0].verdicts).toEqual(['ok']);
    expect(before.report.tokens[0].rotationDueAt).toBe(new Date(T0_MS + 15 * DAY_MS).toISOString());

    await setEmulatorNow(emulator(), T0_MS + 16 * DAY_MS);
    await useAll();
    const after = await status(stackDir, T0_MS + 16 * DAY_MS);
    expect(after.report.tokens[0].verdicts).toEqual(['rotation-due']);
    expect(after.report.tokens[0].notes[0]).toMatch(/run cdktf deploy/);
    expect(after.code).toBe(20);
  });

  it('says rotation-due when a newer generation is live than the synthesized stack holds', async () => {
    const { stackDir, manifest } = await deployed(['rotating']);
    const { access_token } = await emulator().signIn();
    // Another machine deployed generation 2 and revoked generation 0.
    await createToken(emulator(), access_token!, `ci-deploy [cdktf:${TAG}/g2]`);
    const listed = (await call(emulator(), 'GET', '/api/v1/tokens/list', { token: access_token })).body.tokens;
    const g0 = listed.find((t: { name: string }) => t.name === manifest.tokens[0].live.find((l) => l.generation === 0)!.managedName);
    await call(emulator(), 'DELETE', `/api/v1/tokens/${g0.tokenID}/delete`, { token: access_token });
    const { report, code } = await status(stackDir, T0_MS + 60_000);
    expect(report.tokens[0].verdicts).toEqual(['rotation-due']);
    expect(report.orphaned).toEqual([]);
    expect(code).toBe(20);
  });

  it('says missing for a token revoked through the API', async () => {
    const { stackDir } = await deployed(['fixed-long', 'default']);
    const { access_token } = await emulator().signIn();
    const listed = (await call(emulator(), 'GET', '/api/v1/tokens/list', { token: access_token })).body.tokens;
    const webhook = listed.find((t: { name: string }) => t.name.startsWith('webhook '));
    expect((await call(emulator(), 'DELETE', `/api/v1/tokens/${webhook.tokenID}/delete`, { token: access_token })).status).toBe(204);
    const { report, code } = await status(stackDir, T0_MS + 60_000);
    expect(verdictsOf(report)).toEqual({ webhook: ['missing'], reporting: ['ok'] });
    expect(report.tokens.find((t) => t.declaredName === 'webhook')!.token).toBeNull();
    expect(code).toBe(20);
  });

  it('says orphaned for a deployed token whose construct was removed (a manifest without it)', async () => {
    const emu = emulator();
    await deployed(['fixed-long', 'default']);
    const stackDir = writeStack(dir, manifestOf(emu.url, ['default']));
    const { report, code } = await status(stackDir, T0_MS + 60_000);
    expect(verdictsOf(report)).toEqual({ reporting: ['ok'] });
    expect(report.orphaned.map((o) => [o.name, o.verdict, o.declaredName])).toEqual([[`webhook [cdktf:${TAG}/g0]`, 'orphaned', 'webhook']]);
    expect(report.needsAction).toBe(true);
    expect(code).toBe(20);
  });

  it('says never-used for a PAT no consumer used in 40 days, and not for one used yesterday', async () => {
    const { stackDir, secrets } = await deployed(['fixed-long', 'default']);
    await setEmulatorNow(emulator(), T0_MS + 39 * DAY_MS);
    await usePat(emulator(), secrets.get(`reporting [cdktf:${TAG}/g0]`)!);
    const { report, code } = await status(stackDir, T0_MS + 40 * DAY_MS);
    expect(verdictsOf(report)).toEqual({ webhook: ['never-used'], reporting: ['ok'] });
    const webhook = report.tokens.find((t) => t.declaredName === 'webhook')!;
    expect(webhook.lastUsedDate).toBeNull();
    expect(webhook.notes[0]).toMatch(/had no consumer use for more than 30 days/);
    expect(code).toBe(20);
    // The threshold is an option.
    expect(verdictsOf((await status(stackDir, T0_MS + 40 * DAY_MS, ['--unused-days', '45'])).report).webhook).toEqual(['ok']);
  });

  it('says expiring within --warn-days', async () => {
    const { stackDir } = await deployed(['fixed-soon']);
    const near = await status(stackDir, T0_MS + 60_000);
    expect(near.report.tokens[0].verdicts).toEqual(['expiring']);
    expect(near.report.tokens[0].daysLeft).toBe(9);
    const relaxed = await status(stackDir, T0_MS + 60_000, ['--warn-days', '5']);
    expect(relaxed.report.tokens[0].verdicts).toEqual(['ok']);
    expect(relaxed.code).toBe(0);
  });

  it("lists an unmanaged token and another stack's token without asking for action", async () => {
    const { stackDir } = await deployed(['default']);
    const { access_token } = await emulator().signIn();
    await createToken(emulator(), access_token!, 'laptop experiments');
    await createToken(emulator(), access_token!, 'ci [cdktf:staging~123456/g0]');
    const { report, code } = await status(stackDir, T0_MS + 60_000);
    expect(report.otherTokens.map((t) => [t.name, t.managedBy, t.unused])).toEqual([
      ['laptop experiments', null, false],
      ['ci [cdktf:staging~123456/g0]', 'staging~123456', false],
    ]);
    expect(report.orphaned).toEqual([]);
    expect(code).toBe(0);
  });
});

describe('status never spends a secret', () => {
  it("leaves every token's lastUsedDate as it was: it lists tokens and reads the sinks, and never calls users/me", async () => {
    const { secrets, stackDir } = await deployed(['rotating', 'default']);
    // One token used by a consumer, the others never used: both kinds must stay as they are.
    await usePat(emulator(), secrets.get([...secrets.keys()].find((n) => n.startsWith('reporting '))!)!);
    // A fresh session each time: access tokens live an hour.
    const lastUse = async () =>
      Object.fromEntries(
        (
          (await call(emulator(), 'GET', '/api/v1/tokens/list', { token: (await emulator().signIn()).access_token })).body as {
            tokens: { tokenID: string; lastUsedDate: string | null }[];
          }
        ).tokens.map((t) => [t.tokenID, t.lastUsedDate]),
      );
    const before = await lastUse();
    expect(Object.values(before).filter((d) => d !== null)).toHaveLength(1);
    await call(emulator(), 'DELETE', '/__emulator/requests');

    // An hour later, so that any use would show as a new lastUsedDate.
    const { code, report } = await status(stackDir, T0_MS + 3_600_000);

    expect(code).toBe(0);
    // The sinks were read (each holds its token's delivery), not used.
    expect(report.tokens.flatMap((t) => t.sinks.map((p) => p.state))).toEqual(['holds', 'holds']);
    const log = (await call(emulator(), 'GET', '/__emulator/requests')).body;
    const calls = (log as { method: string; path: string }[]).map((r) => `${r.method} ${r.path}`);
    expect(calls.filter((c) => c.includes('/users/me'))).toEqual([]);
    expect(calls.filter((c) => !c.startsWith('POST /oauth/'))).toEqual(['GET /api/v1/tokens/list']);
    expect(await lastUse()).toEqual(before);
  });
});

describe('status output', () => {
  // The documented schema of the report (docs and tests share it).
  const ajv = new Ajv({ allErrors: true, strict: true });
  addFormats(ajv);
  const validate = ajv.compile(statusReportSchema);

  beforeAll(requireBundle);

  it('prints --json that matches the documented schema, from the bundled program, exit 20 when action is needed', async () => {
    const emu = emulator();
    const { stackDir } = await deployed(['rotating', 'fixed-long', 'fixed-soon']);
    const { access_token } = await emu.signIn();
    await createToken(emu, access_token!, 'laptop');
    // Remove "webhook" from the code: its token becomes an orphan.
    writeStack(dir, manifestOf(emu.url, ['rotating', 'fixed-soon']));
    const run = await runBundle(emu, ['status', '--stack', stackDir, '--json'], {
      env: programEnv(T0_MS + 60_000, { [CREDENTIAL_ENV]: access_token! }),
      cwd: dir,
    });
    expect(run.stderr).toBe('');
    const report = JSON.parse(run.stdout);
    expect(validate(report) ? [] : validate.errors).toEqual([]);
    expect(report.orphaned).toHaveLength(1);
    expect(report.otherTokens).toHaveLength(1);
    expect(run.code).toBe(20);
  });

  it('prints a table and exits 0 from the bundled program when nothing needs action (manifest via --manifest)', async () => {
    const emu = emulator();
    const { stackDir } = await deployed(['rotating', 'default']);
    const { access_token } = await emu.signIn();
    const run = await runBundle(emu, ['status', '--manifest', join(stackDir, 'agility-pat-manifest.json')], {
      env: programEnv(T0_MS + 60_000, { [CREDENTIAL_ENV]: access_token! }),
      cwd: dir,
    });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines[0]).toBe(`Stack ${TAG} at ${emu.url}, as of ${new Date(T0_MS + 60_000).toISOString()}`);
    expect(lines).toContainEqual(
      expect.stringMatching(/^DECLARED\s+MANAGED NAME\s+GEN\s+EXPIRES\s+DAYS LEFT\s+LAST USED\s+PREV USED\s+VERDICT$/),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(/^ci-deploy\s+ci-deploy \[cdktf:prod~abcdef\/g1\]\s+1\s+\S+\s+\d+\s+never\s+never\s+ok$/),
    );
    // Agility's 2-year default expiry, as the listed token carries it.
    expect(lines).toContainEqual(
      expect.stringMatching(/^reporting\s+reporting \[cdktf:prod~abcdef\/g0\]\s+0\s+2028-03-01\s+730\s+never\s+-\s+ok$/),
    );
    expect(run.stdout).toMatch(/Active tokens: 3 of 10\. Created in the last hour: at least 3 of 5/);
    expect(lines).toContain('Nothing needs action.');
  });

  it('with --api-url, names the API it queried (header and --json apiUrl), not the manifest one', async () => {
    const emu = emulator();
    // Deployed to the emulator, but the synthesized manifest names another API (one that is never queried).
    const { manifest } = await deployed(['rotating']);
    const elsewhere = { ...manifest, apiUrl: 'https://mgmt.aglty.io' };
    const stackDir = writeStack(dir, elsewhere);
    const { access_token } = await emu.signIn();
    const env = programEnv(T0_MS + 60_000, { [CREDENTIAL_ENV]: access_token! });
    const table = await runBundle(emu, ['status', '--stack', stackDir, '--api-url', emu.url], { env, cwd: dir });
    expect(table.stderr).toBe('');
    expect(table.stdout.split('\n')[0]).toBe(`Stack ${TAG} at ${emu.url}, as of ${new Date(T0_MS + 60_000).toISOString()}`);
    expect(table.code).toBe(0);
    const json = await runBundle(emu, ['status', '--stack', stackDir, '--api-url', emu.url, '--json'], { env, cwd: dir });
    const report = JSON.parse(json.stdout) as StatusReport;
    expect(report.apiUrl).toBe(emu.url);
    expect(report.tokens[0].verdicts).toEqual(['ok']);
    expect(validate(report) ? [] : validate.errors).toEqual([]);
  });

  it('refuses a missing manifest with a clear CONFIG error (exit 3)', async () => {
    const cap = captureContext({ [CREDENTIAL_ENV]: 'x' }, T0_MS, dir);
    expect(await main(['status', '--stack', join(dir, 'nowhere')], cap.ctx)).toBe(3);
    expect(cap.stderr()).toMatch(
      /^agility-pat: error \[CONFIG\] no stack manifest at .*nowhere\/agility-pat-manifest\.json: run cdktf synth first/,
    );
  });

  it('refuses to run without --stack or --manifest, and with a bad --warn-days (exit 2)', async () => {
    const cap = captureContext({}, T0_MS, dir);
    expect(await main(['status'], cap.ctx)).toBe(2);
    expect(await main(['status', '--stack', dir, '--warn-days', 'soon'], cap.ctx)).toBe(2);
    expect(cap.err[0]).toMatch(/exactly one of --stack DIR/);
    expect(cap.err[1]).toMatch(/--warn-days must be a whole number of days.*"soon"/);
  });

  it('reads the credential from the variable the manifest names, and says which is missing', async () => {
    const { stackDir } = await deployed(['default']);
    const cap = captureContext({}, T0_MS, dir);
    expect(await main(['status', '--stack', stackDir], cap.ctx)).toBe(3);
    expect(cap.stderr()).toMatch(
      new RegExp(`\\[CONFIG\\] no Agility credential for .*: the environment variable ${CREDENTIAL_ENV} is empty or not set.*auth login`),
    );
  });
});
