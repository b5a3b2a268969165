import { StopRequests } from '../../lib/cli/stop-requests';
import { inspect } from 'node:util';
import { MockAgent } from 'undici';
import {
  AgilityClient,
  type AgilityClientOptions,
  classifyRateLimit,
  parseRetryAfter,
  regionHostForGuid,
  resolveBaseUrl,
} from '../../lib/api';
import { fixedClock } from '../../lib/core/clock';
import { type AgilityPatError, type ErrorCode, hasErrorCode, isAgilityPatError } from '../../lib/core/errors';
import { HOOK_ENV } from '../../lib/core/hook-contract';
import { maxExpiryFor } from '../../lib/core/limits';

const BASE = 'https://mgmt.aglty.io';
const NOW = Date.parse('2026-03-01T12:00:00Z');
const ACCESS = 'oauth-access-9f8e7d6c5b4a39281706';
const PAT_SECRET = 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiI0MiIsImp0aSI6InBhdCJ9.c2lnbmF0dXJlLW9mLXRoZS1wYXQ';
const REFRESH = 'refresh+token/with=odd&chars-1234567';
const TOKEN_ID = '3f2504e0-4f89-41d3-9a0c-0305e82c3301';
const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8' };

function tokenBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    tokenID: TOKEN_ID,
    name: 'ci-deploy',
    createdDate: '2026-03-01T12:00:00Z',
    expiryDate: '2027-03-01T12:00:00Z',
    lastUsedDate: null,
    enabled: true,
    isExpired: false,
    daysUntilExpiration: 365,
    ...overrides,
  };
}

let agent: MockAgent;
let delays: number[];

function client(options: Partial<AgilityClientOptions> = {}): AgilityClient {
  return new AgilityClient({
    baseUrl: BASE,
    accessToken: ACCESS,
    dispatcher: agent,
    clock: fixedClock(NOW),
    sleep: async (ms) => {
      delays.push(ms);
    },
    random: () => 0.5,
    ...options,
  });
}

const pool = () => agent.get(BASE);
const calls = () => agent.getCallHistory()?.calls() ?? [];

async function failure(p: Promise<unknown>): Promise<AgilityPatError> {
  try {
    await p;
  } catch (e) {
    if (isAgilityPatError(e)) return e;
    throw e;
  }
  throw new Error('expected the call to fail');
}

beforeEach(() => {
  agent = new MockAgent({ enableCallHistory: true });
  agent.disableNetConnect();
  delays = [];
});

afterEach(async () => {
  await agent.close();
});

describe('base URL rules', () => {
  test.each([
    ['1234abcd-u', 'https://mgmt.aglty.io'],
    ['1234abcd-U', 'https://mgmt.aglty.io'],
    ['1234abcd', 'https://mgmt.aglty.io'],
    ['63b1dc5d-us2', 'https://mgmt-usa2.aglty.io'],
    ['63b1dc5d-US2', 'https://mgmt-usa2.aglty.io'],
    ['abc-def-c', 'https://mgmt-ca.aglty.io'],
    ['1234abcd-e', 'https://mgmt-eu.aglty.io'],
    ['1234abcd-a', 'https://mgmt-aus.aglty.io'],
    ['1234abcd-d', 'https://mgmt-dev.aglty.io'],
  ])('the instance GUID %s maps to %s', (guid, host) => {
    expect(regionHostForGuid(guid)).toBe(host);
    expect(resolveBaseUrl({ instanceGuid: guid })).toBe(host);
  });

  test.each(['1234abcd-x', '1234abcd-usa', '1234abcd-u-2', '1234abcd-'])(
    'the instance GUID %s is refused, naming it and the accepted suffixes',
    (guid) => {
      let err: unknown;
      try {
        regionHostForGuid(guid);
      } catch (e) {
        err = e;
      }
      expect(hasErrorCode(err, 'INVALID_INPUT')).toBe(true);
      const message = (err as Error).message;
      expect(message).toContain(guid);
      for (const suffix of ['-u', '-us2', '-c', '-e', '-a', '-d']) expect(message).toContain(suffix);
    },
  );

  test('an explicit baseUrl wins over the instance GUID', () => {
    expect(resolveBaseUrl({ baseUrl: 'https://proxy.example.com/agility/', instanceGuid: '1234abcd-e' })).toBe(
      'https://proxy.example.com/agility',
    );
  });

  test('neither a baseUrl nor a GUID is an input error', () => {
    expect(() => resolveBaseUrl({})).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
    expect(() => resolveBaseUrl({ baseUrl: '  ', instanceGuid: '' })).toThrow(/baseUrl.*instanceGuid/);
  });

  test.each([
    ['https://mgmt.aglty.io/', 'https://mgmt.aglty.io'],
    ['https://MGMT-EU.aglty.io', 'https://mgmt-eu.aglty.io'],
    ['http://127.0.0.1:41234', 'http://127.0.0.1:41234'],
    ['http://127.9.8.7:8080/', 'http://127.9.8.7:8080'],
    ['http://localhost:3000//', 'http://localhost:3000'],
    ['http://[::1]:9000', 'http://[::1]:9000'],
  ])('the base URL %s is accepted as %s', (input, expected) => {
    expect(resolveBaseUrl({ baseUrl: input })).toBe(expected);
  });

  test.each([
    ['http://mgmt.aglty.io', /https/],
    ['http://10.0.0.5:8080', /loopback/],
    ['https://mgmt.aglty.io/?region=eu', /query string/],
    ['https://mgmt.aglty.io/#top', /fragment/],
    ['ftp://mgmt.aglty.io', /https/],
    ['mgmt.aglty.io', /absolute URL/],
  ])('the base URL %s is refused', (input, why) => {
    expect(() => resolveBaseUrl({ baseUrl: input })).toThrow(why);
    expect(() => new AgilityClient({ baseUrl: input })).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
  });

  test('a base URL with credentials is refused without repeating them', () => {
    let err: unknown;
    try {
      resolveBaseUrl({ baseUrl: 'https://alice:hunter2hunter2@mgmt.aglty.io' });
    } catch (e) {
      err = e;
    }
    expect(hasErrorCode(err, 'INVALID_INPUT')).toBe(true);
    expect((err as Error).message).toMatch(/credentials/);
    expect((err as Error).message).not.toContain('hunter2');
  });
});

