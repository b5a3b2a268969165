/**
 * The reliability invariant as a property over generated fault schedules (docs/design.md, "Delivery record"):
 * after the faults are lifted and at most one more deploy, every declared name has exactly one live token and every
 * sink holds its secret; while that is not so, the deploy fails or `status` reports it, never `ok` with success.
 *
 * Schedules mix 5xx (before or after the server acted), 429, timeouts and dropped connections, creates that land late,
 * SIGKILL and SIGTERM at any call of any hook, failing sinks, parallel hooks (every slot of an apply runs at once, and
 * all tokens share one env file), a second working copy applying at the same time, lost Terraform state, rotations,
 * tokens revoked or disabled by hand, time passing while consumers use the current or the previous secret (with
 * `rotation.retireEarly` on some tokens: a previous generation is never revoked while it was used within the quiet
 * time), `tokens rotate` (rotate now, with its own faults) after or during a deploy (once it succeeds, no secret of
 * that token that was live before it still authenticates), and a token that `replaces` one made by hand (it is never
 * revoked before one overlap after its replacement's first delivery, is revoked by the first reconciler run after
 * that, and a token of another stack is never touched), and machines (docs/design.md, "Many machines, one writer"):
 * the second working copy may be another CI system and `tokens rotate` may run on a laptop, each with its own lock
 * folder, and `tokens revoke` of a current token runs from the laptop with its own faults; whatever ran where, no
 * destination holds a dead secret while status (which reads the sinks) says all is well.
 * `AGILITY_PAT_PROPERTY_RUNS` sets the number of schedules (`npm run soak` runs thousands); `AGILITY_PAT_PROPERTY_SEED` replays one. fast-check prints the seed and the schedule on failure.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { formatManagedName } from '../../lib/core/managed-name';
import { FakeAgility, type Fault, type FaultKind } from '../helpers/fake-agility';
import { emptyState, World, type ApplyFaults, type MachineName } from './convergence-model';

const RUNS = Number(process.env.AGILITY_PAT_PROPERTY_RUNS ?? 300);
const SEED = process.env.AGILITY_PAT_PROPERTY_SEED ? Number(process.env.AGILITY_PAT_PROPERTY_SEED) : undefined;
const T0 = Date.parse('2027-01-01T00:00:00Z');
const MAX_TOKENS = 4;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Sinks are real files; on a memory file system (when the machine has one) their fsyncs cost nothing. */
const SCRATCH = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();

const FAULT_KINDS: readonly FaultKind[] = [
  '5xx-before',
  '5xx-after',
  '429',
  'timeout-before',
  'timeout-after',
  'drop-after',
  'late',
  'kill',
  'stop',
];
const HOOKS = [
  'reconcile',
  ...Array.from({ length: MAX_TOKENS }, (_, i) => [0, 1].flatMap((s) => [`slot:${i}:${s}:create`, `slot:${i}:${s}:destroy`])).flat(),
];

const faultsArb: fc.Arbitrary<ApplyFaults> = fc
  .array(fc.record({ hook: fc.constantFrom(...HOOKS), at: fc.nat(6), kind: fc.constantFrom(...FAULT_KINDS) }), { maxLength: 6 })
  .map((list) => {
    const byHook = new Map<string, Fault[]>();
    for (const f of list) byHook.set(f.hook, [...(byHook.get(f.hook) ?? []), { at: f.at, kind: f.kind }]);
    return byHook;
  });

/** Faults of one `tokens rotate` run (it makes more calls than one hook: revocations of two generations, then ensure). */
const rotateFaultsArb: fc.Arbitrary<Fault[]> = fc.array(fc.record({ at: fc.nat(10), kind: fc.constantFrom(...FAULT_KINDS) }), {
  maxLength: 3,
});

const deployArb = fc.record({
  faults: faultsArb,
  /** Time passes before the deploy (hours), then consumers use secrets; the drift check may run the reconciler. */
  advanceHours: fc.nat(30),
  uses: fc.array(fc.record({ token: fc.nat(MAX_TOKENS - 1), previous: fc.boolean() }), { maxLength: 3 }),
  driftCheck: fc.boolean(),
  twin: fc.option(faultsArb, { freq: 4 }),
  rotate: fc.boolean(),
  loseState: fc.boolean(),
  outOfBand: fc.option(fc.record({ action: fc.constantFrom('revoke' as const, 'disable' as const), token: fc.nat(MAX_TOKENS - 1) }), {
    freq: 4,
  }),
  /** The second working copy's apply runs on this machine: the same CI runner (shared locks) or another CI system. */
  twinMachine: fc.constantFrom<MachineName>('ci', 'ci-2'),
  rotateNow: fc.option(
    fc.record({
      token: fc.nat(MAX_TOKENS - 1),
      faults: rotateFaultsArb,
      duringApply: fc.boolean(),
      machine: fc.constantFrom<MachineName>('ci', 'laptop'),
    }),
    { freq: 3 },
  ),
  /** `tokens revoke` of a current token, from the laptop (its own locks; revoke takes none), with its own faults. */
  revokeNow: fc.option(fc.record({ token: fc.nat(MAX_TOKENS - 1), faults: rotateFaultsArb, duringApply: fc.boolean() }), {
    freq: 5,
  }),
});

