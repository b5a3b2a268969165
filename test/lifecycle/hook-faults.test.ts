import { createToken } from '../emulator/support';
import { pendingNameOf } from '../../lib/core/managed-name';
import {
  authenticates,
  clearRequests,
  expectDelivered,
  injectFault,
  liveNamed,
  managed,
  runHook,
  tokenCalls,
  useHookSuite,
} from './hook-harness';

const { emulator, tmp, signIn, ensureCi } = useHookSuite();

describe('injected faults on the token routes', () => {
  it('retries a list that answers 503 and then succeeds', async () => {
    const email = 'fault-list@example.com';
    const oauth = await signIn(email);
    await clearRequests(emulator());
    await injectFault(emulator(), { method: 'GET', path: '/api/v1/tokens/list', status: 503 });

    const { run, file, name } = await ensureCi(oauth);

    expect(run.code).toBe(0);
    expect(await tokenCalls(emulator(), email)).toEqual([
      'GET /api/v1/tokens/list 503',
      'GET /api/v1/tokens/list 200',
      'POST /api/v1/tokens/create 201',
      'PUT /api/v1/tokens/{id}/update 200',
    ]);
    await expectDelivered(emulator(), oauth, name, file);
  });

  it('waits out latency on every token route and succeeds', async () => {
    const email = 'fault-latency@example.com';
    const oauth = await signIn(email);
    await createToken(emulator(), oauth, pendingNameOf(managed('ci')));
    await clearRequests(emulator());
    await injectFault(emulator(), { path: '/api/v1/tokens/*', latencyMs: 400, times: 4 });

    const { run, file, name } = await ensureCi(oauth);

    expect(run.code).toBe(0);
    expect(run.durationMs).toBeGreaterThanOrEqual(1600);
    expect(await tokenCalls(emulator(), email)).toEqual([
      'GET /api/v1/tokens/list 200',
      'DELETE /api/v1/tokens/{id}/delete 204',
      'POST /api/v1/tokens/create 201',
      'PUT /api/v1/tokens/{id}/update 200',
    ]);
    await expectDelivered(emulator(), oauth, name, file);
  });

  it('retries a delete whose connection was dropped before it was done', async () => {
    const email = 'fault-delete-drop@example.com';
    const oauth = await signIn(email);
    const name = managed('ci');
    const t = await createToken(emulator(), oauth, name);
    await clearRequests(emulator());
    await injectFault(emulator(), { method: 'DELETE', path: '/api/v1/tokens/*', drop: true });

    const run = await runHook(emulator(), 'destroy', { credential: oauth, managedName: name }, tmp());

    expect(run.code).toBe(0);
    expect(await tokenCalls(emulator(), email)).toEqual([
      'GET /api/v1/tokens/list 200',
      'DELETE /api/v1/tokens/{id}/delete 0',
      'DELETE /api/v1/tokens/{id}/delete 204',
    ]);
    expect(await authenticates(emulator(), t.token)).toBe(false);
  });

  it('counts a delete whose connection dropped after it was done as revoked (the retry finds it gone)', async () => {
    const email = 'fault-delete-after@example.com';
    const oauth = await signIn(email);
    const name = managed('ci');
    const t = await createToken(emulator(), oauth, name);
    await clearRequests(emulator());
    await injectFault(emulator(), { method: 'DELETE', path: '/api/v1/tokens/*', drop: true, after: true });

    const run = await runHook(emulator(), 'destroy', { credential: oauth, managedName: name }, tmp());

    expect(run.code).toBe(0);
    expect(await tokenCalls(emulator(), email)).toEqual([
      'GET /api/v1/tokens/list 200',
      'DELETE /api/v1/tokens/{id}/delete 0',
      'DELETE /api/v1/tokens/{id}/delete 404',
    ]);
    expect(await authenticates(emulator(), t.token)).toBe(false);
  });

  it.each([
    ['a 500 after the token was created', 'fault-create-500-after', { status: 500, after: true }, 'POST /api/v1/tokens/create 500'],
    [
      'a dropped connection after the token was created',
      'fault-create-drop-after',
      { drop: true, after: true },
      'POST /api/v1/tokens/create 0',
    ],
  ])('ends with exactly one live token, delivered, when create answers %s', async (_what, user, fault, failedCreate) => {
    const email = `${user}@example.com`;
    const oauth = await signIn(email);
    await clearRequests(emulator());
    await injectFault(emulator(), { method: 'POST', path: '/api/v1/tokens/create', ...fault });

    const { run, file, name } = await ensureCi(oauth);

    expect(run.code).toBe(0);
    // The token the failed create made server side is found by listing, revoked, and created once more.
    expect(await tokenCalls(emulator(), email)).toEqual([
      'GET /api/v1/tokens/list 200',
      failedCreate,
      'GET /api/v1/tokens/list 200',
      'DELETE /api/v1/tokens/{id}/delete 204',
      'POST /api/v1/tokens/create 201',
      'PUT /api/v1/tokens/{id}/update 200',
    ]);
    expect(await liveNamed(emulator(), oauth, name)).toHaveLength(1);
    await expectDelivered(emulator(), oauth, name, file);
  });

  it('ends with exactly one live token, delivered, when create answers 500 without creating anything', async () => {
    const email = 'fault-create-before@example.com';
    const oauth = await signIn(email);
    await clearRequests(emulator());
    await injectFault(emulator(), { method: 'POST', path: '/api/v1/tokens/create', status: 500 });

    const { run, file, name } = await ensureCi(oauth);

    expect(run.code).toBe(0);
    expect(await tokenCalls(emulator(), email)).toEqual([
      'GET /api/v1/tokens/list 200',
      'POST /api/v1/tokens/create 500',
      'GET /api/v1/tokens/list 200',
      'POST /api/v1/tokens/create 201',
      'PUT /api/v1/tokens/{id}/update 200',
    ]);
    await expectDelivered(emulator(), oauth, name, file);
  });
});