describe('requests on the wire', () => {
  test('createToken posts camelCase JSON with the Bearer token, Accept and Cache-Control headers', async () => {
    pool()
      .intercept({ path: '/api/v1/tokens/create', method: 'POST' })
      .reply(201, { ...tokenBody(), token: PAT_SECRET, notice: 'Copy it now' }, { headers: JSON_HEADERS });
    const created = await client({ userAgent: 'test-agent/1' }).createToken({
      name: 'ci-deploy',
      expiryDate: new Date('2026-09-01T00:00:00+02:00'),
    });

    expect(created.token).toBe(PAT_SECRET);
    expect(created.tokenID).toBe(TOKEN_ID);
    expect(created.notice).toBe('Copy it now');
    const [call] = calls();
    expect(call.method).toBe('POST');
    expect(call.fullUrl).toBe(`${BASE}/api/v1/tokens/create`);
    expect(JSON.parse(String(call.body))).toEqual({ name: 'ci-deploy', expiryDate: '2026-08-31T22:00:00.000Z' });
    expect(call.headers).toMatchObject({
      authorization: `Bearer ${ACCESS}`,
      accept: 'application/json',
      'cache-control': 'no-cache',
      'content-type': 'application/json',
      'user-agent': 'test-agent/1',
    });
  });

  test('createToken leaves expiryDate out when it is omitted or null, so Agility applies its 2-year default', async () => {
    pool()
      .intercept({ path: '/api/v1/tokens/create', method: 'POST' })
      .reply(201, { ...tokenBody(), token: PAT_SECRET })
      .times(2);
    await client().createToken({ name: 'a' });
    await client().createToken({ name: 'b', expiryDate: null });
    expect(calls().map((c) => JSON.parse(String(c.body)))).toEqual([{ name: 'a' }, { name: 'b' }]);
  });

  test('an expiry exactly two calendar years after the clock is accepted and sent as UTC ISO-8601', async () => {
    pool()
      .intercept({ path: '/api/v1/tokens/create', method: 'POST' })
      .reply(201, { ...tokenBody(), token: PAT_SECRET });
    await client().createToken({ name: 'max', expiryDate: new Date(maxExpiryFor(NOW)).toISOString() });
    expect(JSON.parse(String(calls()[0].body)).expiryDate).toBe('2028-03-01T12:00:00.000Z');
  });

  test('listTokens returns the tokens and reads tokens: null as an empty list', async () => {
    pool()
      .intercept({ path: '/api/v1/tokens/list', method: 'GET' })
      .reply(200, { tokens: [tokenBody()], totalCount: 1 }, { headers: JSON_HEADERS });
    pool().intercept({ path: '/api/v1/tokens/list', method: 'GET' }).reply(200, { tokens: null, totalCount: 0 }, { headers: JSON_HEADERS });
    const c = client();
    expect(await c.listTokens()).toEqual({ tokens: [tokenBody()], totalCount: 1 });
    expect(await c.listTokens()).toEqual({ tokens: [], totalCount: 0 });
  });

  test('a JSON body is parsed even when the content type does not say JSON', async () => {
    pool()
      .intercept({ path: `/api/v1/tokens/${TOKEN_ID}`, method: 'GET' })
      .reply(200, JSON.stringify(tokenBody()), { headers: { 'content-type': 'text/plain' } });
    expect((await client().getToken(TOKEN_ID)).name).toBe('ci-deploy');
  });

  test('a missing lastUsedDate is read as never used (null)', async () => {
    const rest = tokenBody();
    delete rest.lastUsedDate;
    pool()
      .intercept({ path: `/api/v1/tokens/${TOKEN_ID}`, method: 'GET' })
      .reply(200, rest, { headers: JSON_HEADERS });
    expect((await client().getToken(TOKEN_ID)).lastUsedDate).toBeNull();
  });

  test('updateToken puts only the given fields', async () => {
    pool()
      .intercept({ path: `/api/v1/tokens/${TOKEN_ID}/update`, method: 'PUT' })
      .reply(200, tokenBody({ enabled: false }), { headers: JSON_HEADERS });
    const updated = await client().updateToken(TOKEN_ID, { enabled: false });
    expect(updated.enabled).toBe(false);
    expect(JSON.parse(String(calls()[0].body))).toEqual({ enabled: false });
  });

  test('revokeToken sends DELETE to the delete route and accepts 204 without a body', async () => {
    pool()
      .intercept({ path: `/api/v1/tokens/${TOKEN_ID}/delete`, method: 'DELETE' })
      .reply(204, '');
    await expect(client().revokeToken(TOKEN_ID)).resolves.toBeUndefined();
    expect(calls()[0].method).toBe('DELETE');
  });

  test('me returns the signed-in user', async () => {
    pool()
      .intercept({ path: '/api/v1/users/me', method: 'GET' })
      .reply(200, { userID: 7, emailAddress: 'dev@example.com', websiteAccess: [{ guid: '1234abcd-u' }] }, { headers: JSON_HEADERS });
    const me = await client().me();
    expect(me.userID).toBe(7);
    expect(me.websiteAccess?.[0].guid).toBe('1234abcd-u');
  });

  test('exchangeCode posts the code form-urlencoded without a Bearer token', async () => {
    const session = { access_token: 'new-access-123456789', expires_in: 3600, refresh_token: 'r-1', token_type: 'Bearer' };
    pool().intercept({ path: '/oauth/token', method: 'POST' }).reply(200, session, { headers: JSON_HEADERS });
    expect(await client().exchangeCode('abc/def+1')).toEqual(session);
    const [call] = calls();
    expect(call.headers).toMatchObject({ 'content-type': 'application/x-www-form-urlencoded' });
    expect((call.headers as Record<string, string>).authorization).toBeUndefined();
    expect(new URLSearchParams(String(call.body)).get('code')).toBe('abc/def+1');
  });

  test('refresh posts refresh_token in the form body and never in the URL', async () => {
    pool()
      .intercept({ path: '/oauth/refresh', method: 'POST' })
      .reply(
        200,
        { access_token: 'new-access-123456789', expires_in: 3600, refresh_token: 'r-2', token_type: 'Bearer' },
        { headers: JSON_HEADERS },
      );
    const session = await client().refresh(REFRESH);
    expect(session.refresh_token).toBe('r-2');
    const [call] = calls();
    expect(call.fullUrl).toBe(`${BASE}/oauth/refresh`);
    expect(call.fullUrl).not.toContain('refresh_token');
    expect(new URLSearchParams(String(call.body)).get('refresh_token')).toBe(REFRESH);
  });

  test('the access token is not visible when the client is inspected or serialised', () => {
    const c = client();
    expect(inspect(c, { depth: 5, showHidden: true })).not.toContain(ACCESS);
    expect(JSON.stringify(c)).not.toContain(ACCESS);
  });
});

