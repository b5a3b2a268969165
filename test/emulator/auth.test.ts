import { advance, call, createToken, useEmulator } from './support';

const NOW = '2026-03-01T12:00:00.000Z';
const emulator = useEmulator({ now: NOW });

async function oauth(email?: string): Promise<string> {
  return (await emulator().signIn(email)).access_token!;
}

/** An OAuth access token and a live PAT of the same user. */
async function patAndOauth(expiryDate?: string): Promise<{ oauth: string; pat: string; tokenID: string }> {
  const token = await oauth();
  const created = await createToken(emulator(), token, 'pat', expiryDate);
  return { oauth: token, pat: created.token, tokenID: created.tokenID };
}

function expectProblem401(r: { status: number; headers: Headers; body: any }): void {
  expect(r.status).toBe(401);
  expect(r.headers.get('content-type')).toMatch(/^application\/(problem\+)?json/);
  expect(r.body).toEqual({ type: expect.any(String), title: 'Unauthorized', status: 401, detail: expect.any(String) });
}

describe('authentication on /api routes', () => {
  it.each<[string, Record<string, string>]>([
    ['no Authorization header', {}],
    ['an unknown bearer token', { authorization: 'Bearer eyJhbGciOiJIUzI1NiJ9.e30.c2ln' }],
    ['a non-Bearer scheme', { authorization: 'Basic YWJjOjEyMw==' }],
  ])('answers 401 ProblemDetails for %s', async (_label, headers) => {
    expectProblem401(await call(emulator(), 'GET', '/api/v1/users/me', { headers }));
  });

  it('answers 401 before routing, even on a made-up /api path', async () => {
    expectProblem401(await call(emulator(), 'GET', '/api/v1/no/such/thing'));
    expect((await call(emulator(), 'GET', '/api/v1/no/such/thing', { token: await oauth() })).status).toBe(404);
  });

  it('answers 401 for a revoked PAT', async () => {
    const { oauth: token, pat, tokenID } = await patAndOauth();
    expect((await call(emulator(), 'GET', '/api/v1/users/me', { token: pat })).status).toBe(200);
    await call(emulator(), 'DELETE', `/api/v1/tokens/${tokenID}/delete`, { token });
    expectProblem401(await call(emulator(), 'GET', '/api/v1/users/me', { token: pat }));
  });

  it('answers 401 for an expired PAT, from its expiry instant on', async () => {
    const { pat } = await patAndOauth('2026-03-02T12:00:00Z');
    await advance(emulator(), 86400 - 1);
    expect((await call(emulator(), 'GET', '/api/v1/users/me', { token: pat })).status).toBe(200);
    await advance(emulator(), 1);
    expectProblem401(await call(emulator(), 'GET', '/api/v1/users/me', { token: pat }));
  });

  it('answers 401 for a disabled PAT and accepts it again once enabled', async () => {
    const { oauth: token, pat, tokenID } = await patAndOauth();
    await call(emulator(), 'PUT', `/api/v1/tokens/${tokenID}/update`, { token, json: { enabled: false } });
    expectProblem401(await call(emulator(), 'GET', '/api/v1/users/me', { token: pat }));
    await call(emulator(), 'PUT', `/api/v1/tokens/${tokenID}/update`, { token, json: { enabled: true } });
    expect((await call(emulator(), 'GET', '/api/v1/users/me', { token: pat })).status).toBe(200);
  });
});

