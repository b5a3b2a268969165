/**
 * End-to-end: a managed token takes over a token made by hand (`replaces`), with real Terraform applying synthesized
 * stacks against the in-process emulator. The hand-made token is revoked exactly one overlap after the managed token
 * was delivered (by the first deploy at or after that instant), at once with `overlap: false`, and a token carrying a
 * stack's marker is never touched.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TerraformStack } from 'cdktf';
import { AgilityPersonalAccessToken, Duration, SecretSink } from '../../lib';
import { useDeployEmulator, type Deployment } from '../helpers/e2e';
import { createToken } from '../emulator/support';

jest.setTimeout(300_000);

/** Generation 0 of a weekly rotation starts at T0; generation 1 at T0 + 7 days. */
const T0 = '2026-11-02T00:00:00Z';
const at = (ms: number) => new Date(Date.parse(T0) + ms).toISOString();
const DAY = 86_400_000;
const MINUTE = 60_000;

const world = useDeployEmulator(T0);
const deployment = (stackName: string, email: string) => world.deployment(stackName, email, 'e2e-replaces');

/** A token made by hand in the Agility UI: created with the user's OAuth session, its secret known to its consumers. */
async function handMade(d: Deployment, name: string): Promise<{ tokenID: string; secret: string }> {
  const created = await createToken(world.emulator, await d.signIn(), name, at(365 * DAY));
  return { tokenID: created.tokenID, secret: created.token };
}

/** Synthesizes at `now` and applies, with the drift check every hour so each deploy below runs the reconciler. */
async function deployAt(d: Deployment, now: string, declare: (stack: TerraformStack) => void) {
  d.synth(now, declare, { driftCheckEvery: Duration.hours(1) });
  await world.admin.clearRequests();
  return d.terraform('apply', now);
}

describe('replaces: a managed token takes over a token made by hand', () => {
  test('revoked exactly one rotation period after the managed token was delivered; overlap false revokes at once', async () => {
    const d = deployment('adopt', 'adopt@example.com');
    const legacyCi = await handMade(d, 'ci deploy (made by hand)');
    const legacyWeb = await handMade(d, 'web preview (made by hand)');
    const declare = (stack: TerraformStack) => {
      new AgilityPersonalAccessToken(stack, 'ci', {
        name: 'ci',
        rotation: { every: Duration.days(7), anchor: T0 },
        sinks: [SecretSink.file('secrets/ci.token')],
        replaces: 'ci deploy (made by hand)',
      });
      new AgilityPersonalAccessToken(stack, 'web', {
        name: 'web',
        expiresAt: at(90 * DAY),
        sinks: [SecretSink.file('secrets/web.token')],
        replaces: { token: legacyWeb.tokenID, overlap: false },
      });
    };

    // The first deploy delivers both managed tokens; `web` takes over at once, `ci` starts its week of overlap.
    const first = await deployAt(d, T0, declare);
    expect(first.code).toBe(0);
    const ciSecret = readFileSync(join(d.dir, 'secrets/ci.token'), 'utf8');
    expect(await world.admin.authenticates(ciSecret)).toBe(true);
    expect(await world.admin.authenticates(legacyWeb.secret)).toBe(false);
    expect(await world.admin.authenticates(legacyCi.secret)).toBe(true);
    const { code, report } = await d.status(at(MINUTE));
    const ci = report.tokens.find((t) => t.declaredName === 'ci')!;
    expect(ci.verdicts).toEqual(['being-replaced']);
    expect(ci.replaces).toMatchObject({ state: 'waiting', tokenID: legacyCi.tokenID, revokeAt: at(7 * DAY) });
    expect(report.tokens.find((t) => t.declaredName === 'web')!.replaces?.state).toBe('gone');
    expect(report.otherTokens.find((t) => t.tokenID === legacyCi.tokenID)?.replacedBy).toBe('ci');
    expect(code).toBe(0); // information only while the overlap runs

    // A minute before the week is over the reconciler runs (a new drift epoch) and keeps it: only listings.
    const before = await deployAt(d, at(7 * DAY - MINUTE), declare);
    expect(before.code).toBe(0);
    expect(await world.admin.tokenCalls()).toEqual(['GET /api/v1/tokens/list 200', 'GET /api/v1/tokens/list 200']);
    expect(await world.admin.authenticates(legacyCi.secret)).toBe(true);

    // At the week's end (also ci's first rotation) it is revoked, and only it.
    const due = await deployAt(d, at(7 * DAY), declare);
    expect(due.code).toBe(0);
    expect(await world.admin.authenticates(legacyCi.secret)).toBe(false);
    expect((await world.admin.tokenCalls()).filter((c) => c.startsWith('DELETE'))).toEqual(['DELETE /api/v1/tokens/{id}/delete 204']);
    expect(await world.admin.authenticates(ciSecret)).toBe(true); // generation 0, kept for its overlap
    expect(await world.admin.authenticates(readFileSync(join(d.dir, 'secrets/ci.token'), 'utf8'))).toBe(true);
    const after = await d.status(at(7 * DAY + MINUTE));
    expect(after.report.tokens.map((t) => t.replaces?.state)).toEqual(['gone', 'gone']);
    expect(after.code).toBe(0);

    expect(d.findSecrets(world.emulator.issuedSecrets(), ['secrets/ci.token', 'secrets/web.token'])).toEqual([]);
  });

  test("never touches a token carrying a stack's marker: the deploy fails naming it, and it stays live", async () => {
    const other = deployment('other', 'marker@example.com');
    const fixed =
      (name: string, extra: object = {}) =>
      (stack: TerraformStack) =>
        void new AgilityPersonalAccessToken(stack, name, {
          name,
          expiresAt: at(90 * DAY),
          sinks: [SecretSink.file(`secrets/${name}.token`)],
          ...extra,
        });
    expect((await deployAt(other, T0, fixed('shared'))).code).toBe(0);
    const otherSecret = readFileSync(join(other.dir, 'secrets/shared.token'), 'utf8');
    const otherToken = [...(await world.admin.liveTokens(await other.signIn())).values()].find((t) =>
      t.expiryDate.startsWith('2027-01-31'),
    )!;

    const d = deployment('grabby', 'marker@example.com');
    const result = await deployAt(d, T0, fixed('mine', { replaces: otherToken.tokenID }));
    expect(result.code).not.toBe(0);
    expect(result.output).toMatch(/carries a stack's marker: a managed token is never replaced/);
    expect(await world.admin.authenticates(otherSecret)).toBe(true);
    // The rest of the run happened: its own token was delivered.
    expect(await world.admin.authenticates(readFileSync(join(d.dir, 'secrets/mine.token'), 'utf8'))).toBe(true);
  });
});
