/**
 * End-to-end: real Terraform 1.11.4 applies synthesized stacks whose hooks run the bundled agility-pat program
 * against the in-process emulator. Each scenario asserts the exact token API calls from the emulator's request log
 * and scans the synthesized JSON, state, Terraform output and project folder for every secret the emulator issued.
 */
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TerraformStack } from 'cdktf';
import { AgilityPersonalAccessToken, Duration, SecretSink } from '../../lib';
import { startEmulator, type RunningEmulator } from '../../lib/emulator';
import { readEnvValueText } from '../../lib/sinks/env-file-format';
import { ANCHOR, Deployment, EmulatorAdmin, G11, G11_NEXT_DAY, G12, G13, G16, requireTerraform } from '../helpers/e2e';

jest.setTimeout(300_000);

let emulator: RunningEmulator;
let admin: EmulatorAdmin;
const deployments: Deployment[] = [];

beforeAll(async () => {
  requireTerraform();
  emulator = await startEmulator({ host: '127.0.0.1', port: 0, now: G11 });
  admin = new EmulatorAdmin(emulator);
});

afterAll(async () => {
  deployments.forEach((d) => d.cleanup());
  await emulator?.close();
});

function deployment(stackName: string, namespace = 'e2e-project'): Deployment {
  const d = new Deployment(admin, stackName, namespace);
  deployments.push(d);
  return d;
}

const rotating =
  (name: string, sinks: SecretSink[], overlap = true) =>
  (stack: TerraformStack) =>
    new AgilityPersonalAccessToken(stack, name, { name, rotation: { every: Duration.days(30), anchor: ANCHOR, overlap }, sinks });

const fixed = (name: string, expiresAt: string, sinks: SecretSink[]) => (stack: TerraformStack) =>
  new AgilityPersonalAccessToken(stack, name, { name, expiresAt, sinks });

function all(...declares: ((s: TerraformStack) => unknown)[]) {
  return (stack: TerraformStack) => declares.forEach((d) => d(stack));
}

function sorted(calls: string[]): string[] {
  return [...calls].sort();
}

function read(d: Deployment, path: string): string {
  return readFileSync(join(d.dir, path), 'utf8');
}

function mode(d: Deployment, path: string): number {
  return statSync(join(d.dir, path)).mode & 0o777;
}

async function expectNoLeaks(d: Deployment, sinkFiles: string[]): Promise<void> {
  expect(d.findSecrets(emulator.issuedSecrets(), sinkFiles)).toEqual([]);
  // Sink files hold exactly one PAT secret each, never an OAuth credential.
  const oauth = emulator.issuedSecrets().filter((s) => !sinkFiles.some((f) => read(d, f).includes(s)));
  for (const f of sinkFiles) for (const s of oauth) expect(read(d, f)).not.toContain(s);
}