describe('input is checked before any request', () => {
  const tooLong = 'x'.repeat(101);
  test.each<[string, (c: AgilityClient) => Promise<unknown>]>([
    ['an empty name', (c) => c.createToken({ name: '' })],
    ['a 101-character name', (c) => c.createToken({ name: tooLong })],
    ['an expiry in the past', (c) => c.createToken({ name: 'a', expiryDate: '2026-02-28T00:00:00Z' })],
    ['an expiry equal to now', (c) => c.createToken({ name: 'a', expiryDate: new Date(NOW) })],
    ['an expiry more than two years away', (c) => c.createToken({ name: 'a', expiryDate: new Date(maxExpiryFor(NOW) + 1000) })],
    ['an expiry without a time zone', (c) => c.createToken({ name: 'a', expiryDate: '2026-06-01T00:00:00' })],
    ['a tokenId that is not a uuid (get)', (c) => c.getToken('not-a-uuid')],
    ['a tokenId with a path in it (revoke)', (c) => c.revokeToken(`../${TOKEN_ID}`)],
    ['a tokenId that is not a uuid (update)', (c) => c.updateToken('123', { name: 'x' })],
    ['an update with nothing to change', (c) => c.updateToken(TOKEN_ID, {})],
    ['an update with a 101-character name', (c) => c.updateToken(TOKEN_ID, { name: tooLong })],
    ['an empty OAuth code', (c) => c.exchangeCode('')],
    ['an empty refresh token', (c) => c.refresh(' ')],
  ])('%s is an InvalidInputError and nothing is sent', async (_what, act) => {
    const err = await failure(act(client()));
    expect(err.code).toBe('INVALID_INPUT');
    expect(calls()).toHaveLength(0);
  });

  test('a long non-uuid tokenId is not echoed in the message', async () => {
    const err = await failure(client().getToken(PAT_SECRET));
    expect(err.message).not.toContain(PAT_SECRET);
    expect(err.message).toMatch(/character string/);
  });

  test('an access token with a line break is refused without showing it', () => {
    expect(() => new AgilityClient({ baseUrl: BASE, accessToken: 'abc\r\nX-Evil: 1' })).toThrow(/accessToken/);
  });
});

