/**
 * `buildStatusReport` as the pure function it is: (manifest, listed tokens, now) → verdicts, one row per verdict. The
 * emulator tests in status.test.ts keep what only the wire and the program show.
 */
import type { PersonalAccessTokenResponse } from '../../lib/api/models';
import { formatManagedName, pendingNameOf } from '../../lib/core/managed-name';
import type { StackManifest } from '../../lib/core/manifest';
import { buildStatusReport, VERDICT_ORDER, type Verdict } from '../../lib/ops/status-report';

const NOW = Date.parse('2027-03-01T00:00:00Z');
const DAY = 86_400_000;
const TAG = 'prod~abcdef';
const name = (g: number, tag = TAG) => formatManagedName({ declaredName: 'ci', stackTag: tag, generation: g });

/** `ci` at generation 5, rotating every 30 days from NOW − 10 days, keeping generation 4. */
const manifest: StackManifest = {
  version: 1,
  stackTag: TAG,
  apiUrl: 'https://mgmt.aglty.io',
  credentialEnv: 'AGILITY_ACCESS_TOKEN',
  tokens: [
    {
      declaredName: 'ci',
      constructPath: 'prod/ci',
      currentGeneration: 5,
      currentManagedName: name(5),
      expiryDate: new Date(NOW + 80 * DAY).toISOString(),
      nextRotation: new Date(NOW + 20 * DAY).toISOString(),
      live: [
        { managedName: name(5), generation: 5, role: 'ensure', expiryDate: new Date(NOW + 80 * DAY).toISOString() },
        { managedName: name(4), generation: 4, role: 'retain', expiryDate: new Date(NOW + 50 * DAY).toISOString() },
      ],
      sinks: [],
      verify: true,
      retireEarly: null,
      replaces: null,
    },
  ],
};

let ids = 0;
function token(tokenName: string, over: Partial<PersonalAccessTokenResponse> = {}): PersonalAccessTokenResponse {
  const expiryDate = over.expiryDate ?? new Date(NOW + 80 * DAY).toISOString();
  return {
    tokenID: `00000000-0000-4000-8000-${String(++ids).padStart(12, '0')}`,
    name: tokenName,
    createdDate: new Date(NOW - 10 * DAY).toISOString(),
    expiryDate,
    lastUsedDate: new Date(NOW - DAY).toISOString(),
    enabled: true,
    isExpired: Date.parse(expiryDate) <= NOW,
    daysUntilExpiration: Math.floor((Date.parse(expiryDate) - NOW) / DAY),
    ...over,
  };
}

const HOUR = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();
/** Generation 5 was created 10 days ago; generation 4, 40 days ago, last used by a consumer an hour after 5 arrived. */
const G5_CREATED = NOW - 10 * DAY;
const prev = (over: Partial<PersonalAccessTokenResponse> = {}) =>
  token(name(4), { createdDate: iso(NOW - 40 * DAY), lastUsedDate: iso(G5_CREATED + HOUR), ...over });
const healthy = () => [token(name(5)), prev()];
const withRetireEarly = (quietMs: number): StackManifest => ({
  ...manifest,
  tokens: [{ ...manifest.tokens[0]!, retireEarly: { quietMs } }],
});

