import { connect } from 'node:net';
import { emulatorBanner, startEmulator } from '../../lib/emulator';
import { waitFor } from '../helpers/wait-for';
import { call, createToken, useEmulator } from './support';

const NOW = '2026-03-01T12:00:00.000Z';
const emulator = useEmulator({ now: NOW });

async function oauth(email?: string): Promise<string> {
  return (await emulator().signIn(email)).access_token!;
}

async function addFault(fault: object): Promise<string> {
  const r = await call(emulator(), 'POST', '/__emulator/faults', { json: fault });
  expect(r.status).toBe(201);
  return r.body.id;
}

async function requestLog(): Promise<any[]> {
  const r = await call(emulator(), 'GET', '/__emulator/requests');
  expect(r.status).toBe(200);
  return r.body;
}

describe('/__emulator/clock', () => {
  it('reads the clock', async () => {
    const r = await call(emulator(), 'GET', '/__emulator/clock');
    expect(r.body).toEqual({ now: NOW });
  });

  it('sets the clock and keeps it frozen there', async () => {
    const r = await call(emulator(), 'POST', '/__emulator/clock', { json: { now: '2027-05-05T05:05:05Z' } });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ now: '2027-05-05T05:05:05.000Z' });
    // Real time moves on (by at least a millisecond); the emulator's clock must not.
    const setAt = Date.now();
    await waitFor(() => Date.now() > setAt + 1, 1000, 'the real clock to move');
    expect((await call(emulator(), 'GET', '/__emulator/clock')).body).toEqual({ now: '2027-05-05T05:05:05.000Z' });
    const created = await createToken(emulator(), await oauth(), 'frozen');
    expect(created.createdDate).toBe('2027-05-05T05:05:05.000Z');
  });

  it('advances the clock by advanceSeconds', async () => {
    const r = await call(emulator(), 'POST', '/__emulator/clock', { json: { advanceSeconds: 90 } });
    expect(r.body).toEqual({ now: '2026-03-01T12:01:30.000Z' });
  });

  it.each<[string, string | object]>([
    ['malformed JSON', '{"now":'],
    ['an unparseable instant', { now: 'soon' }],
    ['an instant without a time zone', { now: '2027-01-01T00:00:00' }],
    ['a non-number advanceSeconds', { advanceSeconds: '5' }],
    ['both now and advanceSeconds', { now: NOW, advanceSeconds: 1 }],
    ['neither field', {}],
  ])('answers 400 to %s and leaves the clock alone', async (_label, body) => {
    const r = await call(
      emulator(),
      'POST',
      '/__emulator/clock',
      typeof body === 'string' ? { body, headers: { 'content-type': 'application/json' } } : { json: body },
    );
    expect(r.status).toBe(400);
    expect((await call(emulator(), 'GET', '/__emulator/clock')).body).toEqual({ now: NOW });
  });

  it('follows real time when started without now', async () => {
    const live = await startEmulator();
    try {
      const before = Date.now();
      const r = await call(live, 'GET', '/__emulator/clock');
      expect(Date.parse(r.body.now)).toBeGreaterThanOrEqual(before - 1000);
      expect(Date.parse(r.body.now)).toBeLessThanOrEqual(Date.now() + 1000);
    } finally {
      await live.close();
    }
  });
});

describe('POST /__emulator/reset', () => {
  it('restores the initial empty state and the initial clock', async () => {
    const token = await oauth();
    await createToken(emulator(), token, 'doomed');
    await call(emulator(), 'POST', '/__emulator/clock', { json: { now: '2030-01-01T00:00:00Z' } });
    const r = await call(emulator(), 'POST', '/__emulator/reset');
    expect(r.status).toBe(200);
    expect((await call(emulator(), 'GET', '/__emulator/clock')).body).toEqual({ now: NOW });
    expect((await call(emulator(), 'GET', '/api/v1/users/me', { token })).status).toBe(401);
    const list = await call(emulator(), 'GET', '/api/v1/tokens/list', { token: await oauth() });
    expect(list.body).toEqual({ tokens: [], totalCount: 0 });
  });

  it('returns to real time when the emulator was started without now', async () => {
    const live = await startEmulator();
    try {
      await call(live, 'POST', '/__emulator/clock', { json: { now: '2030-01-01T00:00:00Z' } });
      await call(live, 'POST', '/__emulator/reset');
      const r = await call(live, 'GET', '/__emulator/clock');
      expect(Math.abs(Date.parse(r.body.now) - Date.now())).toBeLessThan(5000);
    } finally {
      await live.close();
    }
  });
});