const scheduleArb = fc.record({
  tokens: fc.array(fc.record({ overlap: fc.boolean(), retireEarlyHours: fc.option(fc.integer({ min: 1, max: 24 }), { freq: 2 }) }), {
    minLength: 1,
    maxLength: MAX_TOKENS,
  }),
  /** Token 0 takes over a token made by hand, by name or by id, after 0 or 2 days. */
  replaces: fc.option(fc.record({ byId: fc.boolean(), afterDays: fc.constantFrom(0, 2) }), { freq: 2 }),
  deploys: fc.array(deployArb, { minLength: 1, maxLength: 3 }),
  /** Before the closing drift check (a day later): who uses which secret, besides every consumer of a current one. */
  finalUses: fc.array(fc.record({ token: fc.nat(MAX_TOKENS - 1), previous: fc.boolean() }), { maxLength: 4 }),
});

/** Counts, for the closing figures. */
const seen = {
  schedules: 0,
  faultyApplies: 0,
  parallelHooks: 0,
  failedApplies: 0,
  reportedByStatus: 0,
  rotations: 0,
  failedRotations: 0,
  replaced: 0,
  retiredEarly: 0,
  otherMachineTwins: 0,
  laptopRotations: 0,
  revocations: 0,
  sinkDriftReported: 0,
};