describe('a stack of rotating and fixed tokens, deployed with terraform over its lifetime', () => {
  const d = () => deployments[0];
  const declareAll = all(
    rotating('ci', [SecretSink.file('secrets/ci.token')]),
    fixed('preview', '2027-06-30T00:00:00Z', [SecretSink.envFile('secrets/preview.env', 'AGILITY_PREVIEW_TOKEN')]),
    rotating('ops', [SecretSink.file('secrets/ops.token')], false),
  );
  const withoutOps = all(
    rotating('ci', [SecretSink.file('secrets/ci.token')]),
    fixed('preview', '2027-06-30T00:00:00Z', [SecretSink.envFile('secrets/preview.env', 'AGILITY_PREVIEW_TOKEN')]),
  );
  const sinkFiles = ['secrets/ci.token', 'secrets/preview.env', 'secrets/ops.token'];
  const secrets: { g11?: string; g12?: string; g13?: string } = {};

  /** Synthesizes at `now` and applies with the request log cleared first, so a test sees only this apply's calls. */
  const deployAt = async (now: string, declare: (stack: TerraformStack) => unknown) => {
    d().synth(now, declare);
    await admin.clearRequests();
    return d().terraform('apply', now);
  };

  /**
   * The stack's life, one deploy per step, in order. Each test takes its own steps and asserts on them; run alone
   * (`jest -t`), it first takes the steps before its own, unasserted but required to succeed, so every scenario
   * can run on its own.
   */
  const steps = [
    /* 1 */ () => deployAt(G11, declareAll).then(remember('g11')),
    /* 2 */ () => deployAt(G11, declareAll),
    /* 3 */ () => deployAt(G12, declareAll).then(remember('g12')),
    /* 4 */ () => deployAt(G13, declareAll).then(remember('g13')),
    /* 5 */ () => deployAt(G16, declareAll),
    /* 6 */ () => deployAt(G16, withoutOps),
  ];
  let taken = 0;
  function remember(key: keyof typeof secrets) {
    return <T>(result: T): T => {
      if (existsSync(join(d().dir, 'secrets/ci.token'))) secrets[key] = read(d(), 'secrets/ci.token');
      return result;
    };
  }
  /** Takes step `n` (1-based), after taking every earlier step that has not been taken yet. */
  async function step(n: number) {
    while (taken < n - 1) {
      const result = await steps[taken]();
      if (result.code !== 0) throw new Error(`setting up: step ${taken + 1} failed:\n${result.output.slice(-2000)}`);
      taken++;
    }
    const result = await steps[n - 1]();
    taken = n;
    return result;
  }
  /** Takes every step up to `n` that has not been taken. */
  async function reach(n: number): Promise<void> {
    if (taken < n) await step(n);
  }

  beforeAll(() => {
    deployment('life');
  });

  test('1. first deploy: each secret delivered once to a 0600 file, and each authenticates users/me', async () => {
    const result = await step(1);
    expect(result.code).toBe(0);
    // ci: create g11 (list, create) + retain g10 (list); preview: list, create; ops: list, create; reconciler: list.
    expect(sorted(await admin.tokenCalls())).toEqual(
      sorted([
        ...Array(5).fill('GET /api/v1/tokens/list 200'),
        ...Array(3).fill('POST /api/v1/tokens/create 201'),
        ...Array(3).fill('PUT /api/v1/tokens/{id}/update 200'),
      ]),
    );
    const firstCiSecret = read(d(), 'secrets/ci.token');
    const opsSecret = read(d(), 'secrets/ops.token');
    const previewLine = read(d(), 'secrets/preview.env');
    expect(previewLine).toMatch(/^AGILITY_PREVIEW_TOKEN=[A-Za-z0-9_.-]+\n?$/);
    const previewSecret = previewLine.trim().split('=')[1];
    expect(new Set([firstCiSecret, opsSecret, previewSecret]).size).toBe(3);
    for (const s of [firstCiSecret, opsSecret, previewSecret]) {
      expect(emulator.issuedSecrets()).toContain(s);
      expect(await admin.authenticates(s)).toBe(true);
    }
    for (const f of sinkFiles) expect(mode(d(), f)).toBe(0o600);
    const live = await admin.liveTokens(await d().signIn());
    expect([...live.keys()].sort()).toEqual(
      [`ci [cdktf:${d().stackTag()}/g11]`, `ops [cdktf:${d().stackTag()}/g11]`, `preview [cdktf:${d().stackTag()}/g0]`].sort(),
    );
    await expectNoLeaks(d(), sinkFiles);
  });

  test('2. redeploy with nothing changed: zero token API calls', async () => {
    const result = await step(2);
    expect(result.code).toBe(0);
    expect(result.output).toMatch(/No changes|0 added, 0 changed, 0 destroyed/);
    expect(await admin.tokenCalls()).toEqual([]);
  });

  test('3. crossing rotation boundaries: the new secret is delivered, the previous still works, the one before is revoked', async () => {
    let result = await step(3);
    expect(result.code).toBe(0);
    const { g11, g12 } = secrets as Required<typeof secrets>;
    expect(g12).not.toBe(g11);
    expect(await admin.authenticates(g12)).toBe(true);
    expect(await admin.authenticates(g11)).toBe(true); // g11 kept for slow consumers

    result = await step(4);
    expect(result.code).toBe(0);
    const g13 = secrets.g13 as string;
    expect(await admin.authenticates(g13)).toBe(true);
    expect(await admin.authenticates(g12)).toBe(true);
    expect(await admin.authenticates(g11)).toBe(false); // g11 revoked
    // ci slot1: destroy g11 (list, delete) + create g13 (list, create, rename); ops one slot: the same; reconciler: list.
    expect(sorted(await admin.tokenCalls())).toEqual(
      sorted([
        ...Array(5).fill('GET /api/v1/tokens/list 200'),
        ...Array(2).fill('DELETE /api/v1/tokens/{id}/delete 204'),
        ...Array(2).fill('POST /api/v1/tokens/create 201'),
        ...Array(2).fill('PUT /api/v1/tokens/{id}/update 200'),
      ]),
    );

    // A jump of three periods: both ci slots move; g15 is already superseded, so only g16 is created.
    result = await step(5);
    expect(result.code).toBe(0);
    const live = await admin.liveTokens(await d().signIn());
    expect([...live.keys()].filter((n) => n.startsWith('ci ')).sort()).toEqual([`ci [cdktf:${d().stackTag()}/g16]`]);
    expect(await admin.authenticates(g12)).toBe(false);
    expect(await admin.authenticates(g13)).toBe(false);
    expect(await admin.authenticates(read(d(), 'secrets/ci.token'))).toBe(true);
    await expectNoLeaks(d(), sinkFiles);
  });

  test('5a. a token deleted from the code is revoked by the reconciler on the next deploy', async () => {
    await reach(5);
    const opsName = `ops [cdktf:${d().stackTag()}/g16]`;
    expect((await admin.liveTokens(await d().signIn())).has(opsName)).toBe(true);
    const result = await step(6);
    expect(result.code).toBe(0);
    expect(sorted(await admin.tokenCalls())).toEqual(sorted(['GET /api/v1/tokens/list 200', 'DELETE /api/v1/tokens/{id}/delete 204']));
    expect((await admin.liveTokens(await d().signIn())).has(opsName)).toBe(false);
  });

  test('5b. a token revoked outside Terraform is recreated and redelivered at the next drift check', async () => {
    await reach(6);
    const access = await d().signIn();
    const before = read(d(), 'secrets/ci.token');
    const ciName = `ci [cdktf:${d().stackTag()}/g16]`;
    const ci = (await admin.liveTokens(access)).get(ciName)!;
    await fetch(`${emulator.url}/api/v1/tokens/${ci.tokenID}/delete`, { method: 'DELETE', headers: { authorization: `Bearer ${access}` } });
    expect(await admin.authenticates(before)).toBe(false);

    const nextDay = '2027-04-28T00:00:00Z'; // same generation, next drift-check epoch
    const result = await deployAt(nextDay, withoutOps);
    expect(result.code).toBe(0);
    const after = read(d(), 'secrets/ci.token');
    expect(after).not.toBe(before);
    expect(await admin.authenticates(after)).toBe(true);
    expect((await admin.liveTokens(await d().signIn())).has(ciName)).toBe(true);
  });

  test('6. destroy revokes every token of the stack and touches no other stack nor unmanaged tokens', async () => {
    await reach(1);
    // Another stack with the same stack name but another project namespace, under the same Agility user.
    const other = new Deployment(admin, 'life', 'another-project');
    deployments.push(other);
    other.synth(G11_NEXT_DAY, fixed('preview', '2027-06-30T00:00:00Z', [SecretSink.file('secrets/other.token')]));
    expect((await other.terraform('apply', '2027-04-28T00:00:00Z')).code).toBe(0);
    const access = await d().signIn();
    const unmanaged = await fetch(`${emulator.url}/api/v1/tokens/create`, {
      method: 'POST',
      headers: { authorization: `Bearer ${access}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'hand-made token' }),
    });
    expect(unmanaged.status).toBe(201);

    const result = await d().terraform('destroy', '2027-04-28T00:00:00Z');
    expect(result.code).toBe(0);
    const live = [...(await admin.liveTokens(await d().signIn())).keys()];
    expect(live.filter((n) => n.includes(d().stackTag()))).toEqual([]);
    expect(live).toContain('hand-made token');
    expect(live).toContain(`preview [cdktf:${other.stackTag()}/g0]`);
    expect(other.stackTag()).not.toBe(d().stackTag());
    // Sinks keep what they hold when a token is revoked (docs/design.md, "Sinks"); nothing else may hold a secret.
    await expectNoLeaks(d(), sinkFiles);
  });
});

describe('failures a deploy recovers from', () => {
  test('4. a sink that fails: the apply fails clearly, no live orphan; fixed, the next apply delivers', async () => {
    const d = deployment('sinkfail');
    writeFileSync(join(d.dir, 'blocked'), 'a file where a folder should be');
    d.synth(G11, fixed('broken', '2027-06-30T00:00:00Z', [SecretSink.file('blocked/x.token')]));
    const failed = await d.terraform('apply', G11);
    expect(failed.code).not.toBe(0);
    expect(failed.output).toMatch(/SINK_FAILED/);
    expect(failed.output).toContain('blocked');
    const name = `broken [cdktf:${d.stackTag()}/g0]`;
    expect((await admin.liveTokens(await d.signIn())).has(name)).toBe(false);

    rmSync(join(d.dir, 'blocked'));
    const fixedRun = await d.terraform('apply', G11);
    expect(fixedRun.code).toBe(0);
    const secret = read(d, 'blocked/x.token');
    expect(await admin.authenticates(secret)).toBe(true);
    expect([...(await admin.liveTokens(await d.signIn())).keys()]).toEqual([name]);
    await expectNoLeaks(d, ['blocked/x.token']);
  });

  test('7. more than 5 new tokens in one deploy fails naming the limit; an hour later the next apply completes', async () => {
    const d = deployment('burst');
    const names = ['t1', 't2', 't3', 't4', 't5', 't6'];
    d.synth(G11, all(...names.map((n) => fixed(n, '2027-06-30T00:00:00Z', [SecretSink.file(`secrets/${n}.token`)]))));
    const first = await d.terraform('apply', G11);
    expect(first.code).not.toBe(0);
    expect(first.output).toMatch(/RATE_LIMITED/);
    expect(first.output).toMatch(/5 .*per hour|per hour/i);
    expect((await admin.liveTokens(await d.signIn())).size).toBe(5);

    const hourLater = '2026-11-28T01:00:01Z';
    const second = await d.terraform('apply', hourLater);
    expect(second.code).toBe(0);
    const live = await admin.liveTokens(await d.signIn());
    expect(live.size).toBe(6);
    for (const n of names) expect(await admin.authenticates(read(d, `secrets/${n}.token`))).toBe(true);
    await expectNoLeaks(
      d,
      names.map((n) => `secrets/${n}.token`),
    );
  });
});

describe('tokens sharing one env file, with real Terraform running their hooks in parallel', () => {
  test('8. five tokens delivering to keys of one env file: after every apply each key holds its own live token', async () => {
    const d = deployment('shared-env');
    const keys = [0, 1, 2, 3, 4].map((i) => ({ name: `svc${i}`, key: `SVC${i}_TOKEN` }));
    const declareAll = all(...keys.map(({ name, key }) => rotating(name, [SecretSink.envFile('secrets/shared.env', key)], false)));
    for (const now of [G11, G12, G13]) {
      d.synth(now, declareAll);
      const result = await d.terraform('apply', now);
      expect(result.code).toBe(0);
      const env = read(d, 'secrets/shared.env');
      const live = await admin.liveTokens(await d.signIn());
      expect(live.size).toBe(5);
      for (const { key } of keys) {
        const secret = readEnvValueText(env, key);
        expect(secret).toBeDefined();
        expect(await admin.authenticates(secret!)).toBe(true);
      }
      expect(new Set(keys.map(({ key }) => readEnvValueText(env, key))).size).toBe(5);
    }
    await expectNoLeaks(d, ['secrets/shared.env']);
  });
});
