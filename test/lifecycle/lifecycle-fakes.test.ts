/**
 * The lifecycle's pure middle with a fake token API (no emulator, no processes): each branch of ensure, retain,
 * revoke and reconcile by name, with the calls it makes and what it leaves live. The emulator and hook tests keep what
 * only the wire shows.
 */
import { StopRequests } from '../../lib/cli/stop-requests';
import { hasErrorCode, SinkError, VerifyFailedError } from '../../lib/core/errors';
import { formatManagedName, pendingNameOf } from '../../lib/core/managed-name';
import type { StackManifest } from '../../lib/core/manifest';
import {
  ensureToken,
  reconcileStack,
  retainToken,
  revokeToken,
  rotateNow,
  type Deliver,
  type LifecycleDeps,
  type TokenApi,
  type TokenTarget,
} from '../../lib/lifecycle';
import { buildStatusReport } from '../../lib/ops/status-report';
import { FakeAgility, HookRun, type Fault } from '../helpers/fake-agility';

const NOW = Date.parse('2027-01-01T00:00:00Z');
const TAG = 'prod~abcdef';
const name = (declared: string, g = 5, tag = TAG) => formatManagedName({ declaredName: declared, stackTag: tag, generation: g });

interface Harness {
  api: FakeAgility;
  deps: LifecycleDeps;
  calls: string[];
  delivered: Map<string, string>;
  logs: string[];
}

/** A fake account, a recording API over it (with faults for this run), and a delivery that records the secret. */
function harness(faults: Fault[] = [], deliver?: Deliver): Harness {
  const api = new FakeAgility(NOW);
  const inner = api.apiFor(new HookRun(faults));
  const calls: string[] = [];
  const record =
    <A extends unknown[], R>(label: string, fn: (...a: A) => Promise<R>) =>
    async (...a: A) => {
      calls.push(label);
      return fn(...a);
    };
  const recording: TokenApi = {
    listTokens: record('list', inner.listTokens),
    createToken: record('create', inner.createToken),
    updateToken: record('update', inner.updateToken),
    revokeToken: record('revoke', inner.revokeToken),
  };
  const delivered = new Map<string, string>();
  const logs: string[] = [];
  const stops = new StopRequests();
  return {
    api,
    calls,
    delivered,
    logs,
    deps: {
      api: recording,
      clock: () => api.nowMs,
      log: (l) => logs.push(l),
      deliver: deliver ?? (async (secret, _sinks, info) => void delivered.set(info.managedName, secret)),
      lock: (_name, fn) => fn(),
      critical: (fn) => stops.critical(fn),
      checkpoint: () => stops.checkpoint(),
    },
  };
}

const target = (declared = 'ci', g = 5): TokenTarget => ({
  declaredName: declared,
  managedName: name(declared, g),
  generation: g,
  expiryDate: null,
  sinks: [],
});

const liveNames = (h: Harness) =>
  h.api
    .live()
    .map((t) => t.name)
    .sort();
const secretOf = (h: Harness, managedName: string) => h.api.live().find((t) => t.name === managedName)?.secret;