describe('convergence under faults (property)', () => {
  afterAll(() => {
    // Figures for the record: how much the property exercised.
    process.stdout.write(`convergence property: ${JSON.stringify(seen)}\n`);
  });

  it(
    'never leaves a declared name without exactly one delivered live token unless the deploy fails or status says so',
    async () => {
      await fc.assert(
        fc.asyncProperty(scheduleArb, async ({ tokens, replaces, deploys, finalUses }) => {
          const overlaps = tokens.map((t) => t.overlap);
          seen.schedules++;
          const dir = mkdtempSync(join(SCRATCH, 'agility-pat-property-'));
          try {
            const api = new FakeAgility(T0);
            // A token made by hand (and one of another stack, which nothing here may touch), before any deploy.
            const handMade = new Map(replaces ? [[0, api.seed('made by hand')]] : []);
            const foreign = [api.seed(formatManagedName({ declaredName: 't0', stackTag: 'other~123456', generation: 3 }))];
            const ref = replaces && (replaces.byId ? handMade.get(0)!.tokenID : 'made by hand');
            const world = new World(
              api,
              dir,
              tokens.map((t, index) => ({
                index,
                overlap: t.overlap,
                retireEarlyQuietMs: t.retireEarlyHours === null ? null : t.retireEarlyHours * HOUR,
                ...(index === 0 && replaces ? { replaces: { ref: ref!, afterMs: replaces.afterDays * DAY } } : {}),
              })),
            );
            let G = 3;
            let state = emptyState();

            for (const d of deploys) {
              api.landAll();
              if (d.rotate) G++;
              if (d.loseState) state = emptyState();
              if (d.outOfBand && d.outOfBand.token < overlaps.length) {
                const target = api.live().find((t) => t.name === world.managedName(d.outOfBand!.token, G));
                if (target) api.outOfBand(d.outOfBand.action, target.tokenID);
              }
              api.nowMs += d.advanceHours * HOUR;
              world.consume(G, d.uses);
              const rotation = d.rotateNow && d.rotateNow.token < overlaps.length ? d.rotateNow : null;
              // Live previous generations before the apply; rotate now may revoke those of the token it rotates.
              const retained = world.retainedLive(G);
              if (rotation) retained.delete(rotation.token);
              seen.faultyApplies++;
              seen.parallelHooks += overlaps.reduce((n, o) => n + (o ? 2 : 1), 0) * (d.twin ? 2 : 1);
              const rotate = async () => {
                if (!rotation) return true;
                const leaked = world.liveSecretsOf(rotation.token);
                const rotated = await world.rotateNow(G, rotation.token, rotation.faults, rotation.machine);
                seen.rotations++;
                if (rotation.machine === 'laptop') seen.laptopRotations++;
                if (!rotated) seen.failedRotations++;
                // Rotate now succeeded: no secret of that token that was live before it authenticates any more.
                if (rotated) expect(world.liveSecretsOf(rotation.token).filter((s) => leaked.includes(s))).toEqual([]);
                return rotated;
              };
              const revocation = d.revokeNow && d.revokeNow.token < overlaps.length ? d.revokeNow : null;
              const revoke = async () => {
                if (!revocation) return true;
                seen.revocations++;
                return world.revokeNow(G, revocation.token, revocation.faults, 'laptop');
              };
              if (d.twin && d.twinMachine !== 'ci') seen.otherMachineTwins++;
              const [ok, twinOk, rotatedDuring] = await Promise.all([
                world.apply(G, state, d.faults, { driftCheck: d.driftCheck }),
                d.twin ? world.apply(G, emptyState(), d.twin, { machine: d.twinMachine }) : Promise.resolve(true),
                rotation?.duringApply ? rotate() : Promise.resolve(true),
                revocation?.duringApply ? revoke() : Promise.resolve(true),
              ]);
              const rotatedOk = rotatedDuring && (rotation?.duringApply ? true : await rotate());
              if (revocation && !revocation.duringApply) await revoke();
              // A revocation is a change status must report (the token is missing), not a success to check against.
              const revoked = revocation !== null;
              if (!ok || !twinOk) seen.failedApplies++;
              // Faults or not, a previous generation is never revoked while used within its quiet time.
              expect(world.earlyRetirementViolations(retained)).toEqual([]);
              seen.retiredEarly += [...retained.values()].flat().filter((x) => x.revoked).length;
              const reported = await world.statusProblems(G);
              if (reported.length > 0) seen.reportedByStatus++;
              if (reported.some((r) => r.endsWith('sink-drift'))) seen.sinkDriftReported++;
              // Whatever ran where and whatever failed: no destination holds a dead secret while status says ok.
              if (reported.length === 0) expect(world.deadDestinations()).toEqual([]);
              // No silent failure: every command that ran succeeded and status has nothing to report: the invariant holds.
              if (ok && twinOk && rotatedOk && !revoked && reported.length === 0) expect(world.invariantViolations(G)).toEqual([]);
              expect(world.replacementViolations(handMade, foreign)).toEqual([]);
            }

            // The faults are lifted: one more deploy succeeds, and what it leaves is either right or reported.
            api.landAll();
            expect(await world.apply(G, state, new Map())).toBe(true);
            if ((await world.statusProblems(G)).length === 0) {
              expect(world.invariantViolations(G)).toEqual([]);
              expect(world.deadDestinations()).toEqual([]);
            }
            // The reconciler's next run (a changed stack or the daily drift check, a day later) repairs whatever status
            // reported, and retires the previous generations that retireEarly lets go.
            api.nowMs += 24 * HOUR;
            world.consume(G, [...tokens.map((_, token) => ({ token, previous: false })), ...finalUses]);
            const retained = world.retainedLive(G);
            expect(await world.apply(G, state, new Map(), { driftCheck: true })).toBe(true);
            expect(world.earlyRetirementViolations(retained)).toEqual([]);
            seen.retiredEarly += [...retained.values()].flat().filter((x) => x.revoked).length;
            expect(world.invariantViolations(G)).toEqual([]);
            expect(await world.statusProblems(G)).toEqual([]);
            expect(world.deadDestinations()).toEqual([]);
            expect(world.leakedSecrets()).toEqual([]);
            // Once its overlap has passed, the next reconciler run revokes the token made by hand, and only then.
            if (replaces) {
              api.nowMs += replaces.afterDays * DAY;
              expect(await world.apply(G, state, new Map(), { driftCheck: true })).toBe(true);
              expect(api.tokens.find((t) => t.tokenID === handMade.get(0)!.tokenID)!.revoked).toBe(true);
              seen.replaced++;
            }
            expect(world.replacementViolations(handMade, foreign)).toEqual([]);
          } finally {
            rmSync(dir, { recursive: true, force: true });
          }
        }),
        { numRuns: RUNS, seed: SEED, endOnFailure: true },
      );
      expect(seen.schedules).toBeGreaterThanOrEqual(RUNS);
    },
    Math.max(600_000, RUNS * 1_000),
  ); // a soak of thousands takes minutes
});
