/**
 * End-to-end: rotate now. Real Terraform 1.11.4 deploys a rotating token past its first rotation (two generations
 * live, overlap), then the bundled `agility-pat tokens rotate` replaces it at once: both old secrets stop working, the
 * sinks hold a new one that works, and the next `terraform apply` changes nothing and calls no token route.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TerraformStack } from 'cdktf';
import { AgilityPersonalAccessToken, Duration, SecretSink } from '../../lib';
import { readEnvValueText } from '../../lib/sinks/env-file-format';
import { ANCHOR, G11, G12, useDeployEmulator, type Deployment } from '../helpers/e2e';

jest.setTimeout(300_000);

const SINK_FILES = ['secrets/ci.token', 'secrets/app.env'];
const G12_NEXT_DAY = '2026-12-29T00:00:00Z';

const world = useDeployEmulator(G11);
let d: Deployment;
beforeAll(() => {
  d = world.deployment('rotatenow');
});

const declare = (stack: TerraformStack) =>
  new AgilityPersonalAccessToken(stack, 'ci', {
    name: 'ci',
    rotation: { every: Duration.days(30), anchor: ANCHOR, overlap: true },
    sinks: [SecretSink.file('secrets/ci.token'), SecretSink.envFile('secrets/app.env', 'CI_TOKEN')],
  });

const read = (path: string) => readFileSync(join(d.dir, path), 'utf8');

async function deployAt(now: string) {
  d.synth(now, declare);
  await world.admin.clearRequests();
  const result = await d.terraform('apply', now);
  if (result.code !== 0) throw new Error(`terraform apply at ${now} failed:\n${result.output.slice(-2000)}`);
  return result;
}

test('tokens rotate revokes both live generations, delivers a working new secret, and the next deploy changes nothing', async () => {
  await deployAt(G11);
  const g11 = read('secrets/ci.token');
  await deployAt(G12);
  const g12 = read('secrets/ci.token');
  const name = (g: number) => `ci [cdktf:${d.stackTag()}/g${g}]`;
  // Past its first rotation with overlap: both generations live, both secrets work.
  expect([...(await world.admin.liveTokens(await d.signIn())).keys()].sort()).toEqual([name(11), name(12)]);
  for (const s of [g11, g12]) expect(await world.admin.authenticates(s)).toBe(true);

  // The credential goes in the environment variable the manifest names, never in argv; the output joins Terraform's
  // for the secret scan below.
  await world.admin.clearRequests();
  const cli = await d.cli(['tokens', 'rotate', 'ci', '--stack', d.stackDir, '--yes'], G12);
  expect({ code: cli.code, output: cli.output }).toEqual({ code: 0, output: expect.stringContaining(`Created "${name(12)}"`) });

  expect(await world.admin.authenticates(g11)).toBe(false);
  expect(await world.admin.authenticates(g12)).toBe(false);
  const fresh = read('secrets/ci.token');
  expect([g11, g12]).not.toContain(fresh);
  expect(readEnvValueText(read('secrets/app.env'), 'CI_TOKEN')).toBe(fresh);
  expect(await world.admin.authenticates(fresh)).toBe(true);
  const live = await world.admin.liveTokens(await d.signIn());
  expect([...live.keys()]).toEqual([name(12)]);
  // Revoke both generations, then ensure g12: list, create (pending), rename; the proof of the new token is users/me.
  expect((await world.admin.tokenCalls()).filter((c) => !c.startsWith('GET')).sort()).toEqual(
    [
      'DELETE /api/v1/tokens/{id}/delete 204',
      'DELETE /api/v1/tokens/{id}/delete 204',
      'POST /api/v1/tokens/create 201',
      'PUT /api/v1/tokens/{id}/update 200',
    ].sort(),
  );

  // The next deploy (same synth instant) plans nothing and calls no token route.
  const again = await deployAt(G12);
  expect(again.output).toMatch(/No changes/);
  expect(await world.admin.tokenCalls()).toEqual([]);
  // The next drift check (a day later, same generation) lists and leaves the rotated token and its sinks alone.
  const drift = await deployAt(G12_NEXT_DAY);
  const driftCalls = await world.admin.tokenCalls();
  expect(driftCalls).toContain('GET /api/v1/tokens/list 200'); // the reconciler ran
  expect(driftCalls.filter((c) => !c.startsWith('GET'))).toEqual([]);
  expect(drift.output).not.toMatch(/creating and delivering it again/);
  expect(read('secrets/ci.token')).toBe(fresh);
  expect([...(await world.admin.liveTokens(await d.signIn())).keys()]).toEqual([name(12)]);

  expect(d.findSecrets(world.emulator.issuedSecrets(), SINK_FILES)).toEqual([]);
});