describe('ensureToken', () => {
  it('on a clean account: creates under the pending name, delivers, then renames to the managed name', async () => {
    const h = harness();
    expect(await ensureToken(h.deps, target())).toMatchObject({ action: 'created' });
    expect(h.calls).toEqual(['list', 'create', 'update']);
    expect(h.api.tokens[0]!.name).toBe(name('ci'));
    expect(h.delivered.get(name('ci'))).toBe(secretOf(h, name('ci')));
  });

  it('keeps one live token under the managed name (it was delivered): a fresh or lost state adopts it', async () => {
    const h = harness();
    const adopted = h.api.seed(name('ci'));
    expect(await ensureToken(h.deps, target())).toEqual({ action: 'kept', tokenId: adopted.tokenID, expiryDate: expect.any(String) });
    expect(h.calls).toEqual(['list']);
    expect(h.delivered.size).toBe(0);
  });

  it.each([
    ['a token under the pending name (never delivered)', (a: FakeAgility) => a.seed(pendingNameOf(name('ci')))],
    ['a disabled token under the managed name', (a: FakeAgility) => a.seed(name('ci'), { enabled: false })],
  ])('revokes %s, then creates and delivers a fresh one', async (_, seed) => {
    const h = harness();
    const stale = seed(h.api);
    await ensureToken(h.deps, target());
    expect(h.calls).toEqual(['list', 'revoke', 'create', 'update']);
    expect(stale.revoked).toBe(true);
    expect(liveNames(h)).toEqual([name('ci')]);
  });

  it('replaces duplicates: with several live tokens under one name the sinks hold at most one, so all go', async () => {
    const h = harness();
    const [a, b] = [h.api.seed(name('ci')), h.api.seed(name('ci'))];
    expect(await ensureToken(h.deps, target())).toMatchObject({ action: 'created' });
    expect([a.revoked, b.revoked]).toEqual([true, true]);
    expect(liveNames(h)).toEqual([name('ci')]);
    expect(h.delivered.get(name('ci'))).toBe(secretOf(h, name('ci')));
  });

  it('leaves expired tokens alone (they authenticate nothing and count toward no limit)', async () => {
    const h = harness();
    const expired = h.api.seed(name('ci'), { expiryMs: NOW - 1 });
    await ensureToken(h.deps, target());
    expect(expired.revoked).toBe(false);
    expect(h.calls).toEqual(['list', 'create', 'update']);
  });

  it.each<[string, Fault['kind'], string[]]>([
    ['created, then a 500', '5xx-after', ['list', 'create', 'list', 'revoke', 'create', 'update']],
    ['created, then the connection dropped', 'drop-after', ['list', 'create', 'list', 'revoke', 'create', 'update']],
    ['created, then a timeout', 'timeout-after', ['list', 'create', 'list', 'revoke', 'create', 'update']],
    ['nothing created, a 503', '5xx-before', ['list', 'create', 'list', 'create', 'update']],
    ['nothing created, a timeout', 'timeout-before', ['list', 'create', 'list', 'create', 'update']],
  ])('after an ambiguous create (%s) lists first, revokes what the attempt made, creates once more', async (_, kind, calls) => {
    const h = harness([{ at: 1, kind }]);
    await ensureToken(h.deps, target());
    expect(h.calls).toEqual(calls);
    expect(liveNames(h)).toEqual([name('ci')]);
    expect(h.delivered.get(name('ci'))).toBe(secretOf(h, name('ci')));
  });

  it('a create refused with 429 fails at once: nothing retried, nothing left live', async () => {
    const h = harness([{ at: 1, kind: '429' }]);
    const e = await ensureToken(h.deps, target()).catch((x: unknown) => x);
    expect(hasErrorCode(e, 'RATE_LIMITED')).toBe(true);
    expect(h.calls).toEqual(['list', 'create']);
    expect(h.api.live()).toEqual([]);
  });

  it('a create that lands after the timeout stays under the pending name: undelivered by construction, never a silent duplicate', async () => {
    const h = harness([{ at: 1, kind: 'late' }]);
    await ensureToken(h.deps, target());
    h.api.landAll();
    expect(liveNames(h)).toEqual([name('ci'), pendingNameOf(name('ci'))].sort());
    // The next ensure (or the reconciler) revokes it and keeps the delivered one.
    expect(await ensureToken(h.deps, target())).toMatchObject({ action: 'kept' });
    expect(liveNames(h)).toEqual([name('ci')]);
  });

  it('when delivery fails, revokes the new token and rethrows: no undelivered token stays live', async () => {
    const failing: Deliver = async () => {
      throw new SinkError('could not deliver (test)', { sink: 'file x' });
    };
    const h = harness([], failing);
    const e = await ensureToken(h.deps, target()).catch((x: unknown) => x);
    expect(hasErrorCode(e, 'SINK_FAILED')).toBe(true);
    expect(h.calls).toEqual(['list', 'create', 'revoke']);
    expect(h.api.live()).toEqual([]);
  });

  it('a token that fails verification is revoked before any sink sees it', async () => {
    const h = harness();
    const verify = async () => {
      throw new VerifyFailedError('the new token does not authenticate (test)', { token: name('ci') });
    };
    const e = await ensureToken({ ...h.deps, verify }, target()).catch((x: unknown) => x);
    expect(hasErrorCode(e, 'VERIFY_FAILED')).toBe(true);
    expect(h.calls).toEqual(['list', 'create', 'revoke']);
    expect(h.delivered.size).toBe(0);
    expect(h.api.live()).toEqual([]);
  });

  it.each<[string, string | null, string]>([
    ['an expiry already past', null, '2026-12-31T00:00:00Z'],
    ['an expiry already past, though 2027-06-01 was asked for', '2027-06-01T00:00:00Z', '2026-06-01T00:00:00Z'],
    ['an expiry more than a day from the one asked for', '2027-06-01T00:00:00Z', '2027-06-02T00:00:01Z'],
  ])('a created token with %s is revoked and reported, never delivered', async (_what, asked, returned) => {
    const h = harness();
    const create = h.deps.api.createToken;
    const api = {
      ...h.deps.api,
      createToken: async (req: Parameters<typeof create>[0]) => ({ ...(await create(req)), expiryDate: returned }),
    };
    const e = await ensureToken({ ...h.deps, api }, { ...target(), expiryDate: asked }).catch((x: unknown) => x);
    expect(hasErrorCode(e, 'BAD_RESPONSE')).toBe(true);
    expect((e as Error).message).toContain(`with ${returned === '2027-06-02T00:00:01Z' ? 'the expiry' : 'an expiry already past'}`);
    expect((e as Error).message).toContain('it was revoked and nothing was delivered');
    expect(h.calls).toEqual(['list', 'create', 'revoke']);
    expect(h.delivered.size).toBe(0);
    expect(h.api.live()).toEqual([]);
  });

  it('accepts a created expiry within a day of the one asked for', async () => {
    const h = harness();
    const create = h.deps.api.createToken;
    const api = {
      ...h.deps.api,
      createToken: async (req: Parameters<typeof create>[0]) => ({ ...(await create(req)), expiryDate: '2027-06-01T23:00:00Z' }),
    };
    expect(await ensureToken({ ...h.deps, api }, { ...target(), expiryDate: '2027-06-01T00:00:00Z' })).toMatchObject({ action: 'created' });
  });

  it('a rename that timed out after it was done is confirmed from the list', async () => {
    const h = harness([{ at: 2, kind: 'timeout-after' }]); // list, create, update
    await ensureToken(h.deps, target());
    expect(h.calls).toEqual(['list', 'create', 'update', 'list']);
    expect(liveNames(h)).toEqual([name('ci')]);
  });

  it('a rename that keeps failing fails the hook, leaving the delivered token pending for the next run to replace', async () => {
    const h = harness([
      { at: 2, kind: '5xx-before' },
      { at: 4, kind: '5xx-before' },
      { at: 6, kind: '5xx-before' },
    ]); // list, create, update, list, update, list, update
    const e = await ensureToken(h.deps, target()).catch((x: unknown) => x);
    expect(hasErrorCode(e, 'API_ERROR')).toBe(true);
    expect(liveNames(h)).toEqual([pendingNameOf(name('ci'))]);
  });

  it('creates nothing for a fixed expiry that has passed', async () => {
    const h = harness();
    expect(await ensureToken(h.deps, { ...target(), expiryDate: '2026-01-01T00:00:00Z' })).toMatchObject({ action: 'skipped-expired' });
    expect(h.calls).toEqual([]);
  });

  it('stops at a safe point when a stop was requested before it starts: no call is made', async () => {
    const h = harness();
    const stops = new StopRequests();
    stops.request('SIGTERM');
    const e = await ensureToken({ ...h.deps, checkpoint: () => stops.checkpoint(), critical: (fn) => stops.critical(fn) }, target()).catch(
      (x: unknown) => x,
    );
    expect(hasErrorCode(e, 'INTERRUPTED')).toBe(true);
    expect(h.calls).toEqual([]);
  });
});