describe('errors are mapped to typed errors', () => {
  test.each<[string, number, string, string, ErrorCode, RegExp]>([
    [
      'GET',
      401,
      '/api/v1/tokens/list',
      '{"type":"about:blank","title":"Unauthorized","status":401,"detail":"Token expired"}',
      'AUTH_FAILED',
      /the Agility credential was refused \(401\): it is missing, wrong or expired; sign in again.*Token expired/,
    ],
    [
      'GET',
      403,
      '/api/v1/tokens/list',
      '{"detail":"PAT authentication not allowed for this endpoint"}',
      'PAT_NOT_ALLOWED',
      /this credential is a Personal Access Token; Agility only lets OAuth sessions manage tokens. Sign in with OAuth/,
    ],
    ['GET', 403, '/api/v1/users/me', '{"message":"nope"}', 'FORBIDDEN', /lacks permission.*nope/],
    ['GET', 404, `/api/v1/tokens/${TOKEN_ID}`, '{"title":"Token not found"}', 'NOT_FOUND', /does not exist.*Token not found/],
    ['GET', 400, `/api/v1/tokens/${TOKEN_ID}`, 'tokenId is invalid', 'API_ERROR', /invalid \(400\).*tokenId is invalid/],
    ['GET', 409, '/api/v1/tokens/list', '{"error":"conflict"}', 'API_ERROR', /unexpected HTTP status 409.*conflict/],
  ])('%s %i on %s with the body %s is %s', async (method, status, path, body, code, message) => {
    pool()
      .intercept({ path, method })
      .reply(status, body, { headers: body.startsWith('{') ? JSON_HEADERS : { 'content-type': 'text/plain' } });
    const c = client();
    const act = path === '/api/v1/tokens/list' ? c.listTokens() : path === '/api/v1/users/me' ? c.me() : c.getToken(TOKEN_ID);
    const err = await failure(act);
    expect(err.code).toBe(code);
    expect(err.message).toMatch(message);
    expect(err.details).toMatchObject({ method, path, status });
  });

  test('PatNotAllowedError is raised on every token route, including create, update and revoke', async () => {
    const c = client();
    pool().intercept({ path: '/api/v1/tokens/create', method: 'POST' }).reply(403, {});
    pool()
      .intercept({ path: `/api/v1/tokens/${TOKEN_ID}/update`, method: 'PUT' })
      .reply(403, {});
    pool()
      .intercept({ path: `/api/v1/tokens/${TOKEN_ID}/delete`, method: 'DELETE' })
      .reply(403, {});
    expect((await failure(c.createToken({ name: 'x' }))).code).toBe('PAT_NOT_ALLOWED');
    expect((await failure(c.updateToken(TOKEN_ID, { enabled: true }))).code).toBe('PAT_NOT_ALLOWED');
    expect((await failure(c.revokeToken(TOKEN_ID))).code).toBe('PAT_NOT_ALLOWED');
  });

  test('the path in details has no host and follows a base URL path prefix', async () => {
    const prefixed = 'https://proxy.example.com';
    agent.get(prefixed).intercept({ path: '/agility/api/v1/tokens/list', method: 'GET' }).reply(401, '');
    const err = await failure(client({ baseUrl: `${prefixed}/agility/` }).listTokens());
    expect(err.details).toEqual({ method: 'GET', path: '/agility/api/v1/tokens/list', status: 401 });
  });

  test.each([
    ['an ANSI escape', '\u001b[2J\u001b[31mToken expired\u001b[0m', '\\u001b[2J\\u001b[31mToken expired\\u001b[0m'],
    ['a C1 CSI (8-bit escape)', '\u009b31mred', '\\u009b31mred'],
    ['a bidi override', 'name \u202Eexe.txt', 'name \\u202eexe.txt'],
    ['a zero-width space', 'tok\u200Ben', 'tok\\u200ben'],
    ['a backspace', 'ok\bX', 'ok\\u0008X'],
  ])('error text from a body with %s is printed escaped, never raw', async (_what, detail, shown) => {
    pool().intercept({ path: '/api/v1/tokens/list', method: 'GET' }).reply(400, { detail }, { headers: JSON_HEADERS });
    const err = await failure(client().listTokens());
    expect(err.details.agilityDetail).toBe(shown);
    expect(err.message).toContain(`Agility said: "${shown}".`);
    expect(err.message).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u200b\u202e]/);
  });

  test('error text from a body is cut to 300 characters', async () => {
    pool()
      .intercept({ path: '/api/v1/tokens/list', method: 'GET' })
      .reply(400, { detail: 'y'.repeat(1000) });
    const err = await failure(client().listTokens());
    expect(err.details.agilityDetail).toHaveLength(300);
    expect(err.message).not.toContain('y'.repeat(301));
  });

  test.each<[string, Record<string, string>, string, number | undefined]>([
    ['Token limit reached: a user may have at most 10 active tokens', {}, 'active-tokens', undefined],
    ['Rate limit exceeded: at most 5 tokens may be created per hour', { 'retry-after': '120' }, 'creations-per-hour', 120],
    ['Too many requests', {}, 'unknown', undefined],
  ])('429 on create with "%s" is a RateLimitedError naming the limit and when to retry', async (detail, headers, limit, retryAfter) => {
    pool()
      .intercept({ path: '/api/v1/tokens/create', method: 'POST' })
      .reply(429, { detail }, { headers: { ...JSON_HEADERS, ...headers } });
    const err = await failure(client().createToken({ name: 'x' }));
    expect(err.code).toBe('RATE_LIMITED');
    expect(err).toMatchObject({ limit, retryAfterSeconds: retryAfter });
    expect(err.details).toMatchObject({ method: 'POST', path: '/api/v1/tokens/create', status: 429, limit });
    expect(err.message).toContain(`limit: ${limit}`);
    if (retryAfter !== undefined) expect(err.message).toContain(`retry in ${retryAfter} seconds`);
    expect(calls()).toHaveLength(1);
  });

  test('429 with a plain-text body and an HTTP-date Retry-After is read too', async () => {
    pool()
      .intercept({ path: '/api/v1/tokens/create', method: 'POST' })
      .reply(429, 'Rate limit exceeded', {
        headers: { date: 'Wed, 21 Oct 2026 07:28:00 GMT', 'retry-after': 'Wed, 21 Oct 2026 07:30:00 GMT' },
      });
    const err = await failure(client().createToken({ name: 'x' }));
    expect(err).toMatchObject({ code: 'RATE_LIMITED', limit: 'creations-per-hour', retryAfterSeconds: 120 });
  });

  test('a refused connection is a NetworkError whose cause keeps only a code and message', async () => {
    pool()
      .intercept({ path: '/api/v1/tokens/list', method: 'GET' })
      .replyWithError(
        Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:443'), {
          code: 'ECONNREFUSED',
          headers: { authorization: `Bearer ${ACCESS}` },
        }),
      );
    const err = await failure(client({ retry: { maxRetries: 0 } }).listTokens());
    expect(err.code).toBe('NETWORK');
    expect(err.message).toContain('ECONNREFUSED');
    expect(err.details).toEqual({ method: 'GET', path: '/api/v1/tokens/list', errorCode: 'ECONNREFUSED' });
    expect(Object.keys(err.cause as object)).toEqual(['code']);
  });

  test('an answer slower than timeoutMs is a TimeoutError', async () => {
    pool().intercept({ path: '/api/v1/tokens/list', method: 'GET' }).reply(200, { tokens: [], totalCount: 0 }).delay(2000);
    const started = Date.now();
    const err = await failure(client({ timeoutMs: 50, retry: { maxRetries: 0 } }).listTokens());
    expect(err.code).toBe('TIMEOUT');
    expect(err.details).toEqual({ method: 'GET', path: '/api/v1/tokens/list', timeoutMs: 50 });
    expect(err.message).toMatch(/no complete answer from https:\/\/mgmt\.aglty\.io within 50 ms \(retries included\)/);
    expect(err.message).toContain(`allow more time with ${HOOK_ENV.timeoutMs}`);
    expect(Date.now() - started).toBeLessThan(1500);
  });
});