describe('buildStatusReport verdicts', () => {
  const rows: [string, () => PersonalAccessTokenResponse[], number, Verdict[]][] = [
    ['ok: the current generation is live and delivered', healthy, NOW, ['ok']],
    ['missing: nothing under the managed name', () => [token(name(4))], NOW, ['missing']],
    ['missing: only a disabled token under it', () => [token(name(5), { enabled: false }), prev()], NOW, ['missing']],
    [
      'missing: only an expired token under it',
      () => [token(name(5), { expiryDate: new Date(NOW - DAY).toISOString() })],
      NOW,
      ['missing'],
    ],
    ['undelivered: only a token under the pending name', () => [token(pendingNameOf(name(5))), prev()], NOW, ['undelivered']],
    [
      'undelivered: a late-landed pending token next to the delivered one',
      () => [...healthy(), token(pendingNameOf(name(5)))],
      NOW,
      ['undelivered'],
    ],
    ['duplicate: two live tokens under the managed name', () => [...healthy(), token(name(5))], NOW, ['duplicate']],
    ['rotation-due: the next rotation instant has passed', healthy, NOW + 21 * DAY, ['rotation-due']],
    ['rotation-due: a newer generation is live (another machine deployed)', () => [...healthy(), token(name(6))], NOW, ['rotation-due']],
    [
      'expiring: fewer than 14 days left',
      () => [token(name(5), { expiryDate: new Date(NOW + 5 * DAY).toISOString() }), prev()],
      NOW,
      ['expiring'],
    ],
    [
      'unused: no consumer use for 30 days and 1 ms',
      () => [
        token(name(5), { createdDate: iso(NOW - 40 * DAY), lastUsedDate: iso(NOW - 30 * DAY - 1) }),
        prev({ createdDate: iso(NOW - 70 * DAY), lastUsedDate: iso(NOW - 40 * DAY + HOUR) }),
      ],
      NOW,
      ['unused'],
    ],
    [
      'ok: a consumer used it exactly 30 days ago',
      () => [
        token(name(5), { createdDate: iso(NOW - 40 * DAY), lastUsedDate: iso(NOW - 30 * DAY) }),
        prev({ createdDate: iso(NOW - 70 * DAY), lastUsedDate: iso(NOW - 40 * DAY + HOUR) }),
      ],
      NOW,
      ['ok'],
    ],
    [
      'never-used: the current token, created 30 days and 1 ms ago, never used',
      () => [token(name(5), { createdDate: iso(NOW - 30 * DAY - 1), lastUsedDate: null }), prev()],
      NOW,
      ['never-used'],
    ],
    [
      'never-used: the current token used only by the deploy (5 minutes after creation)',
      () => [token(name(5), { createdDate: iso(NOW - 31 * DAY), lastUsedDate: iso(NOW - 31 * DAY + 5 * 60_000) }), prev()],
      NOW,
      ['never-used'],
    ],
    [
      'ok: created exactly 30 days ago, never used',
      () => [token(name(5), { createdDate: iso(NOW - 30 * DAY), lastUsedDate: null }), prev()],
      NOW,
      ['ok'],
    ],
    [
      'never-used: the previous generation, created 40 days ago, no consumer ever used it',
      () => [token(name(5)), prev({ lastUsedDate: null })],
      NOW,
      ['never-used'],
    ],
    [
      'stale-consumer: the previous secret used 1 day and 1 ms after the current one was created (default quiet time)',
      () => [token(name(5)), prev({ lastUsedDate: iso(G5_CREATED + DAY + 1) })],
      NOW,
      ['stale-consumer'],
    ],
    [
      'ok: the previous secret last used exactly 1 day after the current one was created',
      () => [token(name(5)), prev({ lastUsedDate: iso(G5_CREATED + DAY) })],
      NOW,
      ['ok'],
    ],
    [
      'ok (not stale-consumer): no consumer has used the current token, so none has moved yet',
      () => [token(name(5), { lastUsedDate: iso(G5_CREATED + 60_000) }), prev({ lastUsedDate: iso(NOW - HOUR) })],
      NOW,
      ['ok'],
    ],
    [
      'stale-consumer and rotation-due: urgent before the rotation',
      () => [token(name(5)), prev({ lastUsedDate: iso(NOW - HOUR) })],
      NOW + 21 * DAY,
      ['stale-consumer', 'rotation-due'],
    ],
  ];
  it.each(rows)('%s', (_, listed, now, verdicts) => {
    const report = buildStatusReport(manifest, listed(), now);
    expect(report.tokens[0]!.verdicts).toEqual(verdicts);
    expect(report.tokens[0]!.verdict).toBe(verdicts[0]);
    expect(report.needsAction).toBe(verdicts[0] !== 'ok');
  });

  it.each<[string, number, Verdict[]]>([
    ['not stale 12 hours after', G5_CREATED + 12 * HOUR, ['ok']],
    ['stale-consumer 12 hours and 1 ms after', G5_CREATED + 12 * HOUR + 1, ['stale-consumer']],
  ])('reads the quiet time of stale-consumer from retireEarly (12 hours): %s', (_, lastOld, verdicts) => {
    const report = buildStatusReport(withRetireEarly(12 * HOUR), [token(name(5)), prev({ lastUsedDate: iso(lastOld) })], NOW);
    expect(report.tokens[0]!.verdicts).toEqual(verdicts);
  });

  it('says why and what to do in the notes of the usage verdicts', () => {
    const stale = buildStatusReport(manifest, [token(name(5)), prev({ lastUsedDate: iso(NOW - HOUR) })], NOW).tokens[0]!;
    expect(stale.notes).toEqual([
      expect.stringMatching(
        /^the previous secret \("ci \[cdktf:prod~abcdef\/g4\]"\) was still used on .*more than 1 day after .*some consumer never picked up the new secret/,
      ),
    ]);
    const never = buildStatusReport(manifest, [token(name(5)), prev({ lastUsedDate: null })], NOW).tokens[0]!;
    expect(never.notes).toEqual([
      expect.stringMatching(/g4\]" \(created .*\) has had no consumer use for more than 30 days .*remove it from the code/),
    ]);
  });

  it('describes the retained generation: its token, creation and last use; nulls when it is not live', () => {
    const listed = healthy();
    const report = buildStatusReport(manifest, listed, NOW);
    expect(report.tokens[0]!.retained).toEqual({
      managedName: name(4),
      generation: 4,
      live: true,
      tokenID: listed[1]!.tokenID,
      createdDate: iso(NOW - 40 * DAY),
      lastUsedDate: iso(G5_CREATED + HOUR),
    });
    expect(buildStatusReport(manifest, [token(name(5))], NOW).tokens[0]!.retained).toEqual({
      managedName: name(4),
      generation: 4,
      live: false,
      tokenID: null,
      createdDate: null,
      lastUsedDate: null,
    });
  });

  it('orphaned: a token of this stack the manifest does not keep, never a newer generation nor another stack', () => {
    const report = buildStatusReport(
      manifest,
      [...healthy(), token(name(3)), token(pendingNameOf(name(2))), token(name(6)), token(name(1, 'other~123456'))],
      NOW,
    );
    expect(report.orphaned.map((o) => o.name).sort()).toEqual([name(3), pendingNameOf(name(2))].sort());
    expect(report.otherTokens.map((o) => o.name)).toEqual([name(1, 'other~123456')]);
    expect(report.needsAction).toBe(true);
  });

  it('counts the live and pending tokens of the current generation on the row', () => {
    const report = buildStatusReport(manifest, [...healthy(), token(name(5)), token(pendingNameOf(name(5)))], NOW);
    expect(report.tokens[0]).toMatchObject({ deliveredCount: 2, pendingCount: 1, verdicts: ['undelivered', 'duplicate'] });
    expect(report.tokens[0]!.notes.join(' ')).toMatch(/agility-pat tokens revoke --stack-tag prod~abcdef/);
  });

  it('sink-drift: a sink that holds something else than the live token, only when the token is live', () => {
    const probes = (state: 'holds' | 'drift' | 'unchecked') =>
      new Map([['ci', [{ sink: 'file /srv/ci.pat', state, why: 'its last recorded delivery is of another token (x)' }]]]);
    const drifted = buildStatusReport(manifest, healthy(), NOW, { sinkChecks: probes('drift') });
    expect(drifted.tokens[0]!.verdicts).toEqual(['sink-drift']);
    expect(drifted.needsAction).toBe(true);
    expect(drifted.tokens[0]!.sinks).toEqual(probes('drift').get('ci'));
    expect(drifted.tokens[0]!.notes).toEqual([
      expect.stringMatching(/^file \/srv\/ci\.pat: its last recorded delivery is of another token \(x\)\. .*reconciler .*delivers a fresh/),
    ]);
    for (const state of ['holds', 'unchecked'] as const) {
      const report = buildStatusReport(manifest, healthy(), NOW, { sinkChecks: probes(state) });
      expect(report.tokens[0]!.verdicts).toEqual(['ok']);
      expect(report.needsAction).toBe(false);
    }
    // Not checked at all: no probes, no verdict.
    expect(buildStatusReport(manifest, healthy(), NOW).tokens[0]!.sinks).toEqual([]);
    // With no live token, missing says what a deploy does; a probe of nothing adds nothing.
    expect(buildStatusReport(manifest, [], NOW, { sinkChecks: probes('drift') }).tokens[0]!.verdicts).toEqual(['missing']);
    expect(VERDICT_ORDER.indexOf('sink-drift')).toBe(VERDICT_ORDER.indexOf('duplicate') + 1);
  });

  it('has a row test for every verdict but orphaned, sink-drift and being-replaced (tested on their own), in the order of urgency', () => {
    // Guards the table above: a new verdict must come with its case.
    const tested = new Set(rows.flatMap((r) => r[3]));
    // orphaned and sink-drift have their own tests above, being-replaced its own block below (it needs a manifest that replaces).
    const own = new Set(['orphaned', 'sink-drift', 'being-replaced']);
    expect(VERDICT_ORDER.filter((v) => !own.has(v) && !tested.has(v))).toEqual([]);
    expect(VERDICT_ORDER.indexOf('stale-consumer')).toBe(VERDICT_ORDER.indexOf('orphaned') + 1);
    expect(VERDICT_ORDER.slice(-4)).toEqual(['never-used', 'unused', 'being-replaced', 'ok']);
  });
});