describe('/__emulator/requests', () => {
  it('logs API and OAuth requests with time, method, path without query, status, auth kind and user', async () => {
    const signIn = await call(emulator(), 'POST', '/oauth/token', { body: new URLSearchParams({ code: 'user:log@example.com' }) });
    const token = signIn.body.access_token;
    const created = await createToken(emulator(), token, 'logged');
    await call(emulator(), 'GET', '/api/v1/users/me?verbose=1', { token: created.token });
    await call(emulator(), 'GET', '/api/v1/tokens/list', { token: created.token });
    await call(emulator(), 'GET', '/api/v1/tokens/list', { token: 'garbage-token' });
    await call(emulator(), 'GET', '/api/v1/types');
    await call(emulator(), 'GET', '/__emulator/clock');

    expect(await requestLog()).toEqual([
      { time: NOW, method: 'POST', path: '/oauth/token', status: 200, auth: 'none', user: 'log@example.com' },
      { time: NOW, method: 'POST', path: '/api/v1/tokens/create', status: 201, auth: 'oauth', user: 'log@example.com' },
      { time: NOW, method: 'GET', path: '/api/v1/users/me', status: 200, auth: 'pat', user: 'log@example.com' },
      { time: NOW, method: 'GET', path: '/api/v1/tokens/list', status: 403, auth: 'pat', user: 'log@example.com' },
      { time: NOW, method: 'GET', path: '/api/v1/tokens/list', status: 401, auth: 'invalid' },
      { time: NOW, method: 'GET', path: '/api/v1/types', status: 200, auth: 'none' },
    ]);
  });

  it('never contains a secret, header or body', async () => {
    const s = await call(emulator(), 'POST', '/oauth/token', { body: new URLSearchParams({ code: 'x' }) });
    const created = await createToken(emulator(), s.body.access_token, 'secret-name');
    await call(emulator(), 'GET', '/api/v1/users/me', { token: created.token });
    await call(emulator(), 'POST', `/oauth/refresh?refresh_token=${encodeURIComponent(s.body.refresh_token)}`);
    const text = JSON.stringify(await requestLog());
    expect(emulator().issuedSecrets().length).toBeGreaterThanOrEqual(5);
    for (const secret of emulator().issuedSecrets()) expect(text).not.toContain(secret);
    expect(text).not.toMatch(/Bearer|authorization|secret-name/i);
  });

  it('is cleared by DELETE', async () => {
    await call(emulator(), 'GET', '/api/v1/types');
    expect(await requestLog()).toHaveLength(1);
    expect((await call(emulator(), 'DELETE', '/__emulator/requests')).status).toBe(204);
    expect(await requestLog()).toEqual([]);
  });
});

