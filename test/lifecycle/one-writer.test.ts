/**
 * Fencing through the delivery record (docs/design.md, "Many machines, one writer"), with a fake account and the real
 * file sink: a writer whose token another writer revoked before its rename concedes. It puts back what it can, marks
 * the winner undelivered only when it wrote a sink that cannot be put back, and fails with SUPERSEDED saying so.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StopRequests } from '../../lib/cli/stop-requests';
import { hasErrorCode, type AgilityPatError } from '../../lib/core/errors';
import { formatManagedName, pendingNameOf } from '../../lib/core/managed-name';
import type { SinkSpec } from '../../lib/core/sink-spec';
import { ensureToken, reconcileStack, type LifecycleDeps, type TokenTarget } from '../../lib/lifecycle';
import { deliverSecret, validSinks } from '../helpers/deliver';
import { FakeAgility, HookRun } from '../helpers/fake-agility';

const NOW = Date.parse('2027-01-01T00:00:00Z');
const MANAGED = formatManagedName({ declaredName: 'ci', stackTag: 'prod~abcdef', generation: 5 });

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'agility-pat-one-writer-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const FILE: SinkSpec = { kind: 'file', path: 'ci.pat' };
const GITHUB: SinkSpec = { kind: 'github-actions', repository: 'acme/web', name: 'CI', apiUrl: 'https://github.invalid' };
const target = (sinks: SinkSpec[]): TokenTarget => ({
  declaredName: 'ci',
  managedName: MANAGED,
  generation: 5,
  expiryDate: null,
  sinks: validSinks(sinks),
});

/**
 * Deps whose delivery writes the file sink for real and pretends the GitHub sink took the secret (it cannot be undone);
 * `during` runs after this writer delivered and before its rename: another writer at work.
 */
function deps(api: FakeAgility, logs: string[], during: () => Promise<void>): LifecycleDeps {
  const stops = new StopRequests();
  return {
    api: api.apiFor(new HookRun()),
    clock: () => api.nowMs,
    log: (l) => logs.push(l),
    deliver: async (secret, sinks, info) => {
      const receipt = await deliverSecret(
        secret,
        sinks.filter((s) => s.kind === 'file'),
        info,
        { cwd: dir },
      );
      await during();
      return {
        undo: receipt.undo,
        unrestorable: sinks.filter((s) => s.kind === 'github-actions').map(() => 'github-actions acme/web (CI)'),
      };
    },
    lock: (_name, fn) => fn(),
    critical: (fn) => stops.critical(fn),
    checkpoint: () => stops.checkpoint(),
  };
}

/** The other writer: revokes our pending token (as its ensure does), creates its own, writes the file, renames it. */
async function otherWriterWins(api: FakeAgility): Promise<{ tokenID: string; secret: string }> {
  for (const t of api.live().filter((x) => x.name === pendingNameOf(MANAGED))) api.outOfBand('revoke', t.tokenID);
  const winner = api.seed(pendingNameOf(MANAGED));
  await deliverSecret(
    winner.secret,
    [FILE],
    { declaredName: 'ci', managedName: MANAGED, generation: 5, expiryDate: '2029-01-01T00:00:00Z', tokenId: winner.tokenID },
    { cwd: dir },
  );
  winner.name = MANAGED;
  return winner;
}

async function superseded(p: Promise<unknown>): Promise<AgilityPatError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  if (!hasErrorCode(e, 'SUPERSEDED')) throw new Error(`expected SUPERSEDED, got ${String(e)}`);
  return e;
}

/** This writer delivers to `sinks`, then the other writer wins before its rename: what this writer's ensure leaves. */
async function loseAfterDelivering(sinks: SinkSpec[]) {
  const api = new FakeAgility(NOW);
  const logs: string[] = [];
  let winner: { tokenID: string; secret: string } | undefined;
  const error = await superseded(
    ensureToken(
      deps(api, logs, async () => void (winner = await otherWriterWins(api))),
      target(sinks),
    ),
  );
  return { api, logs, winner: winner!, error };
}