describe('buildStatusReport: a token that replaces one made by hand', () => {
  /** `ci` replacing `ref` 7 days after its first delivery; its current token (g5) was created at NOW − 10 days. */
  const replacing = (ref: string) => ({ ...manifest, tokens: [{ ...manifest.tokens[0]!, replaces: { ref, afterMs: 7 * DAY } }] });
  const current = () => token(name(5), { createdDate: new Date(NOW - DAY).toISOString() });

  it('being-replaced while its overlap runs: information, no action needed; the hand-made row says by whom', () => {
    const legacy = token('legacy ci');
    const report = buildStatusReport(replacing('legacy ci'), [current(), legacy], NOW);
    const row = report.tokens[0]!;
    expect(row.verdicts).toEqual(['being-replaced']);
    expect(row.replaces).toMatchObject({
      ref: 'legacy ci',
      state: 'waiting',
      tokenID: legacy.tokenID,
      revokeAt: new Date(NOW + 6 * DAY).toISOString(),
    });
    expect(report.needsAction).toBe(false);
    expect(report.otherTokens).toEqual([expect.objectContaining({ tokenID: legacy.tokenID, replacedBy: 'ci', managedBy: null })]);
  });

  it('due once the overlap has passed: needs action (a deploy revokes it)', () => {
    const report = buildStatusReport(replacing('legacy ci'), [current(), token('legacy ci')], NOW + 6 * DAY);
    expect(report.tokens[0]!.replaces?.state).toBe('due');
    expect(report.tokens[0]!.notes.join(' ')).toMatch(/the stack's reconciler revokes it/);
    expect(report.needsAction).toBe(true);
  });

  it('waits for the managed token to be delivered before the overlap starts', () => {
    const report = buildStatusReport(replacing('legacy ci'), [token('legacy ci')], NOW);
    expect(report.tokens[0]!.verdicts).toEqual(['missing', 'being-replaced']);
    expect(report.tokens[0]!.replaces).toMatchObject({ state: 'waiting', revokeAt: null });
  });

  it('no verdict once the hand-made token is gone', () => {
    const report = buildStatusReport(replacing('legacy ci'), [current(), token(name(4))], NOW);
    expect(report.tokens[0]!.verdicts).toEqual(['ok']);
    expect(report.tokens[0]!.replaces?.state).toBe('gone');
  });

  it.each([
    ['a token of another stack', () => token(name(2, 'other~123456')), 'managed'],
    ['a name two tokens share', () => token('twin'), 'ambiguous'],
  ])('needs action when the reference is %s: the reconciler refuses it', (_, make, state) => {
    const target = make();
    const listed = state === 'ambiguous' ? [current(), target, token('twin')] : [current(), target];
    const report = buildStatusReport(replacing(state === 'ambiguous' ? 'twin' : target.tokenID), listed, NOW);
    expect(report.tokens[0]!.replaces?.state).toBe(state);
    expect(report.needsAction).toBe(true);
  });
});