describe('retainToken and revokeToken', () => {
  it('retain keeps a live previous generation, revokes its pending and disabled tokens, and never creates', async () => {
    const h = harness();
    h.api.seed(name('ci', 4));
    const pending = h.api.seed(pendingNameOf(name('ci', 4)));
    const disabled = h.api.seed(name('ci', 4), { enabled: false });
    expect(await retainToken(h.deps, name('ci', 4))).toEqual({ live: true });
    expect([pending.revoked, disabled.revoked]).toEqual([true, true]);
    expect(h.calls).not.toContain('create');
  });

  it('revoke removes every token under the managed or pending name, and leaves expired ones and other names alone', async () => {
    const h = harness();
    const ours = [h.api.seed(name('ci')), h.api.seed(pendingNameOf(name('ci'))), h.api.seed(name('ci'), { enabled: false })];
    const expired = h.api.seed(name('ci'), { expiryMs: NOW - 1 });
    const other = h.api.seed(name('ci', 4));
    expect(await revokeToken(h.deps, name('ci'))).toEqual({ revoked: 3 });
    expect(ours.map((t) => t.revoked)).toEqual([true, true, true]);
    expect([expired.revoked, other.revoked]).toEqual([false, false]);
  });
});

/** A manifest of `ci` (rotating, G and G−1) and `web` (fixed, generation 0). */
function manifest(
  G = 5,
  ci: { verify?: boolean; expiryDate?: string | null; retireEarly?: { quietMs: number } | null } = {},
): StackManifest {
  return {
    version: 1,
    stackTag: TAG,
    apiUrl: 'https://fake.example',
    credentialEnv: 'X',
    tokens: [
      {
        declaredName: 'ci',
        constructPath: 'prod/ci',
        currentGeneration: G,
        currentManagedName: name('ci', G),
        expiryDate: null,
        nextRotation: null,
        live: [
          { managedName: name('ci', G), generation: G, role: 'ensure', expiryDate: ci.expiryDate ?? null },
          { managedName: name('ci', G - 1), generation: G - 1, role: 'retain', expiryDate: null },
        ],
        sinks: [],
        verify: ci.verify ?? true,
        retireEarly: ci.retireEarly ?? null,
        replaces: null,
      },
      {
        declaredName: 'web',
        constructPath: 'prod/web',
        currentGeneration: 0,
        currentManagedName: name('web', 0),
        expiryDate: null,
        nextRotation: null,
        live: [{ managedName: name('web', 0), generation: 0, role: 'ensure', expiryDate: null }],
        sinks: [],
        verify: true,
        retireEarly: null,
        replaces: null,
      },
    ],
  };
}

