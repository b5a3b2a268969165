/**
 * End-to-end: rotation that watches usage (docs/design.md, "Usage-aware rotation and adoption"). Real Terraform
 * 1.11.4 applies a stack of two weekly tokens with `rotation.retireEarly` (quiet time 12 hours) and an hourly drift
 * check, against the in-process emulator, whose clock stamps `lastUsedDate` when a secret authenticates. The consumers
 * of `app` move to the new secret and the reconciler retires the old one as soon as it has been quiet for 12 hours;
 * a consumer of `worker` keeps using the old secret, so `agility-pat status` says stale-consumer and nothing retires it.
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { TerraformStack } from 'cdktf';
import { AgilityPersonalAccessToken, Duration, SecretSink } from '../../lib';
import { ANCHOR, useDeployEmulator, type Deployment } from '../helpers/e2e';

jest.setTimeout(300_000);

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Generation 47 of a weekly rotation anchored at ANCHOR starts here; generation 48 a week later. */
const G47 = Date.parse(ANCHOR) + 47 * 7 * DAY;
const G48 = G47 + 7 * DAY;
const at = (ms: number) => new Date(ms).toISOString();

const world = useDeployEmulator(at(G47));
let d: Deployment;
beforeAll(() => {
  d = world.deployment('usage');
});

const weekly = (name: string) => (stack: TerraformStack) =>
  new AgilityPersonalAccessToken(stack, name, {
    name,
    rotation: { every: Duration.days(7), anchor: ANCHOR, retireEarly: { quietFor: Duration.hours(12) } },
    sinks: [SecretSink.file(`secrets/${name}.token`)],
  });
const declare = (stack: TerraformStack) => [weekly('app'), weekly('worker')].forEach((w) => w(stack));

/** Synthesizes at `nowMs` (hourly drift check) and applies with the request log cleared first. */
async function deployAt(nowMs: number): Promise<string[]> {
  d.synth(at(nowMs), declare, { driftCheckEvery: Duration.hours(1) });
  await world.admin.clearRequests();
  const result = await d.terraform('apply', at(nowMs));
  expect(result.code).toBe(0);
  return (await world.admin.tokenCalls()).sort();
}

/** A consumer authenticates with `secret` at `nowMs` of the emulator's clock; the emulator stamps its lastUsedDate. */
async function use(secret: string, nowMs: number): Promise<boolean> {
  await world.admin.setClock(at(nowMs));
  return world.admin.authenticates(secret);
}

const sink = (name: string) => readFileSync(join(d.dir, `secrets/${name}.token`), 'utf8');
const list = 'GET /api/v1/tokens/list 200';
const times = (n: number, call: string) => Array<string>(n).fill(call);

async function liveNames(): Promise<string[]> {
  return [...(await world.admin.liveTokens(await d.signIn())).keys()].sort();
}

test('retireEarly revokes the old secret 12 hours after its last use once the new one is used; a consumer that keeps the old one is stale-consumer and keeps it live', async () => {
  const name = (declared: string, g: number) => `${declared} [cdktf:${d.stackTag()}/g${g}]`;

  // Generation 47: each token created once (the retained g46 slots find nothing and create nothing).
  expect(await deployAt(G47 + HOUR)).toEqual(
    [...times(5, list), ...times(2, 'POST /api/v1/tokens/create 201'), ...times(2, 'PUT /api/v1/tokens/{id}/update 200')].sort(),
  );
  const [app1, worker1] = [sink('app'), sink('worker')];
  expect(await use(app1, G47 + DAY)).toBe(true);
  expect(await use(worker1, G47 + DAY)).toBe(true);

  // Generation 48: new secrets in the sinks, the old ones kept for overlap.
  await deployAt(G48 + HOUR);
  const [app2, worker2] = [sink('app'), sink('worker')];
  expect([app2, worker2]).not.toContain(app1);
  expect(await liveNames()).toEqual([name('app', 47), name('app', 48), name('worker', 47), name('worker', 48)].sort());

  // app's consumers move to the new secret; one of them used the old one last at G48 + 3 h.
  expect(await use(app2, G48 + 2 * HOUR)).toBe(true);
  expect(await use(app1, G48 + 3 * HOUR)).toBe(true);
  // worker: one consumer moved, another keeps the old secret, used on every hour below.
  expect(await use(worker2, G48 + 2 * HOUR)).toBe(true);
  expect(await use(worker1, G48 + 14 * HOUR)).toBe(true);

  // G48 + 15 h: app's old secret has been quiet 12 h minus 1 minute; the reconciler (new drift epoch) lists, keeps it.
  expect(await deployAt(G48 + 15 * HOUR - 60_000)).toEqual([list]);
  expect(await liveNames()).toEqual([name('app', 47), name('app', 48), name('worker', 47), name('worker', 48)].sort());

  // G48 + 16 h: quiet for 13 h: the reconciler lists, lists again under the lock, revokes app g47. worker g47 was
  // used two hours ago: kept.
  expect(await use(worker1, G48 + 16 * HOUR - 60_000)).toBe(true);
  const retireAt = G48 + 16 * HOUR;
  expect(await deployAt(retireAt)).toEqual([list, list, 'DELETE /api/v1/tokens/{id}/delete 204'].sort());
  expect(await use(app1, retireAt)).toBe(false);
  expect(await use(app2, retireAt)).toBe(true);
  expect(sink('app')).toBe(app2);
  expect(await liveNames()).toEqual([name('app', 48), name('worker', 47), name('worker', 48)].sort());
  expect(d.output).toMatch(/revoked "app \[cdktf:[^\]]+\/g47\]" \([0-9a-f-]+\): retired early: /);

  // The same deploy again: nothing changes, no token call.
  expect(await deployAt(retireAt)).toEqual([]);
  // A lost state runs every create hook again: the retained slot of app g47 lists and creates nothing.
  rmSync(join(d.dir, 'terraform.tfstate'));
  expect(await deployAt(retireAt)).toEqual(times(5, list));
  expect(await liveNames()).toEqual([name('app', 48), name('worker', 47), name('worker', 48)].sort());

  // status: worker's old secret is still in use 16 hours after the new one arrived (quiet time 12 h): stale-consumer.
  const { code, report } = await d.status(at(retireAt + 60_000));
  const rows = Object.fromEntries(report.tokens.map((t) => [t.declaredName, t]));
  expect(rows.worker!.verdicts).toEqual(['stale-consumer']);
  expect(rows.worker!.notes[0]).toMatch(/some consumer never picked up the new secret/);
  expect(rows.worker!.retained).toMatchObject({ generation: 47, live: true, lastUsedDate: at(G48 + 16 * HOUR - 60_000) });
  expect(rows.app!.verdicts).toEqual(['ok']);
  expect(rows.app!.retained).toMatchObject({ generation: 47, live: false, tokenID: null, lastUsedDate: null });
  expect(code).toBe(20);

  // No secret anywhere but the sinks (the output scanned includes status's).
  expect(d.findSecrets(world.emulator.issuedSecrets(), ['secrets/app.token', 'secrets/worker.token'])).toEqual([]);
});