describe('/__emulator/faults', () => {
  it('answers a matching request with the fault status instead of doing it, once by default', async () => {
    const token = await oauth();
    await addFault({ method: 'POST', path: '/api/v1/tokens/create', status: 503 });
    const faulted = await call(emulator(), 'POST', '/api/v1/tokens/create', { token, json: { name: 'a' } });
    expect(faulted.status).toBe(503);
    expect((await call(emulator(), 'GET', '/api/v1/tokens/list', { token })).body.tokens).toEqual([]);
    expect((await call(emulator(), 'POST', '/api/v1/tokens/create', { token, json: { name: 'a' } })).status).toBe(201);
    expect((await requestLog()).map((e) => e.status)).toEqual([503, 200, 201]);
  });

  it('applies a fault `times` times and only to its method and path prefix', async () => {
    const token = await oauth();
    await addFault({ method: 'get', path: '/api/v1/tokens/*', status: 500, times: 2 });
    expect((await call(emulator(), 'GET', '/api/v1/users/me', { token })).status).toBe(200);
    expect((await call(emulator(), 'POST', '/api/v1/tokens/create', { token, json: { name: 'x' } })).status).toBe(201);
    expect((await call(emulator(), 'GET', '/api/v1/tokens/list', { token })).status).toBe(500);
    expect((await call(emulator(), 'GET', '/api/v1/tokens/list', { token })).status).toBe(500);
    expect((await call(emulator(), 'GET', '/api/v1/tokens/list', { token })).status).toBe(200);
  });

  it('applies the first matching fault when several are queued', async () => {
    await addFault({ path: '/api/v1/types', status: 502 });
    await addFault({ path: '/api/v1/types', status: 504 });
    expect((await call(emulator(), 'GET', '/api/v1/types')).status).toBe(502);
    expect((await call(emulator(), 'GET', '/api/v1/types')).status).toBe(504);
    expect((await call(emulator(), 'GET', '/api/v1/types')).status).toBe(200);
  });

  it('sends Retry-After with retryAfter, defaulting the status to 429', async () => {
    await addFault({ path: '/api/v1/types', retryAfter: 7 });
    const r = await call(emulator(), 'GET', '/api/v1/types');
    expect(r.status).toBe(429);
    expect(r.headers.get('retry-after')).toBe('7');
  });

  it('delays by latencyMs and then serves the real response', async () => {
    await addFault({ path: '/api/v1/types', latencyMs: 300 });
    const started = Date.now();
    const r = await call(emulator(), 'GET', '/api/v1/types');
    expect(Date.now() - started).toBeGreaterThanOrEqual(280);
    expect(r.status).toBe(200);
    expect(r.body.userTypes).toBeDefined();
    const quick = Date.now();
    await call(emulator(), 'GET', '/api/v1/types');
    expect(Date.now() - quick).toBeLessThan(250);
  });

  it('drops the connection without an answer, and logs status 0', async () => {
    const token = await oauth();
    await addFault({ method: 'DELETE', path: '/api/v1/tokens/*', drop: true });
    const created = await createToken(emulator(), token, 'kept');
    await expect(call(emulator(), 'DELETE', `/api/v1/tokens/${created.tokenID}/delete`, { token })).rejects.toThrow();
    // Not performed: the token is still there.
    expect((await call(emulator(), 'GET', `/api/v1/tokens/${created.tokenID}`, { token })).status).toBe(200);
    expect((await requestLog()).find((e) => e.method === 'DELETE')).toMatchObject({ status: 0 });
  });

  it('with after, performs the real create first and then answers with the fault', async () => {
    const token = await oauth();
    await addFault({ method: 'POST', path: '/api/v1/tokens/create', status: 500, after: true });
    const r = await call(emulator(), 'POST', '/api/v1/tokens/create', { token, json: { name: 'ambiguous' } });
    expect(r.status).toBe(500);
    expect(r.text).not.toMatch(/eyJ/);
    const list = await call(emulator(), 'GET', '/api/v1/tokens/list', { token });
    expect(list.body.tokens.map((t: any) => t.name)).toEqual(['ambiguous']);
  });

  it('with after and drop, performs the real revoke and then cuts the connection', async () => {
    const token = await oauth();
    const created = await createToken(emulator(), token, 'revoked-silently');
    await addFault({ method: 'DELETE', path: '/api/v1/tokens/*', drop: true, after: true });
    await expect(call(emulator(), 'DELETE', `/api/v1/tokens/${created.tokenID}/delete`, { token })).rejects.toThrow();
    expect((await call(emulator(), 'GET', `/api/v1/tokens/${created.tokenID}`, { token })).status).toBe(404);
    // A retried DELETE now finds nothing to revoke.
    expect((await call(emulator(), 'DELETE', `/api/v1/tokens/${created.tokenID}/delete`, { token })).status).toBe(404);
  });

  it('lists queued faults and clears them all with DELETE', async () => {
    const id = await addFault({ path: '/api/v1/types', status: 500, times: 3 });
    expect((await call(emulator(), 'GET', '/__emulator/faults')).body).toEqual([{ id, path: '/api/v1/types', status: 500, times: 3 }]);
    expect((await call(emulator(), 'DELETE', '/__emulator/faults')).status).toBe(204);
    expect((await call(emulator(), 'GET', '/api/v1/types')).status).toBe(200);
  });

  it.each<[string, object]>([
    ['an unknown field', { path: '/x', status: 500, colour: 'red' }],
    ['a status out of range', { status: 99 }],
    ['a negative latency', { latencyMs: -1 }],
    ['a path with * in the middle', { path: '/api/*/x', status: 500 }],
    ['times of zero', { status: 500, times: 0 }],
    ['no effect at all', { path: '/api/v1/types' }],
    ['drop together with status', { drop: true, status: 500 }],
  ])('answers 400 to a fault with %s', async (_label, fault) => {
    const r = await call(emulator(), 'POST', '/__emulator/faults', { json: fault });
    expect(r.status).toBe(400);
    expect((await call(emulator(), 'GET', '/__emulator/faults')).body).toEqual([]);
  });

  it.each<[object, string]>([
    [{ path: '/x', status: 500, colour: 'red' }, 'The fault field colour is not a known field; known: method, path, status,'],
    [{ status: 99 }, 'status must be a whole number from 200 to 599, got 99.'],
    [{ latencyMs: 'slow' }, 'latencyMs must be a number of milliseconds from 0 to 600000, got "slow".'],
    [{ path: '/api/*/x', status: 500 }, 'path must start with "/" and may only end in "*", got "/api/*/x".'],
    [[], 'The fault must be a JSON object, got [].'],
  ])('names the field of a bad fault %j in its 400', async (fault, message) => {
    const r = await call(emulator(), 'POST', '/__emulator/faults', { json: fault });
    expect(r.status).toBe(400);
    expect(r.body.detail).toContain(message);
  });

  it('does not apply to /__emulator routes', async () => {
    await addFault({ path: '/*', status: 500 });
    expect((await call(emulator(), 'GET', '/__emulator/clock')).status).toBe(200);
    expect((await call(emulator(), 'GET', '/api/v1/types')).status).toBe(500);
  });
});

