// The client against the Agility emulator (lib/emulator) over loopback: real HTTP, no mocks; every test runs on both
// transports: undici on a dispatcher (what the mock tests use) and node's http/https (the default: every hook process).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { Agent } from 'undici';
import { AgilityClient, type AgilityClientOptions } from '../../lib/api';
import { type AgilityPatError, isAgilityPatError } from '../../lib/core/errors';
import { maxExpiryFor } from '../../lib/core/limits';
import { type RunningEmulator, startEmulator } from '../../lib/emulator';
import { makeLoopbackCertificate } from '../../bench/loopback-tls';
import { waitFor } from '../helpers/wait-for';

const NOW = '2026-03-01T12:00:00.000Z';
const NOW_MS = Date.parse(NOW);

interface LoggedRequest {
  method: string;
  path: string;
  status: number;
  auth: string;
}

let emulator: RunningEmulator;
let dispatcher: Agent | undefined;
let clockMs: number;
let delays: number[];
/** Every error the client threw in a test; scanned for issued secrets afterwards. */
let errors: AgilityPatError[];

async function admin(method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${emulator.url}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`emulator admin ${method} ${path} answered ${res.status}: ${await res.text()}`);
  const text = await res.text();
  return text === '' ? undefined : JSON.parse(text);
}

const requests = async () => (await admin('GET', '/__emulator/requests')) as LoggedRequest[];
const fault = (spec: Record<string, unknown>) => admin('POST', '/__emulator/faults', spec);

/** Moves the emulator's clock and the client's together. */
async function advance(seconds: number): Promise<void> {
  clockMs += seconds * 1000;
  await admin('POST', '/__emulator/clock', { now: new Date(clockMs).toISOString() });
}

function client(accessToken: string | undefined, options: Partial<AgilityClientOptions> = {}): AgilityClient {
  return new AgilityClient({
    baseUrl: emulator.url,
    accessToken,
    dispatcher,
    clock: () => clockMs,
    sleep: async (ms) => {
      delays.push(ms);
    },
    random: () => 0.5,
    ...options,
  });
}

/** Signs a user in through the client's own OAuth call and returns a client using that session. */
async function session(email = 'developer@example.com'): Promise<AgilityClient> {
  const tokens = await client(undefined).exchangeCode(`user:${email}`);
  expect(tokens.access_token).toEqual(expect.any(String));
  return client(tokens.access_token as string);
}

async function failure(p: Promise<unknown>): Promise<AgilityPatError> {
  try {
    await p;
  } catch (e) {
    if (isAgilityPatError(e)) {
      errors.push(e);
      return e;
    }
    throw e;
  }
  throw new Error('expected the call to fail');
}

