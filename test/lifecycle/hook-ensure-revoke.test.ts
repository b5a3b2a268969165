import { statSync } from 'node:fs';
import { join } from 'node:path';
import { pendingNameOf } from '../../lib/core/managed-name';
import { advance, call, createToken } from '../emulator/support';
import {
  authenticates,
  ciInputs,
  clearRequests,
  expectDelivered,
  liveNamed,
  liveTokens,
  managed,
  runHook,
  tokenCalls,
  useHookSuite,
} from './hook-harness';

const { emulator, tmp, signIn, ensureCi } = useHookSuite();

describe('hook create (ensure)', () => {
  it('creates one token under its pending name on a clean account, delivers it 0600, then renames it: a list, a create and an update', async () => {
    const email = 'ensure-clean@example.com';
    const oauth = await signIn(email);
    await clearRequests(emulator());

    const { run, file, name } = await ensureCi(oauth, join(tmp(), 'secrets', 'ci.pat'));

    expect(run.code).toBe(0);
    expect(await tokenCalls(emulator(), email)).toEqual([
      'GET /api/v1/tokens/list 200',
      'POST /api/v1/tokens/create 201',
      'PUT /api/v1/tokens/{id}/update 200',
    ]);
    expect((await liveTokens(emulator(), oauth)).map((t) => t.name)).toEqual([name]);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const secret = await expectDelivered(emulator(), oauth, name, file);
    expect(await authenticates(emulator(), secret)).toBe(true);
  });

  it('accepts a relative file sink path, resolved against the working directory of the hook', async () => {
    const oauth = await signIn('ensure-relative@example.com');
    const name = managed('relative');
    const run = await runHook(
      emulator(),
      'create',
      {
        credential: oauth,
        managedName: name,
        declaredName: 'relative',
        generation: 5,
        sinks: [{ kind: 'file', path: 'out/relative.pat' }],
      },
      tmp(),
    );
    expect(run.code).toBe(0);
    await expectDelivered(emulator(), oauth, name, join(tmp(), 'out', 'relative.pat'));
  });

  it('keeps a live token that already bears the managed name (only a delivered token gets it): one list, nothing created or revoked', async () => {
    const email = 'ensure-existing@example.com';
    const oauth = await signIn(email);
    const old = await createToken(emulator(), oauth, managed('ci'));
    await clearRequests(emulator());

    const { run } = await ensureCi(oauth);

    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/is live and was delivered: kept, nothing created/);
    expect(await tokenCalls(emulator(), email)).toEqual(['GET /api/v1/tokens/list 200']);
    expect(await authenticates(emulator(), old.token)).toBe(true);
  });

  it('revokes a token left under the pending name (never delivered) and a disabled one, then creates, delivers and renames', async () => {
    const email = 'ensure-pending@example.com';
    const oauth = await signIn(email);
    const pending = await createToken(emulator(), oauth, pendingNameOf(managed('ci')));
    const disabled = await createToken(emulator(), oauth, managed('ci'));
    expect(
      (await call(emulator(), 'PUT', `/api/v1/tokens/${disabled.tokenID}/update`, { token: oauth, json: { enabled: false } })).status,
    ).toBe(200);
    await clearRequests(emulator());

    const { run, file, name } = await ensureCi(oauth);

    expect(run.code).toBe(0);
    expect(await tokenCalls(emulator(), email)).toEqual([
      'GET /api/v1/tokens/list 200',
      'DELETE /api/v1/tokens/{id}/delete 204',
      'DELETE /api/v1/tokens/{id}/delete 204',
      'POST /api/v1/tokens/create 201',
      'PUT /api/v1/tokens/{id}/update 200',
    ]);
    expect(await authenticates(emulator(), pending.token)).toBe(false);
    const secret = await expectDelivered(emulator(), oauth, name, file);
    expect(secret).not.toBe(pending.token);
    expect((await liveTokens(emulator(), oauth)).map((t) => t.name)).toEqual([name]);
  });

  it('leaves tokens with other names alone', async () => {
    const oauth = await signIn('ensure-others@example.com');
    const other = await createToken(emulator(), oauth, managed('ci', 4));
    const hand = await createToken(emulator(), oauth, 'hand-made');
    const run = await runHook(emulator(), 'create', ciInputs(oauth), tmp());
    expect(run.code).toBe(0);
    expect((await liveTokens(emulator(), oauth)).map((t) => t.name).sort()).toEqual([managed('ci', 4), managed('ci'), 'hand-made'].sort());
    expect(await authenticates(emulator(), other.token)).toBe(true);
    expect(await authenticates(emulator(), hand.token)).toBe(true);
  });

  it('passes a fixed expiry through to the created token', async () => {
    const oauth = await signIn('ensure-expiry@example.com');
    const name = managed('fixed', 0);
    const expiry = new Date(Date.now() + 30 * 86_400_000).toISOString();
    const run = await runHook(
      emulator(),
      'create',
      { credential: oauth, managedName: name, declaredName: 'fixed', generation: 0, expiry, sinks: [] },
      tmp(),
    );
    expect(run.code).toBe(0);
    const [token] = await liveNamed(emulator(), oauth, name);
    expect(Date.parse(token.expiryDate)).toBe(Date.parse(expiry));
  });

  it('creates nothing when the fixed expiry has already passed, and says so', async () => {
    const email = 'ensure-past@example.com';
    const oauth = await signIn(email);
    const name = managed('past', 0);
    await clearRequests(emulator());
    const run = await runHook(
      emulator(),
      'create',
      { credential: oauth, managedName: name, declaredName: 'past', generation: 0, expiry: '2020-01-01T00:00:00Z', sinks: [] },
      tmp(),
    );
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/expired at 2020-01-01T00:00:00Z: creating nothing/);
    expect(await tokenCalls(emulator(), email)).toEqual([]);
    expect(await liveTokens(emulator(), oauth)).toEqual([]);
  });
});

