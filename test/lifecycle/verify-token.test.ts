/**
 * verifyNewToken: with fakes (the retry schedule, the bound, the errors) and against the emulator, whose
 * `/__emulator/pat-activation` fault refuses a fresh PAT for N seconds of emulator time. Time is simulated: each
 * wait moves a fake clock (and the emulator's), so nothing sleeps for real.
 */
import { AgilityClient } from '../../lib/api';
import {
  AuthFailedError,
  BadResponseError,
  InvalidInputError,
  NetworkError,
  hasErrorCode,
  type AgilityPatError,
} from '../../lib/core/errors';
import { HOOK_ENV } from '../../lib/core/hook-contract';
import { tokenVerifier } from '../../lib/cli/verify-deps';
import { startEmulator, type RunningEmulator } from '../../lib/emulator';
import { verifyNewToken, type VerifyDeps } from '../../lib/lifecycle/verify-token';
import { advance, call, setClock } from '../emulator/support';

const SECRET = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJuZXcifQ.bmV3LXNpZ25hdHVyZQ';
const TOKEN = { managedName: 'ci [cdktf:prod~3fa9c1/g7]', tokenId: '3f2504e0-4f89-41d3-9a0c-0305e82c3301' };
const refused = (): AuthFailedError => new AuthFailedError('refused', { method: 'GET', path: '/api/v1/users/me', status: 401 });

/** A fake clock that only moves when the code under test waits; the waits are recorded. */
function fakeTime(onWait: (ms: number) => Promise<void> | void = () => undefined) {
  let now = 0;
  const waits: number[] = [];
  return {
    waits,
    clock: () => now,
    sleep: async (ms: number) => {
      waits.push(ms);
      now += ms;
      await onWait(ms);
    },
  };
}

async function failure(p: Promise<unknown>): Promise<AgilityPatError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  if (!hasErrorCode(e, 'VERIFY_FAILED')) throw new Error(`expected VERIFY_FAILED, got ${String(e)}`);
  expect(JSON.stringify([e.message, e.details])).not.toContain(SECRET);
  return e;
}

describe('verifyNewToken with fakes', () => {
  it('passes once the token answers as the creator, after backing off 0.5 s, 1 s, 2 s', async () => {
    const time = fakeTime();
    let calls = 0;
    const deps: VerifyDeps = {
      ...time,
      expectedUser: async () => ({ userID: 7 }),
      whoAmI: async (secret) => {
        expect(secret).toBe(SECRET);
        if (++calls < 4) throw refused();
        return { userID: 7 };
      },
    };
    await verifyNewToken(deps, SECRET, TOKEN);
    expect(calls).toBe(4);
    expect(time.waits).toEqual([500, 1000, 2000]);
  });

  it('keeps trying until the deadline, the last wait shortened to end there, then names the token, the attempts and the last reason', async () => {
    const time = fakeTime();
    const deps: VerifyDeps = { ...time, expectedUser: async () => ({ userID: 7 }), whoAmI: async () => Promise.reject(refused()) };
    const e = await failure(verifyNewToken(deps, SECRET, { ...TOKEN, withinMs: 10_000 }));
    // 0.5 + 1 + 2 + 4 = 7.5 s; the next wait (4 s) is cut to the 2.5 s left, and a last attempt is made at 10 s.
    expect(time.waits).toEqual([500, 1000, 2000, 4000, 2500]);
    expect(e.details).toMatchObject({ tokenId: TOKEN.tokenId, attempts: 6, waitedMs: 10_000, lastReason: 'AUTH_FAILED, HTTP 401' });
    expect(e.message).toContain(`"${TOKEN.managedName}" (${TOKEN.tokenId}) was not accepted by GET /api/v1/users/me after 6 attempt(s)`);
    expect(e.message).toContain('it was revoked and nothing was delivered');
  });

  it.each([9_000, 12_000, 14_000, 15_000])('delivers a token that starts working at %i ms, within the 15 s window', async (activeAt) => {
    const time = fakeTime();
    const deps: VerifyDeps = {
      ...time,
      expectedUser: async () => ({ userID: 7 }),
      whoAmI: async () => (time.clock() >= activeAt ? { userID: 7 } : Promise.reject(refused())),
    };
    await verifyNewToken(deps, SECRET, TOKEN);
    expect(time.clock()).toBeGreaterThanOrEqual(activeAt);
    expect(time.clock()).toBeLessThanOrEqual(15_000);
  });

  it('gives up at 15 s by default, having tried at the deadline', async () => {
    const time = fakeTime();
    const deps: VerifyDeps = { ...time, expectedUser: async () => ({ userID: 7 }), whoAmI: async () => Promise.reject(refused()) };
    const e = await failure(verifyNewToken(deps, SECRET, TOKEN));
    expect(time.clock()).toBe(15_000);
    expect(e.details).toMatchObject({ waitedMs: 15_000 });
  });

  it.each([
    [
      'a secret the client refuses to send',
      new InvalidInputError('the token to check must be a non-empty string without spaces', {}),
      'INVALID_INPUT',
    ],
    [
      'a network error',
      new NetworkError('GET /api/v1/users/me could not reach the API: ECONNREFUSED', { method: 'GET', path: '/' }),
      'NETWORK',
    ],
    ['an answer without a user', new BadResponseError('userID is missing', { method: 'GET', path: '/' }), 'BAD_RESPONSE'],
  ])('fails at once, with its own cause, on %s', async (_what, error, code) => {
    const time = fakeTime();
    const deps: VerifyDeps = { ...time, expectedUser: async () => ({ userID: 7 }), whoAmI: async () => Promise.reject(error) };
    const e = await failure(verifyNewToken(deps, SECRET, TOKEN));
    expect(time.waits).toEqual([]);
    expect(e.details).toMatchObject({ attempts: 1, reason: code });
    expect(e.message).toContain(code);
    expect(e.message).toContain(error.message);
    expect(e.message).not.toContain('slow to activate');
  });

  it('fails at once when the token authenticates as another user', async () => {
    const time = fakeTime();
    const deps: VerifyDeps = { ...time, expectedUser: async () => ({ userID: 7 }), whoAmI: async () => ({ userID: 8 }) };
    const e = await failure(verifyNewToken(deps, SECRET, TOKEN));
    expect(time.waits).toEqual([]);
    expect(e.message).toContain('authenticates as user 8, not as user 7');
  });

  it('lets a failure of the creator credential through as it is', async () => {
    const deps: VerifyDeps = {
      ...fakeTime(),
      expectedUser: async () => Promise.reject(new BadResponseError('bad', { method: 'GET', path: '/api/v1/users/me' })),
      whoAmI: async () => ({ userID: 7 }),
    };
    await expect(verifyNewToken(deps, SECRET, TOKEN)).rejects.toMatchObject({ code: 'BAD_RESPONSE' });
  });

  it('stops after maxAttempts even when the clock does not move', async () => {
    const deps: VerifyDeps = {
      clock: () => 0,
      sleep: async () => undefined,
      expectedUser: async () => ({ userID: 1 }),
      whoAmI: async () => Promise.reject(refused()),
    };
    const e = await failure(verifyNewToken(deps, SECRET, { ...TOKEN, maxAttempts: 3 }));
    expect(e.details).toMatchObject({ attempts: 3 });
  });
});