describe('date-times without an offset', () => {
  test('are read as UTC, never as local time: the client gives them a Z', async () => {
    pool()
      .intercept({ path: `/api/v1/tokens/${TOKEN_ID}`, method: 'GET' })
      .reply(
        200,
        tokenBody({ createdDate: '2026-03-01T12:00:00.1234567', expiryDate: '2027-01-01T00:00:00', lastUsedDate: '2026-03-02T08:30' }),
        { headers: JSON_HEADERS },
      );
    const token = await client().getToken(TOKEN_ID);
    // With the Z, every later Date.parse reads the same instant whatever the machine's TZ (without it, local time).
    expect([token.createdDate, token.expiryDate, token.lastUsedDate]).toEqual([
      '2026-03-01T12:00:00.1234567Z',
      '2027-01-01T00:00:00Z',
      '2026-03-02T08:30Z',
    ]);
    expect(Date.parse(token.expiryDate)).toBe(Date.UTC(2027, 0, 1));
    expect(Date.parse(token.createdDate!)).toBe(Date.UTC(2026, 2, 1, 12, 0, 0, 123));
  });

  test('dates that carry an offset are returned exactly as sent', async () => {
    pool()
      .intercept({ path: `/api/v1/tokens/${TOKEN_ID}`, method: 'GET' })
      .reply(200, tokenBody({ expiryDate: '2027-01-01T02:00:00+02:00' }), { headers: JSON_HEADERS });
    expect((await client().getToken(TOKEN_ID)).expiryDate).toBe('2027-01-01T02:00:00+02:00');
  });
});

describe('malformed 2xx bodies are BadResponseErrors', () => {
  test.each<[string, (c: AgilityClient) => Promise<unknown>, string, number, unknown, Record<string, string>, RegExp]>([
    ['an HTML page', (c) => c.listTokens(), '/api/v1/tokens/list', 200, '<html>login</html>', { 'content-type': 'text/html' }, /not JSON/],
    ['an empty body', (c) => c.listTokens(), '/api/v1/tokens/list', 200, '', {}, /not JSON \(it was empty\)/],
    ['JSON declared but broken', (c) => c.listTokens(), '/api/v1/tokens/list', 200, '{"tokens": [', JSON_HEADERS, /not JSON/],
    [
      'a list without tokens',
      (c) => c.listTokens(),
      '/api/v1/tokens/list',
      200,
      { totalCount: 0 },
      JSON_HEADERS,
      /body\.tokens must be an array or null/,
    ],
    [
      'a list whose tokens is an object',
      (c) => c.listTokens(),
      '/api/v1/tokens/list',
      200,
      { tokens: {}, totalCount: 0 },
      JSON_HEADERS,
      /body\.tokens must be an array/,
    ],
    [
      'a token without tokenID',
      (c) => c.getToken(TOKEN_ID),
      `/api/v1/tokens/${TOKEN_ID}`,
      200,
      tokenBody({ tokenID: undefined }),
      JSON_HEADERS,
      /body\.tokenID must be a non-empty string, got undefined/,
    ],
    [
      'a token whose enabled is a string',
      (c) => c.getToken(TOKEN_ID),
      `/api/v1/tokens/${TOKEN_ID}`,
      200,
      tokenBody({ enabled: 'yes' }),
      JSON_HEADERS,
      /body\.enabled must be a boolean, got string/,
    ],
    [
      'a token whose expiryDate is not a date',
      (c) => c.getToken(TOKEN_ID),
      `/api/v1/tokens/${TOKEN_ID}`,
      200,
      tokenBody({ expiryDate: 'soon' }),
      JSON_HEADERS,
      /body\.expiryDate must be an ISO-8601 date-time/,
    ],
    [
      'a JSON array where an object belongs',
      (c) => c.getToken(TOKEN_ID),
      `/api/v1/tokens/${TOKEN_ID}`,
      200,
      [tokenBody()],
      JSON_HEADERS,
      /body must be a JSON object, got array/,
    ],
  ])('%s', async (_what, act, path, status, body, headers, problem) => {
    const method = path.endsWith('list') || path.endsWith(TOKEN_ID) ? 'GET' : 'POST';
    pool()
      .intercept({ path, method })
      .reply(status, typeof body === 'string' ? body : JSON.stringify(body), { headers });
    const err = await failure(act(client()));
    expect(err.code).toBe('BAD_RESPONSE');
    expect(err.message).toMatch(problem);
    expect(err.details).toMatchObject({ method, path, status });
    expect(calls()).toHaveLength(1);
  });

  test('says what the program lacks, and does not blame the API document', async () => {
    pool()
      .intercept({ path: `/api/v1/tokens/${TOKEN_ID}`, method: 'GET' })
      .reply(200, tokenBody({ expiryDate: undefined }), { headers: JSON_HEADERS });
    const err = await failure(client().getToken(TOKEN_ID));
    expect(err.message).toMatch(/with JSON that lacks what agility-pat needs: body\.expiryDate/);
    expect(err.message).not.toMatch(/document/);
  });

  test('a create answer without the secret is a BadResponseError', async () => {
    pool()
      .intercept({ path: '/api/v1/tokens/create', method: 'POST' })
      .reply(201, { ...tokenBody(), token: null }, { headers: JSON_HEADERS });
    const err = await failure(client().createToken({ name: 'x' }));
    expect(err.code).toBe('BAD_RESPONSE');
    expect(err.message).toMatch(/body\.token must be a non-empty string, got null/);
  });

  test('an OAuth answer without access_token is a BadResponseError', async () => {
    pool().intercept({ path: '/oauth/token', method: 'POST' }).reply(200, { error: 'invalid_grant' }, { headers: JSON_HEADERS });
    const err = await failure(client().exchangeCode('code-1'));
    expect(err.code).toBe('BAD_RESPONSE');
    expect(err.message).toMatch(/access_token/);
  });
});