describe('PATs may not manage tokens or users', () => {
  it.each<[string, string, (id: string) => string, object | undefined]>([
    ['create', 'POST', () => '/api/v1/tokens/create', { name: 'by-pat' }],
    ['list', 'GET', () => '/api/v1/tokens/list', undefined],
    ['get', 'GET', (id) => `/api/v1/tokens/${id}`, undefined],
    ['update', 'PUT', (id) => `/api/v1/tokens/${id}/update`, { name: 'renamed' }],
    ['delete', 'DELETE', (id) => `/api/v1/tokens/${id}/delete`, undefined],
  ])('answers 403 "PAT authentication not allowed for this endpoint" on tokens %s', async (_label, method, path, json) => {
    const { oauth: token, pat, tokenID } = await patAndOauth();
    const r = await call(emulator(), method, path(tokenID), { token: pat, json });
    expect(r.status).toBe(403);
    expect(r.body.detail).toBe('PAT authentication not allowed for this endpoint');
    // Nothing changed: still one token, named "pat", not revoked.
    const list = await call(emulator(), 'GET', '/api/v1/tokens/list', { token });
    expect(list.body.tokens.map((t: any) => t.name)).toEqual(['pat']);
  });

  it('answers 403 to a PAT even on a tokens path that does not exist', async () => {
    const { pat } = await patAndOauth();
    expect((await call(emulator(), 'GET', '/api/v1/tokens/whatever/else', { token: pat })).status).toBe(403);
  });
});

describe('GET /api/v1/users/me', () => {
  it('answers the OAuth user as a full ServerUser with the sample instance', async () => {
    const r = await call(emulator(), 'GET', '/api/v1/users/me', { token: await oauth() });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      userID: expect.any(Number),
      emailAddress: 'developer@example.com',
      isSuspended: false,
      currentWebsite: '1234abcd-u',
      websiteAccess: [expect.objectContaining({ guid: '1234abcd-u', isOwner: true })],
    });
  });

  it("accepts an active PAT and sets that token's lastUsedDate to emulator now", async () => {
    const { oauth: token, pat, tokenID } = await patAndOauth();
    expect((await call(emulator(), 'GET', `/api/v1/tokens/${tokenID}`, { token })).body.lastUsedDate).toBeNull();
    await advance(emulator(), 90);
    const me = await call(emulator(), 'GET', '/api/v1/users/me', { token: pat });
    expect(me.status).toBe(200);
    expect(me.body.emailAddress).toBe('developer@example.com');
    const after = await call(emulator(), 'GET', `/api/v1/tokens/${tokenID}`, { token });
    expect(after.body.lastUsedDate).toBe('2026-03-01T12:01:30.000Z');
  });

  it('leaves lastUsedDate alone for OAuth calls', async () => {
    const { oauth: token, tokenID } = await patAndOauth();
    await call(emulator(), 'GET', '/api/v1/users/me', { token });
    expect((await call(emulator(), 'GET', `/api/v1/tokens/${tokenID}`, { token })).body.lastUsedDate).toBeNull();
  });
});

describe('routing', () => {
  it('serves GET /api/v1/types without authentication', async () => {
    const r = await call(emulator(), 'GET', '/api/v1/types');
    expect(r.status).toBe(200);
    expect(r.body.userTypes).toEqual(
      expect.arrayContaining([expect.objectContaining({ value: expect.any(Number), name: expect.any(String) })]),
    );
  });

  it('answers 404 JSON for an unknown route', async () => {
    const r = await call(emulator(), 'GET', '/nowhere');
    expect(r.status).toBe(404);
    expect(r.body).toMatchObject({ status: 404 });
    expect((await call(emulator(), 'POST', '/oauth/nothing')).status).toBe(404);
  });

  it.each<[string, string]>([
    ['GET', '/api/v1/tokens/create'],
    ['POST', '/api/v1/tokens/list'],
    ['POST', '/api/v1/users/me'],
    ['GET', '/oauth/token'],
    ['POST', '/api/v1/types'],
  ])('answers 405 with an Allow header for %s %s', async (method, path) => {
    const r = await call(emulator(), method, path, { token: await oauth() });
    expect(r.status).toBe(405);
    expect(r.headers.get('allow')).toMatch(/GET|POST/);
  });

  it('matches routes case-insensitively and ignores a trailing slash, like ASP.NET', async () => {
    expect((await call(emulator(), 'GET', '/API/v1/Tokens/List/', { token: await oauth() })).status).toBe(200);
  });
});