describe('reconcileStack', () => {
  it('does nothing but list when every declared name has exactly one delivered token', async () => {
    const h = harness();
    [name('ci'), name('ci', 4), name('web', 0)].forEach((n) => h.api.seed(n));
    expect(await reconcileStack(h.deps, manifest())).toEqual({
      revokedOrphans: [],
      recreated: [],
      cleaned: [],
      retiredEarly: [],
      replacedHandMade: [],
    });
    expect(h.calls).toEqual(['list']);
  });

  it('revokes orphans of this stack, never a newer generation of a declared name, never another stack', async () => {
    const h = harness();
    [name('ci'), name('ci', 4), name('web', 0)].forEach((n) => h.api.seed(n));
    const orphan = h.api.seed(name('gone', 1));
    const oldGeneration = h.api.seed(name('ci', 3));
    const newer = h.api.seed(name('ci', 6));
    const newerPending = h.api.seed(pendingNameOf(name('ci', 6)));
    const otherStack = h.api.seed(name('ci', 1, 'other~123456'));
    const out = await reconcileStack(h.deps, manifest());
    expect(out.revokedOrphans.sort()).toEqual([name('ci', 3), name('gone', 1)].sort());
    expect([orphan.revoked, oldGeneration.revoked]).toEqual([true, true]);
    expect([newer.revoked, newerPending.revoked, otherStack.revoked]).toEqual([false, false, false]);
  });

  it.each<[string, (a: FakeAgility) => void]>([
    ['revoked outside Terraform', () => undefined],
    ['disabled outside Terraform', (a) => void a.seed(name('ci'), { enabled: false })],
    ['created by an earlier reconcile that died before delivery (pending only)', (a) => void a.seed(pendingNameOf(name('ci')))],
    ['duplicated', (a) => [a.seed(name('ci')), a.seed(name('ci'))].forEach(() => undefined)],
  ])('recreates and redelivers a current token that was %s', async (_, seed) => {
    const h = harness();
    [name('ci', 4), name('web', 0)].forEach((n) => h.api.seed(n));
    seed(h.api);
    const out = await reconcileStack(h.deps, manifest());
    expect(out.recreated).toEqual([name('ci')]);
    expect(h.api.live().filter((t) => t.name === name('ci'))).toHaveLength(1);
    expect(h.api.live().filter((t) => t.name === pendingNameOf(name('ci')))).toHaveLength(0);
    expect(h.delivered.get(name('ci'))).toBe(secretOf(h, name('ci')));
  });

  it('revokes a late-landed pending token next to a delivered one, keeping the delivered one', async () => {
    const h = harness();
    [name('ci'), name('ci', 4), name('web', 0)].forEach((n) => h.api.seed(n));
    const late = h.api.seed(pendingNameOf(name('ci')));
    const kept = secretOf(h, name('ci'));
    const out = await reconcileStack(h.deps, manifest());
    expect(out).toMatchObject({ recreated: [], cleaned: [name('ci')] });
    expect(late.revoked).toBe(true);
    expect(secretOf(h, name('ci'))).toBe(kept);
  });

  it('cleans pending tokens of the previous generation but never creates one', async () => {
    const h = harness();
    [name('ci'), name('web', 0)].forEach((n) => h.api.seed(n));
    const pending = h.api.seed(pendingNameOf(name('ci', 4)));
    const out = await reconcileStack(h.deps, manifest());
    expect(out.cleaned).toEqual([name('ci', 4)]);
    expect(pending.revoked).toBe(true);
    expect(h.calls.filter((c) => c === 'create')).toEqual([]);
  });
});