describe('optional fields stay optional', () => {
  test('a list missing every optional field, with a null-name entry and one unusable entry, is read with defaults', async () => {
    const bare = { tokenID: TOKEN_ID, expiryDate: '2027-03-01T12:00:00Z' };
    const nullName = { tokenID: 'a3f2504e-4f89-41d3-9a0c-0305e82c3301', name: null, expiryDate: '2027-01-01T00:00:00Z' };
    const unusable = { name: 'no id', expiryDate: '2027-01-01T00:00:00Z' };
    const wrongType = { tokenID: 'b3f2504e-4f89-41d3-9a0c-0305e82c3301', name: 5, expiryDate: '2027-01-01T00:00:00Z' };
    pool()
      .intercept({ path: '/api/v1/tokens/list', method: 'GET' })
      .reply(200, { tokens: [bare, nullName, unusable, wrongType] }, { headers: JSON_HEADERS });
    const warnings: string[] = [];
    const list = await client({ onWarning: (m) => warnings.push(m) }).listTokens();
    expect(list).toEqual({
      totalCount: 2,
      tokens: [
        {
          ...bare,
          name: null,
          createdDate: null,
          lastUsedDate: null,
          enabled: true,
          isExpired: false,
          daysUntilExpiration: null,
        },
        { ...nullName, createdDate: null, lastUsedDate: null, enabled: true, isExpired: false, daysUntilExpiration: null },
      ],
    });
    expect(warnings).toEqual([
      expect.stringMatching(
        /left out a token agility-pat cannot use \(body\.tokens\[2\]\.tokenID must be a non-empty string, got undefined\)/,
      ),
      expect.stringMatching(/\(body\.tokens\[3\]\.name must be a string or null, got number\)/),
    ]);
  });

  test('a token and a user with only what the program needs', async () => {
    pool()
      .intercept({ path: `/api/v1/tokens/${TOKEN_ID}`, method: 'GET' })
      .reply(200, { tokenID: TOKEN_ID, expiryDate: '2027-03-01T12:00:00Z' }, { headers: JSON_HEADERS });
    pool().intercept({ path: '/api/v1/users/me', method: 'GET' }).reply(200, { userID: 7 }, { headers: JSON_HEADERS });
    await expect(client().getToken(TOKEN_ID)).resolves.toMatchObject({ tokenID: TOKEN_ID, name: null, enabled: true });
    await expect(client().me()).resolves.toMatchObject({ userID: 7 });
  });
});