describe('tokenVerifier against the emulator (PATs refused for N seconds after creation)', () => {
  let emulator: RunningEmulator;
  let access: string;
  let api: AgilityClient;

  beforeEach(async () => {
    emulator = await startEmulator({ now: '2026-11-28T00:00:00Z' });
    access = (await emulator.signIn('verify@example.com')).access_token as string;
    api = new AgilityClient({ baseUrl: emulator.url, accessToken: access, retry: { maxRetries: 0 } });
  });
  afterEach(() => emulator.close());

  const setActivation = async (seconds: number): Promise<void> => {
    expect((await call(emulator, 'POST', '/__emulator/pat-activation', { json: { seconds } })).body).toEqual({ seconds });
  };
  const emulatorTime = () => fakeTime((ms) => advance(emulator, ms / 1000));

  it('accepts a new PAT once it is active, as the user who created it', async () => {
    await setActivation(3);
    const created = await api.createToken({ name: 'fresh' });
    const time = emulatorTime();
    await tokenVerifier({ env: {} }, api, time)!(created.token!, { managedName: 'fresh', tokenId: created.tokenID });
    expect(time.waits).toEqual([500, 1000, 2000]);
    const log = (await call(emulator, 'GET', '/__emulator/requests')).body as Array<{ path: string; status: number; auth: string }>;
    expect(log.filter((r) => r.path === '/api/v1/users/me').map((r) => `${r.auth} ${r.status}`)).toEqual([
      'oauth 200',
      'invalid 401',
      'invalid 401',
      'invalid 401',
      'pat 200',
    ]);
  });

  it('fails a PAT that never becomes active within the window', async () => {
    await setActivation(3600);
    const created = await api.createToken({ name: 'stuck' });
    const e = await failure(
      tokenVerifier({ env: {} }, api, emulatorTime())!(created.token!, { managedName: 'stuck', tokenId: created.tokenID }),
    );
    expect(e.details).toMatchObject({ lastReason: 'AUTH_FAILED, HTTP 401' });
  });

  it('fails a PAT of another user', async () => {
    const other = (await emulator.signIn('someone-else@example.com')).access_token as string;
    const foreign = await new AgilityClient({ baseUrl: emulator.url, accessToken: other }).createToken({ name: 'theirs' });
    const e = await failure(
      tokenVerifier({ env: {} }, api, emulatorTime())!(foreign.token!, { managedName: 'theirs', tokenId: foreign.tokenID }),
    );
    expect(e.message).toContain('authenticates as user');
  });

  it('is off when the construct says verify: false', async () => {
    expect(tokenVerifier({ env: { [HOOK_ENV.verify]: 'false' } }, api)).toBeUndefined();
    expect(tokenVerifier({ env: { [HOOK_ENV.verify]: 'true' } }, api)).toBeInstanceOf(Function);
  });

  it('the activation fault is an emulator setting that reset clears', async () => {
    await setActivation(5);
    await setClock(emulator, '2026-11-28T00:00:00Z');
    expect((await call(emulator, 'GET', '/__emulator/pat-activation')).body).toEqual({ seconds: 5 });
    expect((await call(emulator, 'POST', '/__emulator/pat-activation', { json: { seconds: -1 } })).status).toBe(400);
    await call(emulator, 'POST', '/__emulator/reset');
    expect((await call(emulator, 'GET', '/__emulator/pat-activation')).body).toEqual({ seconds: 0 });
  });
});