describe('reconcileStack: replaces', () => {
  const DAY = 86_400_000;
  /** The manifest with `ci` replacing `ref` after `afterMs`. */
  const replacing = (ref: string, afterMs = 7 * DAY): StackManifest => {
    const m = manifest();
    return { ...m, tokens: m.tokens.map((t) => (t.declaredName === 'ci' ? { ...t, replaces: { ref, afterMs } } : t)) };
  };

  it('keeps the hand-made token until one overlap after the first delivery, then revokes it and nothing else', async () => {
    const h = harness();
    [name('ci'), name('ci', 4), name('web', 0)].forEach((n) => h.api.seed(n));
    const legacy = h.api.seed('legacy ci token');
    h.api.nowMs = NOW + 7 * DAY - 1;
    expect((await reconcileStack(h.deps, replacing('legacy ci token'))).replacedHandMade).toEqual([]);
    expect(legacy.revoked).toBe(false);
    h.api.nowMs = NOW + 7 * DAY;
    const out = await reconcileStack(h.deps, replacing('legacy ci token'));
    expect(out.replacedHandMade).toEqual([`legacy ci token (${legacy.tokenID})`]);
    expect(legacy.revoked).toBe(true);
    expect(liveNames(h)).toEqual([name('ci'), name('ci', 4), name('web', 0)].sort());
  });

  it('with no overlap, delivers the managed token and revokes the hand-made one in the same run', async () => {
    const h = harness();
    [name('web', 0)].forEach((n) => h.api.seed(n));
    const legacy = h.api.seed('legacy');
    const out = await reconcileStack(h.deps, replacing(legacy.tokenID, 0));
    expect(out.recreated).toEqual([name('ci')]);
    expect(out.replacedHandMade).toEqual([`legacy (${legacy.tokenID})`]);
    expect(h.calls.indexOf('revoke')).toBeGreaterThan(h.calls.lastIndexOf('update'));
  });

  it('never revokes it while the managed token is not delivered (its delivery failed)', async () => {
    const failing: Deliver = async () => {
      throw new SinkError('the sink is down (test)', { sink: 'file' });
    };
    const h = harness([], failing);
    [name('web', 0)].forEach((n) => h.api.seed(n));
    const legacy = h.api.seed('legacy');
    await expect(reconcileStack(h.deps, replacing('legacy', 0))).rejects.toMatchObject({ code: 'SINK_FAILED' });
    expect(legacy.revoked).toBe(false);
  });

  it.each<[string, (h: Harness) => string]>([
    ['a token of this stack, by id', (h) => h.api.tokens.find((t) => t.name === name('web', 0))!.tokenID],
    ["another stack's token, by id", (h) => h.api.seed(name('ci', 1, 'other~123456')).tokenID],
    ['a name two hand-made tokens share', (h) => [h.api.seed('twin'), h.api.seed('twin')].map((t) => t.name)[0]],
  ])('refuses %s: the run fails naming it, revokes nothing for it, and still does the rest', async (_, pick) => {
    const h = harness();
    [name('ci', 4), name('web', 0)].forEach((n) => h.api.seed(n));
    const ref = pick(h);
    const before = h.api.list().map((t) => t.tokenID);
    const e = await reconcileStack(h.deps, replacing(ref, 0)).catch((x: unknown) => x);
    expect(hasErrorCode(e, 'CONFIG')).toBe(true);
    expect((e as Error).message).toMatch(/prod\/ci: replaces/);
    expect((e as Error).message).toMatch(/Nothing was revoked for it\./);
    // The current token was recreated (the rest of the run happened), and nothing listed before was revoked.
    expect(h.api.list().map((t) => t.tokenID)).toEqual(expect.arrayContaining(before));
    expect(liveNames(h)).toContain(name('ci'));
  });

  it('a reference that matches nothing (already revoked) is done: no call but the listings', async () => {
    const h = harness();
    [name('ci'), name('ci', 4), name('web', 0)].forEach((n) => h.api.seed(n));
    expect((await reconcileStack(h.deps, replacing('long gone'))).replacedHandMade).toEqual([]);
    expect(h.calls).toEqual(['list', 'list']);
  });
});