describe('retries', () => {
  const list = { tokens: [], totalCount: 0 };

  test('GET is retried on 503 up to three times with full-jitter exponential delays, then succeeds', async () => {
    pool().intercept({ path: '/api/v1/tokens/list', method: 'GET' }).reply(503, 'busy').times(3);
    pool().intercept({ path: '/api/v1/tokens/list', method: 'GET' }).reply(200, list, { headers: JSON_HEADERS });
    await expect(client().listTokens()).resolves.toEqual(list);
    expect(calls()).toHaveLength(4);
    // random() = 0.5 → half of 500·2^n
    expect(delays).toEqual([250, 500, 1000]);
  });

  test('after maxRetries the last failure is thrown: 1 + 3 attempts', async () => {
    pool().intercept({ path: '/api/v1/tokens/list', method: 'GET' }).reply(500, { detail: 'boom' }).times(4);
    const err = await failure(client().listTokens());
    expect(err.code).toBe('API_ERROR');
    expect(err.details).toMatchObject({ status: 500 });
    expect(calls()).toHaveLength(4);
    expect(delays).toHaveLength(3);
  });

  test('delays are capped at maxDelayMs and use the injected options', async () => {
    for (const status of [408, 429, 502, 504]) pool().intercept({ path: '/api/v1/users/me', method: 'GET' }).reply(status, '');
    pool().intercept({ path: '/api/v1/users/me', method: 'GET' }).reply(200, { userID: 1, websiteAccess: null }, { headers: JSON_HEADERS });
    await client({ random: () => 0.999, retry: { maxRetries: 4, baseDelayMs: 100, maxDelayMs: 350 } }).me();
    expect(calls()).toHaveLength(5);
    // min(350, 100·2^n)·0.999, floored
    expect(delays).toEqual([99, 199, 349, 349]);
  });

  test('maxRetries 0 disables retrying', async () => {
    pool().intercept({ path: '/api/v1/tokens/list', method: 'GET' }).reply(503, '');
    const err = await failure(client({ retry: { maxRetries: 0 } }).listTokens());
    expect(err.code).toBe('API_ERROR');
    expect(calls()).toHaveLength(1);
  });

  test('GET is retried after network errors, within the one deadline', async () => {
    pool().intercept({ path: '/api/v1/tokens/list', method: 'GET' }).replyWithError(new Error('other side closed'));
    pool().intercept({ path: '/api/v1/tokens/list', method: 'GET' }).replyWithError(new Error('other side closed'));
    pool().intercept({ path: '/api/v1/tokens/list', method: 'GET' }).reply(200, list, { headers: JSON_HEADERS });
    await expect(client({ timeoutMs: 5000 }).listTokens()).resolves.toEqual(list);
    expect(calls()).toHaveLength(3);
    expect(delays).toEqual([250, 500]);
  });

  test('a timeout ends the call: timeoutMs bounds all attempts together, so nothing is retried after it', async () => {
    pool().intercept({ path: '/api/v1/tokens/list', method: 'GET' }).reply(200, list).delay(2000).times(4);
    const err = await failure(client({ timeoutMs: 50 }).listTokens());
    expect(err.code).toBe('TIMEOUT');
    expect(calls()).toHaveLength(1);
    expect(delays).toEqual([]);
  });

  test('a wait that would end past the deadline is not started: the failure that asked for it is thrown', async () => {
    pool()
      .intercept({ path: '/api/v1/tokens/list', method: 'GET' })
      .reply(503, { detail: 'busy' }, { headers: { 'retry-after': '2', ...JSON_HEADERS } });
    const err = await failure(client({ timeoutMs: 1000 }).listTokens());
    expect(err.code).toBe('API_ERROR');
    expect(err.details).toMatchObject({ status: 503 });
    expect(calls()).toHaveLength(1);
    expect(delays).toEqual([]);
  });

  test.each([400, 401, 403, 404])('GET is not retried on %i', async (status) => {
    pool().intercept({ path: '/api/v1/tokens/list', method: 'GET' }).reply(status, '');
    await failure(client().listTokens());
    expect(calls()).toHaveLength(1);
    expect(delays).toEqual([]);
  });

  test('Retry-After in seconds is waited exactly, without jitter', async () => {
    pool()
      .intercept({ path: '/api/v1/tokens/list', method: 'GET' })
      .reply(429, '', { headers: { 'retry-after': '2' } });
    pool()
      .intercept({ path: '/api/v1/tokens/list', method: 'GET' })
      .reply(503, '', { headers: { 'retry-after': '0' } });
    pool().intercept({ path: '/api/v1/tokens/list', method: 'GET' }).reply(200, list, { headers: JSON_HEADERS });
    await client().listTokens();
    expect(delays).toEqual([2000, 0]);
  });

  test('Retry-After as an HTTP date is measured from the response Date header', async () => {
    pool()
      .intercept({ path: '/api/v1/tokens/list', method: 'GET' })
      .reply(503, '', { headers: { date: 'Wed, 21 Oct 2026 07:28:00 GMT', 'retry-after': 'Wed, 21 Oct 2026 07:28:07 GMT' } });
    pool().intercept({ path: '/api/v1/tokens/list', method: 'GET' }).reply(200, list, { headers: JSON_HEADERS });
    await client().listTokens();
    expect(delays).toEqual([7000]);
  });

  test('a Retry-After longer than maxDelayMs stops retrying and throws the RateLimitedError', async () => {
    pool()
      .intercept({ path: '/api/v1/tokens/list', method: 'GET' })
      .reply(429, { detail: 'slow down' }, { headers: { 'retry-after': '31' } });
    const err = await failure(client().listTokens());
    expect(err).toMatchObject({ code: 'RATE_LIMITED', retryAfterSeconds: 31 });
    expect(calls()).toHaveLength(1);
    expect(delays).toEqual([]);
  });

  test('DELETE is retried, and a 404 after a lost answer is a NotFoundError', async () => {
    pool()
      .intercept({ path: `/api/v1/tokens/${TOKEN_ID}/delete`, method: 'DELETE' })
      .replyWithError(new Error('socket hang up'));
    pool()
      .intercept({ path: `/api/v1/tokens/${TOKEN_ID}/delete`, method: 'DELETE' })
      .reply(404, { detail: 'Token not found' });
    const err = await failure(client().revokeToken(TOKEN_ID));
    expect(err.code).toBe('NOT_FOUND');
    expect(calls()).toHaveLength(2);
  });

  test('DELETE succeeds after a 502', async () => {
    pool()
      .intercept({ path: `/api/v1/tokens/${TOKEN_ID}/delete`, method: 'DELETE' })
      .reply(502, '');
    pool()
      .intercept({ path: `/api/v1/tokens/${TOKEN_ID}/delete`, method: 'DELETE' })
      .reply(204, '');
    await client().revokeToken(TOKEN_ID);
    expect(calls()).toHaveLength(2);
  });

  test.each<[string, (p: ReturnType<typeof pool>) => void, ErrorCode]>([
    ['500', (p) => p.intercept({ path: '/api/v1/tokens/create', method: 'POST' }).reply(500, '').times(2), 'API_ERROR'],
    [
      '503 with Retry-After',
      (p) =>
        p
          .intercept({ path: '/api/v1/tokens/create', method: 'POST' })
          .reply(503, '', { headers: { 'retry-after': '1' } })
          .times(2),
      'API_ERROR',
    ],
    ['429', (p) => p.intercept({ path: '/api/v1/tokens/create', method: 'POST' }).reply(429, '').times(2), 'RATE_LIMITED'],
    ['a timeout', (p) => p.intercept({ path: '/api/v1/tokens/create', method: 'POST' }).reply(201, {}).delay(2000).times(2), 'TIMEOUT'],
    [
      'a network error',
      (p) => p.intercept({ path: '/api/v1/tokens/create', method: 'POST' }).replyWithError(new Error('socket hang up')).times(2),
      'NETWORK',
    ],
  ])('createToken is never retried: %s is surfaced after exactly one request', async (_what, arrange, code) => {
    arrange(pool());
    const err = await failure(client({ timeoutMs: 50 }).createToken({ name: 'x' }));
    expect(err.code).toBe(code);
    expect(calls()).toHaveLength(1);
    expect(delays).toEqual([]);
  });

  test('updateToken (PUT) and the OAuth POSTs are not retried either', async () => {
    pool()
      .intercept({ path: `/api/v1/tokens/${TOKEN_ID}/update`, method: 'PUT' })
      .reply(503, '')
      .times(2);
    pool().intercept({ path: '/oauth/refresh', method: 'POST' }).reply(503, '').times(2);
    pool().intercept({ path: '/oauth/token', method: 'POST' }).replyWithError(new Error('reset')).times(2);
    const c = client();
    expect((await failure(c.updateToken(TOKEN_ID, { name: 'n' }))).code).toBe('API_ERROR');
    expect((await failure(c.refresh(REFRESH))).code).toBe('API_ERROR');
    expect((await failure(c.exchangeCode('code-1'))).code).toBe('NETWORK');
    expect(calls()).toHaveLength(3);
  });
});

describe('pure helpers', () => {
  test.each<[string | undefined, number | undefined]>([
    ['120', 120],
    ['0', 0],
    [' 5 ', 5],
    ['Wed, 21 Oct 2026 07:28:30 GMT', 30],
    ['Wed, 21 Oct 2026 07:27:00 GMT', 0],
    ['3.5', undefined],
    ['-1', undefined],
    ['soon', undefined],
    [undefined, undefined],
  ])('Retry-After %p is %p seconds', (header, seconds) => {
    expect(parseRetryAfter(header, Date.parse('Wed, 21 Oct 2026 07:28:00 GMT'))).toBe(seconds);
  });

  test.each([
    ['Token limit reached: a user may have at most 10 active tokens', 'active-tokens'],
    ['Maximum of 10 tokens', 'active-tokens'],
    ['Rate limit exceeded: at most 5 tokens may be created per hour', 'creations-per-hour'],
    ['only 5 allowed', 'creations-per-hour'],
    ['Too Many Requests', 'unknown'],
    ['2025-01-01 15:00', 'unknown'],
  ])('the 429 text "%s" is the %s limit', (text, limit) => {
    expect(classifyRateLimit(text)).toBe(limit);
  });
});