describe('hook create of the previous generation (retain)', () => {
  it('creates nothing when the previous generation is missing: the log shows only a list', async () => {
    const email = 'retain-missing@example.com';
    const oauth = await signIn(email);
    const file = join(tmp(), 'ci.pat');
    await clearRequests(emulator());

    const run = await runHook(
      emulator(),
      'create',
      {
        credential: oauth,
        managedName: managed('ci', 4),
        declaredName: 'ci',
        generation: 4,
        currentGeneration: 5,
        sinks: [{ kind: 'file', path: file }],
      },
      tmp(),
    );

    expect(run.code).toBe(0);
    expect(await tokenCalls(emulator(), email)).toEqual(['GET /api/v1/tokens/list 200']);
    expect(await liveTokens(emulator(), oauth)).toEqual([]);
    expect(() => statSync(file)).toThrow();
  });

  it('keeps a live previous generation as it is: no revoke, no create', async () => {
    const email = 'retain-live@example.com';
    const oauth = await signIn(email);
    const prev = await createToken(emulator(), oauth, managed('ci', 4));
    await clearRequests(emulator());
    const run = await runHook(
      emulator(),
      'create',
      { credential: oauth, managedName: managed('ci', 4), declaredName: 'ci', generation: 4, currentGeneration: 5, sinks: [] },
      tmp(),
    );
    expect(run.code).toBe(0);
    expect(await tokenCalls(emulator(), email)).toEqual(['GET /api/v1/tokens/list 200']);
    expect(await authenticates(emulator(), prev.token)).toBe(true);
  });
});

describe('hook destroy (revoke)', () => {
  it('succeeds when the token is missing', async () => {
    const email = 'revoke-missing@example.com';
    const oauth = await signIn(email);
    await clearRequests(emulator());
    const run = await runHook(emulator(), 'destroy', { credential: oauth, managedName: managed('ci') }, tmp());
    expect(run.code).toBe(0);
    expect(await tokenCalls(emulator(), email)).toEqual(['GET /api/v1/tokens/list 200']);
  });

  it('succeeds when the token was already revoked', async () => {
    const oauth = await signIn('revoke-revoked@example.com');
    const name = managed('ci');
    const t = await createToken(emulator(), oauth, name);
    expect((await call(emulator(), 'DELETE', `/api/v1/tokens/${t.tokenID}/delete`, { token: oauth })).status).toBe(204);
    const run = await runHook(emulator(), 'destroy', { credential: oauth, managedName: name }, tmp());
    expect(run.code).toBe(0);
    expect(await liveNamed(emulator(), oauth, name)).toEqual([]);
  });

  it('succeeds when the token has expired', async () => {
    const email = 'revoke-expired@example.com';
    const name = managed('ci');
    const t = await createToken(emulator(), await signIn(email), name, new Date(Date.now() + 86_400_000).toISOString());
    await advance(emulator(), 2 * 86_400);
    // The first access token expired with the clock move (they last an hour).
    const oauth = await signIn(email);
    const listed = (await call(emulator(), 'GET', '/api/v1/tokens/list', { token: oauth })).body.tokens;
    expect(listed).toEqual([expect.objectContaining({ tokenID: t.tokenID, isExpired: true })]);

    const run = await runHook(emulator(), 'destroy', { credential: oauth, managedName: name }, tmp());

    expect(run.code).toBe(0);
    expect(await authenticates(emulator(), t.token)).toBe(false);
    expect(await liveNamed(emulator(), oauth, name)).toEqual([]);
  });

  it('revokes a live token with a list and a delete, after which its secret no longer authenticates', async () => {
    const email = 'revoke-live@example.com';
    const oauth = await signIn(email);
    const name = managed('ci');
    const t = await createToken(emulator(), oauth, name);
    const bystander = await createToken(emulator(), oauth, managed('other'));
    expect(await authenticates(emulator(), t.token)).toBe(true);
    await clearRequests(emulator());

    const run = await runHook(emulator(), 'destroy', { credential: oauth, managedName: name }, tmp());

    expect(run.code).toBe(0);
    expect(await tokenCalls(emulator(), email)).toEqual(['GET /api/v1/tokens/list 200', 'DELETE /api/v1/tokens/{id}/delete 204']);
    expect(await authenticates(emulator(), t.token)).toBe(false);
    expect(await authenticates(emulator(), bystander.token)).toBe(true);
    expect(await liveNamed(emulator(), oauth, name)).toEqual([]);
  });
});
