import { findPathTemplate, loadOpenApi, validateRequestBody, validateResponse } from '../helpers/openapi';
import { call, createToken, useEmulator, type Exchange } from './support';

/**
 * Every emulator response on the documented routes, checked against the schema the OpenAPI fixture gives
 * for that path + method + status.
 */

const emulator = useEmulator({ now: '2026-03-01T12:00:00.000Z' });

interface Observed {
  method: string;
  template: string;
  status: number;
}

const observed: Observed[] = [];

/** Validates one exchange and remembers which documented response it exercised. */
function expectConforms(method: string, path: string, r: Exchange, expectedStatus: number): void {
  expect(r.status).toBe(expectedStatus);
  const template = findPathTemplate(path)!;
  expect(template).toBeDefined();
  expect(validateResponse(method, template, r.status, r.status === 204 ? r.text : r.body)).toEqual([]);
  observed.push({ method: method.toLowerCase(), template, status: r.status });
}

async function oauth(email?: string): Promise<string> {
  return (await emulator().signIn(email)).access_token!;
}

describe('emulator responses match the OpenAPI fixture', () => {
  it('POST /oauth/token and POST /oauth/refresh 200', async () => {
    const form = new FormData();
    form.append('code', 'contract');
    const signIn = await call(emulator(), 'POST', '/oauth/token', { body: form });
    expectConforms('POST', '/oauth/token', signIn, 200);
    const refreshed = await call(emulator(), 'POST', `/oauth/refresh?refresh_token=${encodeURIComponent(signIn.body.refresh_token)}`);
    expectConforms('POST', '/oauth/refresh', refreshed, 200);
  });

  it('GET /api/v1/users/me 200, with OAuth and with a PAT', async () => {
    const token = await oauth();
    expectConforms('GET', '/api/v1/users/me', await call(emulator(), 'GET', '/api/v1/users/me', { token }), 200);
    const pat = (await createToken(emulator(), token, 'me')).token;
    expectConforms('GET', '/api/v1/users/me', await call(emulator(), 'GET', '/api/v1/users/me', { token: pat }), 200);
  });

  it('GET /api/v1/types 200', async () => {
    expectConforms('GET', '/api/v1/types', await call(emulator(), 'GET', '/api/v1/types'), 200);
  });

  it('POST /api/v1/tokens/create 201, 400, 401, 403 and 429', async () => {
    const path = '/api/v1/tokens/create';
    const token = await oauth();
    const created = await call(emulator(), 'POST', path, { token, json: { name: 'contract' } });
    expectConforms('POST', path, created, 201);
    expectConforms('POST', path, await call(emulator(), 'POST', path, { token, json: { name: '' } }), 400);
    expectConforms('POST', path, await call(emulator(), 'POST', path, { json: { name: 'x' } }), 401);
    expectConforms('POST', path, await call(emulator(), 'POST', path, { token: created.body.token, json: { name: 'x' } }), 403);
    for (let i = 0; i < 4; i++) await createToken(emulator(), token, `fill${i}`);
    expectConforms('POST', path, await call(emulator(), 'POST', path, { token, json: { name: 'sixth' } }), 429);
  });

  it('GET /api/v1/tokens/list 200, 401 and 403', async () => {
    const path = '/api/v1/tokens/list';
    const token = await oauth();
    const created = await createToken(emulator(), token, 'listed');
    expectConforms('GET', path, await call(emulator(), 'GET', path, { token }), 200);
    expectConforms('GET', path, await call(emulator(), 'GET', path), 401);
    expectConforms('GET', path, await call(emulator(), 'GET', path, { token: created.token }), 403);
  });

  it('GET /api/v1/tokens/{tokenId} 200, 401, 403 and 404', async () => {
    const token = await oauth();
    const created = await createToken(emulator(), token, 'one');
    const path = `/api/v1/tokens/${created.tokenID}`;
    expectConforms('GET', path, await call(emulator(), 'GET', path, { token }), 200);
    expectConforms('GET', path, await call(emulator(), 'GET', path, { token: 'nope' }), 401);
    expectConforms('GET', path, await call(emulator(), 'GET', path, { token: created.token }), 403);
    expectConforms('GET', path, await call(emulator(), 'GET', '/api/v1/tokens/3fa85f64-5717-4562-b3fc-2c963f66afa6', { token }), 404);
  });

  it('PUT /api/v1/tokens/{tokenId}/update 200, 400, 401, 403 and 404', async () => {
    const token = await oauth();
    const created = await createToken(emulator(), token, 'up');
    const path = `/api/v1/tokens/${created.tokenID}/update`;
    expectConforms('PUT', path, await call(emulator(), 'PUT', path, { token, json: { name: 'renamed', enabled: false } }), 200);
    expectConforms('PUT', path, await call(emulator(), 'PUT', path, { token, json: { name: 'n'.repeat(101) } }), 400);
    expectConforms('PUT', path, await call(emulator(), 'PUT', path, { json: { name: 'x' } }), 401);
    const live = await createToken(emulator(), token, 'live');
    expectConforms('PUT', path, await call(emulator(), 'PUT', path, { token: live.token, json: { name: 'x' } }), 403);
    const missing = '/api/v1/tokens/3fa85f64-5717-4562-b3fc-2c963f66afa6/update';
    expectConforms('PUT', path, await call(emulator(), 'PUT', missing, { token, json: { name: 'x' } }), 404);
  });

  it('DELETE /api/v1/tokens/{tokenId}/delete 204, 401, 403 and 404', async () => {
    const token = await oauth();
    const created = await createToken(emulator(), token, 'del');
    const path = `/api/v1/tokens/${created.tokenID}/delete`;
    expectConforms('DELETE', path, await call(emulator(), 'DELETE', path, { token }), 204);
    expectConforms('DELETE', path, await call(emulator(), 'DELETE', path), 401);
    const live = await createToken(emulator(), token, 'live');
    expectConforms('DELETE', path, await call(emulator(), 'DELETE', path, { token: live.token }), 403);
    expectConforms('DELETE', path, await call(emulator(), 'DELETE', path, { token }), 404);
  });

  it('exercised every response the fixture documents for the token routes', () => {
    const doc = loadOpenApi();
    const documented: string[] = [];
    for (const [template, ops] of Object.entries(doc.paths)) {
      if (!template.startsWith('/api/v1/tokens')) continue;
      for (const [method, op] of Object.entries(ops))
        for (const status of Object.keys(op.responses)) documented.push(`${method} ${template} ${status}`);
    }
    const seen = new Set(observed.map((o) => `${o.method} ${o.template} ${o.status}`));
    expect(documented.length).toBeGreaterThanOrEqual(20);
    expect(documented.filter((d) => !seen.has(d))).toEqual([]);
  });
});