describe('redaction', () => {
  const echo = `Bearer ${ACCESS} was used (raw: ${ACCESS}); token ${PAT_SECRET}; authorization: Bearer ${ACCESS}`;
  const jsonEcho = JSON.stringify({ detail: echo, token: PAT_SECRET });

  test.each<[ErrorCode, (c: AgilityClient) => Promise<unknown>, () => void]>([
    [
      'AUTH_FAILED',
      (c) => c.listTokens(),
      () => pool().intercept({ path: '/api/v1/tokens/list', method: 'GET' }).reply(401, jsonEcho, { headers: JSON_HEADERS }),
    ],
    [
      'PAT_NOT_ALLOWED',
      (c) => c.createToken({ name: 'x' }),
      () => pool().intercept({ path: '/api/v1/tokens/create', method: 'POST' }).reply(403, jsonEcho, { headers: JSON_HEADERS }),
    ],
    ['FORBIDDEN', (c) => c.me(), () => pool().intercept({ path: '/api/v1/users/me', method: 'GET' }).reply(403, echo)],
    [
      'NOT_FOUND',
      (c) => c.getToken(TOKEN_ID),
      () =>
        pool()
          .intercept({ path: `/api/v1/tokens/${TOKEN_ID}`, method: 'GET' })
          .reply(404, echo),
    ],
    [
      'RATE_LIMITED',
      (c) => c.createToken({ name: 'x' }),
      () =>
        pool()
          .intercept({ path: '/api/v1/tokens/create', method: 'POST' })
          .reply(429, jsonEcho, { headers: { 'retry-after': '9' } }),
    ],
    [
      'API_ERROR',
      (c) => c.refresh(REFRESH),
      () =>
        pool()
          .intercept({ path: '/oauth/refresh', method: 'POST' })
          .reply(400, `bad refresh_token ${REFRESH} ${encodeURIComponent(REFRESH)}; ${echo}`),
    ],
    [
      'NETWORK',
      (c) => c.listTokens(),
      () =>
        pool()
          .intercept({ path: '/api/v1/tokens/list', method: 'GET' })
          .replyWithError(new Error(`closed while sending ${echo}`)),
    ],
    [
      'NETWORK',
      (c) => c.getToken('aaaaaaaa-4f89-41d3-9a0c-0305e82c3301'),
      () => pool().intercept({ path: '/nowhere', method: 'GET' }).reply(200, ''),
    ],
    ['TIMEOUT', (c) => c.listTokens(), () => pool().intercept({ path: '/api/v1/tokens/list', method: 'GET' }).reply(200, echo).delay(2000)],
    [
      'BAD_RESPONSE',
      (c) => c.createToken({ name: 'x' }),
      () =>
        pool()
          .intercept({ path: '/api/v1/tokens/create', method: 'POST' })
          .reply(201, { token: PAT_SECRET, tokenID: 5, notice: echo }, { headers: JSON_HEADERS }),
    ],
    [
      'BAD_RESPONSE',
      (c) => c.createToken({ name: 'x' }),
      () => pool().intercept({ path: '/api/v1/tokens/create', method: 'POST' }).reply(201, `token=${PAT_SECRET}`),
    ],
  ])('an error with code %s never contains the access token, a refresh token or a PAT secret', async (code, act, arrange) => {
    arrange();
    const err = await failure(act(client({ timeoutMs: 50, retry: { maxRetries: 0 } })));
    expect(err.code).toBe(code);
    const renderings = [
      err.message,
      String(err),
      err.stack ?? '',
      JSON.stringify(err),
      JSON.stringify(err.details),
      inspect(err, { depth: Infinity, showHidden: true }),
      inspect(err.cause, { depth: Infinity, showHidden: true }),
    ];
    for (const text of renderings) {
      for (const secret of [ACCESS, PAT_SECRET, REFRESH, encodeURIComponent(REFRESH), 'refresh%2Btoken'])
        expect(text).not.toContain(secret);
      expect(text).not.toMatch(/Bearer (?!\[redacted\])\S/);
    }
  });

  test('an unmatched MockAgent request, whose undici message lists the headers, is redacted too', async () => {
    pool()
      .intercept({ path: '/api/v1/tokens/list', method: 'GET', headers: { 'x-never': 'sent' } })
      .reply(200, '');
    const err = await failure(client({ retry: { maxRetries: 0 } }).listTokens());
    expect(err.code).toBe('NETWORK');
    expect(err.message).toContain('[redacted]');
    expect(inspect(err, { depth: Infinity })).not.toContain(ACCESS);
  });
});

describe('stopping', () => {
  test('a stop request aborts the request in flight at once and throws its InterruptedError, not retried', async () => {
    const stops = new StopRequests();
    pool().intercept({ path: '/api/v1/tokens/list', method: 'GET' }).reply(200, { tokens: [] }, { headers: JSON_HEADERS }).delay(5_000);
    const started = Date.now();
    const listing = client({ signal: stops.abortSignal }).listTokens();
    setTimeout(() => stops.request('SIGTERM'), 50);
    const err = await failure(listing);
    expect(err.code).toBe('INTERRUPTED');
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(delays).toEqual([]);
  });

  test('a stop inside a critical section aborts nothing until the section ends', async () => {
    const stops = new StopRequests();
    pool().intercept({ path: '/api/v1/tokens/list', method: 'GET' }).reply(200, { tokens: [] }, { headers: JSON_HEADERS }).delay(200);
    const inside = stops.critical(async () => {
      const listing = client({ signal: stops.abortSignal }).listTokens();
      stops.request('SIGTERM');
      return listing;
    });
    await expect(inside).resolves.toEqual({ tokens: [], totalCount: 0 });
    expect(stops.abortSignal.aborted).toBe(true);
  });
});