describe('rotateNow', () => {
  /** ci's current (delivered, pending, disabled), retained and an older orphan generation; web's token; another stack's ci. */
  function seeded(h: Harness) {
    return {
      current: h.api.seed(name('ci')),
      pending: h.api.seed(pendingNameOf(name('ci'))),
      disabled: h.api.seed(name('ci'), { enabled: false }),
      retained: h.api.seed(name('ci', 4)),
      older: h.api.seed(name('ci', 3)),
      web: h.api.seed(name('web', 0)),
      otherStack: h.api.seed(name('ci', 5, 'other~123456')),
    };
  }
  const withVerify = (h: Harness, proven: string[]): LifecycleDeps => ({
    ...h.deps,
    verify: async (secret) => void proven.push(secret),
  });

  it('revokes every live token of the declared name (current, pending, disabled, retained, older), then creates, verifies and delivers one', async () => {
    const h = harness();
    const t = seeded(h);
    const proven: string[] = [];
    const out = await rotateNow(withVerify(h, proven), manifest(), 'ci');
    expect([t.current, t.pending, t.disabled, t.retained, t.older].map((x) => x.revoked)).toEqual([true, true, true, true, true]);
    expect([t.web.revoked, t.otherStack.revoked]).toEqual([false, false]);
    expect(out.revoked).toEqual([
      { managedName: name('ci'), revoked: 3 },
      { managedName: name('ci', 4), revoked: 1 },
      { managedName: name('ci', 3), revoked: 1 },
    ]);
    const fresh = h.api.live().filter((x) => x.name === name('ci'));
    expect(fresh).toHaveLength(1);
    expect(out.current).toEqual({ action: 'created', managedName: name('ci'), tokenId: fresh[0]!.tokenID, expiryDate: expect.any(String) });
    expect(fresh[0]!.secret).not.toBe(t.current.secret);
    expect(proven).toEqual([fresh[0]!.secret]);
    expect(h.delivered.get(name('ci'))).toBe(fresh[0]!.secret);
    expect(liveNames(h)).toEqual([name('ci'), name('ci', 5, 'other~123456'), name('web', 0)].sort());
  });

  it("honours the token's verify: false (no proof asked of the new token)", async () => {
    const h = harness();
    seeded(h);
    const proven: string[] = [];
    await rotateNow(withVerify(h, proven), manifest(5, { verify: false }), 'ci');
    expect(proven).toEqual([]);
    expect(h.delivered.get(name('ci'))).toBe(secretOf(h, name('ci')));
  });

  it('a create that fails after the revocations throws and leaves the name missing (status says so); a rerun repairs it', async () => {
    // Calls: list, list+3 revokes (g5), list+revoke (g4), list+revoke (g3), list (ensure), create: the 11th (index 10).
    const h = harness([{ at: 10, kind: '429' }]);
    const t = seeded(h);
    const e = await rotateNow(h.deps, manifest(), 'ci').catch((x: unknown) => x);
    expect(hasErrorCode(e, 'RATE_LIMITED')).toBe(true);
    expect(h.calls.at(-1)).toBe('create');
    expect(t.current.revoked).toBe(true);
    expect(h.api.live().filter((x) => x.name.startsWith('ci [cdktf:prod'))).toEqual([]);
    const report = buildStatusReport(manifest(), h.api.list(), h.api.nowMs);
    expect(report.tokens.find((r) => r.declaredName === 'ci')!.verdicts).toContain('missing');

    const again = await rotateNow(h.deps, manifest(), 'ci');
    expect(again.current.action).toBe('created');
    expect(again.revoked.every((r) => r.revoked === 0)).toBe(true);
    expect(
      h.api
        .live()
        .filter((x) => x.name.startsWith('ci [cdktf:prod'))
        .map((x) => x.name),
    ).toEqual([name('ci')]);
    expect(h.delivered.get(name('ci'))).toBe(secretOf(h, name('ci')));
    expect(buildStatusReport(manifest(), h.api.list(), h.api.nowMs).tokens.find((r) => r.declaredName === 'ci')!.verdicts).not.toContain(
      'missing',
    );
  });

  it("refuses when a newer generation than the manifest's is listed (the manifest is behind), revoking nothing", async () => {
    const h = harness();
    const t = seeded(h);
    const newer = h.api.seed(name('ci', 6));
    const e = await rotateNow(h.deps, manifest(), 'ci').catch((x: unknown) => x);
    expect(hasErrorCode(e, 'CONFIG')).toBe(true);
    expect((e as Error).message).toMatch(/generation 6 of "ci" is live, newer than the manifest's 5: .* Run cdktf synth again/);
    expect(h.calls).toEqual(['list']);
    expect([t.current, t.retained, newer].map((x) => x.revoked)).toEqual([false, false, false]);
  });

  it('refuses a name the stack does not declare, listing the declared ones, with no API call', async () => {
    const h = harness();
    seeded(h);
    const e = await rotateNow(h.deps, manifest(), 'cd').catch((x: unknown) => x);
    expect(hasErrorCode(e, 'INVALID_INPUT')).toBe(true);
    expect((e as Error).message).toMatch(/declares no token named "cd" \(declared: "ci", "web"\): nothing was revoked/);
    expect(h.calls).toEqual([]);
  });

  it('refuses a current generation whose fixed expiry has passed, with no API call', async () => {
    const h = harness();
    seeded(h);
    const e = await rotateNow(h.deps, manifest(5, { expiryDate: '2026-06-01T00:00:00Z' }), 'ci').catch((x: unknown) => x);
    expect(hasErrorCode(e, 'CONFIG')).toBe(true);
    expect((e as Error).message).toMatch(/expired at 2026-06-01T00:00:00Z .* Set a later expiresAt/);
    expect(h.calls).toEqual([]);
  });
});

describe('reconcileStack with rotation.retireEarly', () => {
  const HOUR = 3_600_000;
  const quiet = { quietMs: 12 * HOUR };

  /** g4 created a week before g5; a consumer used g5 an hour after NOW and g4 last at NOW + 2 h. */
  function rotated() {
    const h = harness();
    h.api.nowMs = NOW - 7 * 86_400_000;
    const g4 = h.api.seed(name('ci', 4));
    h.api.nowMs = NOW;
    const g5 = h.api.seed(name('ci'));
    h.api.seed(name('web', 0));
    h.api.nowMs = NOW + HOUR;
    h.api.use(g5.secret);
    h.api.nowMs = NOW + 2 * HOUR;
    h.api.use(g4.secret);
    return { h, g4, g5 };
  }

  it('retires the previous generation once it has been quiet for the quiet time, checking again on a fresh listing', async () => {
    const { h, g4 } = rotated();
    h.api.nowMs = NOW + 14 * HOUR;
    const out = await reconcileStack(h.deps, manifest(5, { retireEarly: quiet }));
    expect(out).toEqual({ revokedOrphans: [], recreated: [], cleaned: [], retiredEarly: [name('ci', 4)], replacedHandMade: [] });
    expect(h.calls).toEqual(['list', 'list', 'revoke']);
    expect(g4.revoked).toBe(true);
    expect(liveNames(h)).toEqual([name('ci'), name('web', 0)].sort());
    expect(h.logs).toContainEqual(expect.stringMatching(/retired early: .*no use for 12 hours/));
    expect(h.logs.at(-1)).toMatch(/1 retired early/);
  });

  it('keeps it 1 ms before the quiet time is over, and when the token has no retireEarly', async () => {
    const { h, g4 } = rotated();
    h.api.nowMs = NOW + 14 * HOUR - 1;
    expect((await reconcileStack(h.deps, manifest(5, { retireEarly: quiet }))).retiredEarly).toEqual([]);
    h.api.nowMs = NOW + 6 * 86_400_000;
    expect((await reconcileStack(h.deps, manifest(5))).retiredEarly).toEqual([]);
    expect(h.calls).toEqual(['list', 'list']);
    expect(g4.revoked).toBe(false);
  });

  it('keeps it when a consumer uses the old secret between the listing and the lock', async () => {
    const { h, g4 } = rotated();
    h.api.nowMs = NOW + 14 * HOUR;
    const deps: LifecycleDeps = { ...h.deps, lock: (_n, fn) => (h.api.use(g4.secret), fn()) };
    expect((await reconcileStack(deps, manifest(5, { retireEarly: quiet }))).retiredEarly).toEqual([]);
    expect(g4.revoked).toBe(false);
    expect(h.logs).toContainEqual(expect.stringMatching(/kept ".*g4\]" after all: the previous generation was used 0 seconds ago/));
  });

  it('leaves the retained slot a no-op afterwards (its hook creates nothing), and a later rotation still works', async () => {
    const { h } = rotated();
    h.api.nowMs = NOW + 14 * HOUR;
    await reconcileStack(h.deps, manifest(5, { retireEarly: quiet }));
    h.calls.length = 0;
    expect(await retainToken(h.deps, name('ci', 4))).toEqual({ live: false });
    expect(h.calls).toEqual(['list']);

    // Generation 6 starts: ensure creates it, g5 is kept, g4 stays gone.
    h.api.nowMs = NOW + 7 * 86_400_000;
    h.calls.length = 0;
    expect(await ensureToken(h.deps, target('ci', 6))).toMatchObject({ action: 'created' });
    expect(await retainToken(h.deps, name('ci', 5))).toEqual({ live: true });
    expect(await reconcileStack(h.deps, manifest(6, { retireEarly: quiet }))).toEqual({
      revokedOrphans: [],
      recreated: [],
      cleaned: [],
      retiredEarly: [],
      replacedHandMade: [],
    });
    expect(h.calls).toEqual(['list', 'create', 'update', 'list', 'list']);
    expect(liveNames(h)).toEqual([name('ci', 5), name('ci', 6), name('web', 0)].sort());
    // Consumers move to g6; g5 goes once quiet.
    h.api.nowMs += HOUR;
    h.api.use(secretOf(h, name('ci', 6))!);
    h.api.nowMs += 12 * HOUR;
    expect((await reconcileStack(h.deps, manifest(6, { retireEarly: quiet }))).retiredEarly).toEqual([name('ci', 5)]);
    expect(liveNames(h)).toEqual([name('ci', 6), name('web', 0)].sort());
  });
});