describe('a writer whose token was revoked before its rename', () => {
  it('with restorable sinks only: leaves the winner delivered and its secret in the file, and says nothing else is to do', async () => {
    const { api, logs, winner, error } = await loseAfterDelivering([FILE]);

    expect(readFileSync(join(dir, 'ci.pat'), 'utf8')).toBe(winner.secret);
    expect(api.live().map((t) => t.name)).toEqual([MANAGED]);
    expect(error.message).toMatch(
      /was revoked by another writer .* this writer lost\. Its restorable sinks were taken back wherever they still held its secret: file ci\.pat\./,
    );
    expect(error.message).toContain(`The token the other writer delivered (${winner.tokenID}) is kept; nothing else to do.`);
    expect(error.details).toMatchObject({ managedName: MANAGED, restored: ['file ci.pat'], unrestorable: [], marked: [] });
    expect(logs.join('\n')).not.toContain('the next deploy replaces it');
  });

  it('puts back the file: it holds the winner again when the winner wrote it first', async () => {
    const api = new FakeAgility(NOW);
    const d = deps(api, [], async () => undefined);
    let winner: { tokenID: string; secret: string } | undefined;
    // The other writer runs between this writer's create and its delivery: it revokes this pending token, writes the
    // file and renames its own; then this writer writes the file over it.
    const error = await superseded(
      ensureToken(
        {
          ...d,
          api: {
            ...d.api,
            createToken: async (req) => {
              const created = await d.api.createToken(req);
              winner = await otherWriterWins(api);
              return created;
            },
          },
        },
        target([FILE]),
      ),
    );
    expect(error.details).toMatchObject({ restored: ['file ci.pat'], marked: [] });
    expect(readFileSync(join(dir, 'ci.pat'), 'utf8')).toBe(winner!.secret);
    expect(api.live().map((t) => t.tokenID)).toEqual([winner!.tokenID]);
  });

  it('with a sink that cannot be put back: marks the winner undelivered, and the next ensure delivers a fresh token', async () => {
    const { api, winner, error } = await loseAfterDelivering([FILE, GITHUB]);

    expect(api.live().map((t) => [t.tokenID, t.name])).toEqual([[winner.tokenID, pendingNameOf(MANAGED)]]);
    expect(error.details).toMatchObject({ unrestorable: ['github-actions acme/web (CI)'], marked: [winner.tokenID] });
    expect(error.message).toContain('may now hold its revoked secret and cannot be put back');
    expect(error.message).toContain('agility-pat status exits 20 until the next run of its create hook');

    // What the message promises: the next run replaces it, and every sink gets the fresh secret.
    const again = await ensureToken(
      deps(api, [], async () => undefined),
      target([FILE, GITHUB]),
    );
    expect(again.action).toBe('created');
    expect(api.live().map((t) => t.name)).toEqual([MANAGED]);
    expect(readFileSync(join(dir, 'ci.pat'), 'utf8')).toBe(api.live()[0]!.secret);
  });

  it('a pending token beside a delivered one, with a sink that cannot be checked back: the delivered one is replaced too', async () => {
    const api = new FakeAgility(NOW);
    const delivered = api.seed(MANAGED);
    const pending = api.seed(pendingNameOf(MANAGED));
    const restorableOnly = await ensureToken(
      deps(api, [], async () => undefined),
      target([FILE]),
    );
    expect(restorableOnly).toMatchObject({ action: 'kept', tokenId: delivered.tokenID });
    const pendingAgain = api.seed(pendingNameOf(MANAGED));
    const withGitHub = await ensureToken(
      deps(api, [], async () => undefined),
      target([FILE, GITHUB]),
    );
    expect(withGitHub.action).toBe('created');
    expect(
      api.tokens.filter((t) => [delivered.tokenID, pending.tokenID, pendingAgain.tokenID].includes(t.tokenID)).every((t) => t.revoked),
    ).toBe(true);
  });

  it('the reconciler replaces a live token whose sink drifted, reading the sink through probeSinks', async () => {
    const api = new FakeAgility(NOW);
    const live = api.seed(MANAGED);
    const manifest = {
      version: 1 as const,
      stackTag: 'prod~abcdef',
      apiUrl: 'https://fake.example',
      credentialEnv: 'X',
      tokens: [
        {
          declaredName: 'ci',
          constructPath: 'prod/ci',
          currentGeneration: 5,
          currentManagedName: MANAGED,
          expiryDate: null,
          nextRotation: null,
          live: [{ managedName: MANAGED, generation: 5, role: 'ensure' as const, expiryDate: null }],
          sinks: validSinks([FILE]),
          verify: false,
          retireEarly: null,
          replaces: null,
        },
      ],
    };
    const probed: string[] = [];
    const d: LifecycleDeps = {
      ...deps(api, [], async () => undefined),
      probeSinks: async (_sinks, token) => {
        probed.push(token.tokenID);
        return [{ sink: 'file ci.pat', state: token.tokenID === live.tokenID ? 'drift' : 'holds', why: 'changed since' }];
      },
    };
    const outcome = await reconcileStack(d, manifest);
    expect(probed).toEqual([live.tokenID]);
    expect(outcome.recreated).toEqual([MANAGED]);
    expect(api.tokens.find((t) => t.tokenID === live.tokenID)!.revoked).toBe(true);
    expect(readFileSync(join(dir, 'ci.pat'), 'utf8')).toBe(api.live()[0]!.secret);
  });
});