describe('robustness', () => {
  it('answers 413 to a body over 1 MiB and keeps serving', async () => {
    const r = await call(emulator(), 'POST', '/api/v1/tokens/create', {
      token: await oauth(),
      body: JSON.stringify({ name: 'x'.repeat(1024 * 1024) }),
      headers: { 'content-type': 'application/json' },
    });
    expect(r.status).toBe(413);
    expect((await call(emulator(), 'GET', '/api/v1/types')).status).toBe(200);
  });

  it('answers 400 to a malformed request line without crashing', async () => {
    const { port } = new URL(emulator().url);
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1', () => socket.write('NOT HTTP AT ALL\r\n\r\n'));
      let text = '';
      socket.on('data', (d) => (text += d.toString()));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect((await call(emulator(), 'GET', '/api/v1/types')).status).toBe(200);
  });

  it('answers 401 to a header with two bearer values, without crashing', async () => {
    const r = await call(emulator(), 'GET', '/api/v1/users/me', { headers: { authorization: 'Bearer a b' } });
    expect(r.status).toBe(401);
  });
});

describe('lifecycle', () => {
  it('close() cuts a request held by a latency fault instead of waiting for it', async () => {
    const emu = await startEmulator();
    await call(emu, 'POST', '/__emulator/faults', { json: { path: '/api/v1/types', latencyMs: 60_000 } });
    const pending = call(emu, 'GET', '/api/v1/types');
    // The request is logged when it arrives; from then on the fault holds it.
    const arrived = async () =>
      ((await call(emu, 'GET', '/__emulator/requests')).body as { path: string }[]).some((r) => r.path === '/api/v1/types');
    await waitFor(arrived, 10_000, 'the held request to reach the emulator');
    const started = Date.now();
    await emu.close();
    await expect(pending).rejects.toThrow();
    // Well under the fault's 60 s: close() did not wait for it.
    expect(Date.now() - started).toBeLessThan(30_000);
  }, 45_000);

  it('prints the banner the CLI contract names', async () => {
    expect(emulatorBanner('http://127.0.0.1:41234')).toBe('Agility Management API emulator listening on http://127.0.0.1:41234');
    const emu = await startEmulator({ port: 0 });
    try {
      expect(emu.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    } finally {
      await emu.close();
    }
  });
});