describe('the OpenAPI helper', () => {
  const valid = {
    tokenID: '3fa85f64-5717-4562-b3fc-2c963f66afa6',
    name: 'x',
    createdDate: '2026-03-01T12:00:00.000Z',
    expiryDate: '2028-03-01T12:00:00.000Z',
    lastUsedDate: null,
    enabled: true,
    isExpired: false,
    daysUntilExpiration: 731,
  };

  it('accepts a valid body, with nullable fields set to null', () => {
    expect(validateResponse('GET', '/api/v1/tokens/{tokenId}', 200, valid)).toEqual([]);
    expect(validateResponse('get', '/api/v1/tokens/3fa85f64-5717-4562-b3fc-2c963f66afa6', 200, { ...valid, name: null })).toEqual([]);
  });

  it.each<[string, object]>([
    ['a secret in a token view (additional property)', { ...valid, token: 'eyJ...' }],
    ['null in a non-nullable field', { ...valid, tokenID: null }],
    ['a tokenID that is not a uuid', { ...valid, tokenID: 'abc' }],
    ['a date without a time zone', { ...valid, createdDate: '2026-03-01T12:00:00' }],
    ['a fractional int32', { ...valid, daysUntilExpiration: 1.5 }],
  ])('reports %s', (_label, body) => {
    expect(validateResponse('GET', '/api/v1/tokens/{tokenId}', 200, body)).not.toEqual([]);
  });

  it('resolves $refs inside arrays, e.g. the token list', () => {
    expect(validateResponse('GET', '/api/v1/tokens/list', 200, { tokens: [valid], totalCount: 1 })).toEqual([]);
    expect(validateResponse('GET', '/api/v1/tokens/list', 200, { tokens: [{ ...valid, enabled: 'yes' }], totalCount: 1 })).not.toEqual([]);
  });

  it('checks the OAuth and user schemas too', () => {
    expect(
      validateResponse('POST', '/oauth/token', 200, { access_token: 'a', expires_in: '3600', refresh_token: null, token_type: 'Bearer' }),
    ).not.toEqual([]);
    expect(validateResponse('GET', '/api/v1/users/me', 200, { userID: 1, websiteAccess: [{ guid: 'g', isOwner: 'yes' }] })).not.toEqual([]);
    expect(validateResponse('GET', '/api/v1/users/me', 200, { userID: 1, websiteAccess: [{ guid: 'g', isOwner: true }] })).toEqual([]);
  });

  it('reports a status the document does not list, an unknown path, and a body on a 204', () => {
    expect(validateResponse('GET', '/api/v1/tokens/list', 404, {})).toEqual([expect.stringContaining('no response for status 404')]);
    expect(validateResponse('GET', '/api/v2/nothing', 200, {})).toEqual([expect.stringContaining('no path')]);
    expect(validateResponse('DELETE', '/api/v1/tokens/{tokenId}/delete', 204, { x: 1 })).not.toEqual([]);
    expect(validateResponse('DELETE', '/api/v1/tokens/{tokenId}/delete', 204, '')).toEqual([]);
  });

  it('checks request bodies against the request schema', () => {
    expect(validateRequestBody('POST', '/api/v1/tokens/create', { name: 'ok', expiryDate: null })).toEqual([]);
    expect(validateRequestBody('POST', '/api/v1/tokens/create', { name: 'ok', expiryDate: '2027-01-01T00:00:00Z' })).toEqual([]);
    expect(validateRequestBody('POST', '/api/v1/tokens/create', { expiryDate: '2027-01-01T00:00:00Z' })).not.toEqual([]);
    expect(validateRequestBody('POST', '/api/v1/tokens/create', { name: 'x'.repeat(101) })).not.toEqual([]);
    expect(validateRequestBody('POST', '/api/v1/tokens/create', { name: 'ok', extra: 1 })).not.toEqual([]);
    expect(validateRequestBody('PUT', '/api/v1/tokens/{tokenId}/update', { name: null, enabled: false })).toEqual([]);
    expect(validateRequestBody('PUT', '/api/v1/tokens/{tokenId}/update', { enabled: 'no' })).not.toEqual([]);
    expect(validateRequestBody('GET', '/api/v1/tokens/list', undefined)).toEqual([]);
    expect(validateRequestBody('GET', '/api/v1/tokens/list', { a: 1 })).not.toEqual([]);
  });
});