describe.each([
  ['undici, given a dispatcher', true],
  ['node:http, the default', false],
])('over %s', (_transport, useUndici) => {
  beforeEach(async () => {
    emulator = await startEmulator({ host: '127.0.0.1', port: 0, now: NOW });
    dispatcher = useUndici ? new Agent() : undefined;
    clockMs = NOW_MS;
    delays = [];
    errors = [];
  });

  afterEach(async () => {
    // No error raised in the test may carry a secret the emulator issued (PATs, access and refresh tokens).
    const secrets = emulator.issuedSecrets();
    for (const err of errors) {
      const text = [err.message, JSON.stringify(err), inspect(err, { depth: Infinity })].join('\n');
      for (const secret of secrets) expect(text.includes(secret)).toBe(false);
    }
    await dispatcher?.close();
    await emulator.close();
  });

  test('a token goes through create, list, get, update and revoke', async () => {
    const api = await session();
    const expiry = new Date(NOW_MS + 90 * 86_400_000).toISOString();

    const created = await api.createToken({ name: 'ci-deploy', expiryDate: expiry });
    expect(created).toMatchObject({ name: 'ci-deploy', enabled: true, isExpired: false, daysUntilExpiration: 90, lastUsedDate: null });
    expect(Date.parse(created.expiryDate)).toBe(Date.parse(expiry));
    expect(emulator.issuedSecrets()).toContain(created.token);

    const listed = await api.listTokens();
    expect(listed.totalCount).toBe(1);
    expect(listed.tokens.map((t) => t.tokenID)).toEqual([created.tokenID]);
    expect(listed.tokens[0]).not.toHaveProperty('token');

    expect((await api.getToken(created.tokenID)).name).toBe('ci-deploy');

    const renamed = await api.updateToken(created.tokenID, { name: 'ci-deploy-2', enabled: false });
    expect(renamed).toMatchObject({ tokenID: created.tokenID, name: 'ci-deploy-2', enabled: false });

    await api.revokeToken(created.tokenID);
    expect((await api.listTokens()).tokens).toEqual([]);
    expect((await failure(api.getToken(created.tokenID))).code).toBe('NOT_FOUND');
    expect((await failure(api.revokeToken(created.tokenID))).code).toBe('NOT_FOUND');

    const log = await requests();
    expect(
      log.filter((r) => r.path.startsWith('/api/')).map((r) => `${r.method} ${r.path.replace(created.tokenID, '{id}')} ${r.status}`),
    ).toEqual([
      'POST /api/v1/tokens/create 201',
      'GET /api/v1/tokens/list 200',
      'GET /api/v1/tokens/{id} 200',
      'PUT /api/v1/tokens/{id}/update 200',
      'DELETE /api/v1/tokens/{id}/delete 204',
      'GET /api/v1/tokens/list 200',
      'GET /api/v1/tokens/{id} 404',
      'DELETE /api/v1/tokens/{id}/delete 404',
    ]);
  });

  test('a token created without an expiry gets the 2-year default', async () => {
    const api = await session();
    const created = await api.createToken({ name: 'defaults' });
    expect(Date.parse(created.expiryDate)).toBe(maxExpiryFor(NOW_MS));
  });

  test('a 400 from Agility is an ApiError that carries its detail', async () => {
    // The client checks the expiry against its own clock; the emulator's clock runs three years ahead, so it refuses.
    await admin('POST', '/__emulator/clock', { now: new Date(NOW_MS + 3 * 365 * 86_400_000).toISOString() });
    const api = await session();
    const err = await failure(api.createToken({ name: 'stale', expiryDate: new Date(NOW_MS + 86_400_000).toISOString() }));
    expect(err.code).toBe('API_ERROR');
    expect(err.details).toMatchObject({ method: 'POST', path: '/api/v1/tokens/create', status: 400 });
    expect(err.details.agilityDetail).toEqual(expect.any(String));
    expect(err.message).toContain('(400)');
  });

  test('a PAT may call users/me but is refused on every token route with PatNotAllowedError', async () => {
    const api = await session();
    const created = await api.createToken({ name: 'as-credential' });
    const asPat = client(created.token as string);

    expect((await asPat.me()).emailAddress).toBe('developer@example.com');
    const refusals = await Promise.all([
      failure(asPat.listTokens()),
      failure(asPat.createToken({ name: 'child' })),
      failure(asPat.getToken(created.tokenID)),
      failure(asPat.updateToken(created.tokenID, { enabled: false })),
      failure(asPat.revokeToken(created.tokenID)),
    ]);
    for (const err of refusals) {
      expect(err.code).toBe('PAT_NOT_ALLOWED');
      expect(err.message).toContain('this credential is a Personal Access Token; Agility only lets OAuth sessions manage tokens');
      expect(err.details.status).toBe(403);
    }
    expect((await api.listTokens()).tokens.map((t) => t.enabled)).toEqual([true]);
  });

  test('a revoked PAT gets AuthFailedError (401)', async () => {
    const api = await session();
    const created = await api.createToken({ name: 'short-lived' });
    const asPat = client(created.token as string);
    await asPat.me();
    await api.revokeToken(created.tokenID);
    const err = await failure(asPat.me());
    expect(err.code).toBe('AUTH_FAILED');
    expect(err.details).toEqual(expect.objectContaining({ method: 'GET', path: '/api/v1/users/me', status: 401 }));
  });

  test('an expired OAuth session gets AuthFailedError, and refresh gives a working one', async () => {
    const first = await client(undefined).exchangeCode('any-code');
    await advance(3601);
    const err = await failure(client(first.access_token as string).listTokens());
    expect(err.code).toBe('AUTH_FAILED');
    const renewed = await client(undefined).refresh(first.refresh_token as string);
    expect(renewed.refresh_token).not.toBe(first.refresh_token);
    await expect(client(renewed.access_token as string).listTokens()).resolves.toEqual({ tokens: [], totalCount: 0 });
    const reused = await failure(client(undefined).refresh(first.refresh_token as string));
    expect(reused.code).toBe('AUTH_FAILED');
  });

  test('the sixth creation within an hour is a RateLimitedError for creations-per-hour, with Retry-After', async () => {
    const api = await session();
    for (let i = 0; i < 5; i++) await api.createToken({ name: `t${i}` });
    const err = await failure(api.createToken({ name: 't5' }));
    expect(err).toMatchObject({ code: 'RATE_LIMITED', limit: 'creations-per-hour' });
    expect((err as unknown as { retryAfterSeconds: number }).retryAfterSeconds).toBeGreaterThan(0);
    expect((err as unknown as { retryAfterSeconds: number }).retryAfterSeconds).toBeLessThanOrEqual(3600);
    expect((await requests()).filter((r) => r.path === '/api/v1/tokens/create').map((r) => r.status)).toEqual([
      201, 201, 201, 201, 201, 429,
    ]);
  });

  test('the eleventh active token is a RateLimitedError for active-tokens', async () => {
    let api = await session();
    for (let i = 0; i < 10; i++) {
      if (i === 5) {
        await advance(3601);
        api = await session();
      }
      await api.createToken({ name: `t${i}` });
    }
    await advance(3601);
    api = await session();
    const err = await failure(api.createToken({ name: 't10' }));
    expect(err).toMatchObject({ code: 'RATE_LIMITED', limit: 'active-tokens' });
    expect(err.message).toContain('at most 10 active tokens');
    expect((await api.listTokens()).totalCount).toBe(10);
  });

  test('listTokens retries through two injected 503s and then succeeds', async () => {
    const api = await session();
    await fault({ method: 'GET', path: '/api/v1/tokens/list', status: 503, times: 2 });
    await expect(api.listTokens()).resolves.toEqual({ tokens: [], totalCount: 0 });
    expect((await requests()).filter((r) => r.path === '/api/v1/tokens/list').map((r) => r.status)).toEqual([503, 503, 200]);
    expect(delays).toEqual([250, 500]);
  });

  test('listTokens waits exactly the Retry-After of an injected 429', async () => {
    const api = await session();
    await fault({ method: 'GET', path: '/api/v1/tokens/list', status: 429, retryAfter: 3 });
    await api.listTokens();
    expect(delays).toEqual([3000]);
  });

  test('revoke is retried after a dropped connection and then succeeds', async () => {
    const api = await session();
    const created = await api.createToken({ name: 'drop-me' });
    await fault({ method: 'DELETE', path: '/api/v1/tokens/*', drop: true });
    await api.revokeToken(created.tokenID);
    expect((await requests()).filter((r) => r.method === 'DELETE').map((r) => r.status)).toEqual([0, 204]);
    expect((await api.listTokens()).tokens).toEqual([]);
  });

  test('revoke whose answer was lost after the token was revoked ends in NotFoundError on the retry', async () => {
    const api = await session();
    const created = await api.createToken({ name: 'ambiguous' });
    await fault({ method: 'DELETE', path: '/api/v1/tokens/*', drop: true, after: true });
    const err = await failure(api.revokeToken(created.tokenID));
    expect(err.code).toBe('NOT_FOUND');
    expect((await requests()).filter((r) => r.method === 'DELETE').map((r) => r.status)).toEqual([0, 404]);
    expect((await api.listTokens()).tokens).toEqual([]);
  });

  test('a create whose connection drops after the work is done is surfaced once, not retried', async () => {
    const api = await session();
    await fault({ method: 'POST', path: '/api/v1/tokens/create', drop: true, after: true });
    const err = await failure(api.createToken({ name: 'maybe' }));
    expect(err.code).toBe('NETWORK');
    expect((await requests()).filter((r) => r.path === '/api/v1/tokens/create').map((r) => r.status)).toEqual([0]);
    // The lifecycle finds such a token by listing.
    expect((await api.listTokens()).tokens.map((t) => t.name)).toEqual(['maybe']);
  });

  test('a create slower than timeoutMs is a TimeoutError after exactly one request', async () => {
    const signedIn = await client(undefined).exchangeCode('user:slow@example.com');
    const fast = client(signedIn.access_token as string, { timeoutMs: 100 });
    await fault({ method: 'POST', path: '/api/v1/tokens/create', latencyMs: 1000 });
    const err = await failure(fast.createToken({ name: 'slow' }));
    expect(err).toMatchObject({ code: 'TIMEOUT', details: { timeoutMs: 100 } });
    expect(delays).toEqual([]);
    // The server answers the abandoned request once its latency is over; a retry would have arrived before that.
    const creates = async () => (await requests()).filter((r) => r.path === '/api/v1/tokens/create');
    await waitFor(async () => (await creates()).some((r) => r.status !== 0), 10_000, 'the emulator to answer the abandoned create');
    expect(await creates()).toHaveLength(1);
  });

  test('over TLS, as the real API speaks: the client trusts the loopback certificate it is given and refuses without it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'agility-pat-tls-'));
    const cert = await makeLoopbackCertificate(dir);
    const tls = await startEmulator({ host: '127.0.0.1', port: 0, now: NOW, tls: { key: cert.key, cert: cert.cert } });
    const trusting = new Agent({ connect: { ca: readFileSync(cert.caFile, 'utf8') } });
    try {
      expect(tls.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const signedIn = await client(undefined, { baseUrl: tls.url, dispatcher: trusting }).exchangeCode('user:tls@example.com');
      const api = client(signedIn.access_token as string, { baseUrl: tls.url, dispatcher: trusting });
      await api.createToken({ name: 'over-tls' });
      expect((await api.listTokens()).tokens.map((t) => t.name)).toEqual(['over-tls']);
      // Without the certificate (undici's default, or node's agents) the client does not trust it: the handshake fails, no request is served.
      const err = await failure(client(signedIn.access_token as string, { baseUrl: tls.url }).listTokens());
      expect(err.code).toBe('NETWORK');
    } finally {
      await trusting.close();
      await tls.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
