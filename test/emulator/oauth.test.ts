import { decodeJwtClaims } from '../../lib/emulator/jwt';
import { advance, call, useEmulator } from './support';

const emulator = useEmulator();

describe('POST /oauth/token', () => {
  it('signs in the default user with any non-empty code, as a url-encoded form', async () => {
    const r = await call(emulator(), 'POST', '/oauth/token', { body: new URLSearchParams({ code: 'anything' }) });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ access_token: expect.any(String), expires_in: 3600, refresh_token: expect.any(String), token_type: 'Bearer' });
    const me = await call(emulator(), 'GET', '/api/v1/users/me', { token: r.body.access_token });
    expect(me.status).toBe(200);
    expect(me.body.emailAddress).toBe('developer@example.com');
  });

  it('signs in user:<email> as that user, creating users with increasing userIDs', async () => {
    const a = await call(emulator(), 'POST', '/oauth/token', { body: new URLSearchParams({ code: 'user:alice@example.com' }) });
    const b = await call(emulator(), 'POST', '/oauth/token', { body: new URLSearchParams({ code: 'user:bob@example.com' }) });
    const again = await call(emulator(), 'POST', '/oauth/token', { body: new URLSearchParams({ code: 'user:alice@example.com' }) });
    const meA = (await call(emulator(), 'GET', '/api/v1/users/me', { token: a.body.access_token })).body;
    const meB = (await call(emulator(), 'GET', '/api/v1/users/me', { token: b.body.access_token })).body;
    const meA2 = (await call(emulator(), 'GET', '/api/v1/users/me', { token: again.body.access_token })).body;
    expect(meA.emailAddress).toBe('alice@example.com');
    expect(meB.emailAddress).toBe('bob@example.com');
    expect(meB.userID).toBeGreaterThan(meA.userID);
    expect(meA2.userID).toBe(meA.userID);
  });

  it('accepts the code as multipart/form-data (as the spec documents) and as JSON', async () => {
    const form = new FormData();
    form.append('code', 'user:multi@example.com');
    const multipart = await call(emulator(), 'POST', '/oauth/token', { body: form });
    expect(multipart.status).toBe(200);
    const viaJson = await call(emulator(), 'POST', '/oauth/token', { json: { code: 'user:json@example.com' } });
    expect(viaJson.status).toBe(200);
    const me = await call(emulator(), 'GET', '/api/v1/users/me', { token: multipart.body.access_token });
    expect(me.body.emailAddress).toBe('multi@example.com');
  });

  it.each([
    ['an empty code', new URLSearchParams({ code: '' })],
    ['no code field', new URLSearchParams({ grant_type: 'authorization_code' })],
    ['no body at all', undefined],
  ])('refuses %s with 400', async (_label, body) => {
    const r = await call(emulator(), 'POST', '/oauth/token', { body });
    expect(r.status).toBe(400);
    expect(r.body.status).toBe(400);
  });

  it('issues JWT-shaped access tokens with sub, jti, iat, exp and an oauth kind claim', async () => {
    const r = await call(emulator(), 'POST', '/oauth/token', { body: new URLSearchParams({ code: 'x' }) });
    const [header] = r.body.access_token.split('.');
    expect(JSON.parse(Buffer.from(header, 'base64url').toString())).toEqual({ alg: 'HS256', typ: 'JWT' });
    const claims = decodeJwtClaims(r.body.access_token)!;
    expect(claims).toMatchObject({ sub: expect.any(String), jti: expect.any(String), kind: 'oauth' });
    expect(claims.exp! - claims.iat!).toBe(3600);
  });
});

describe('POST /oauth/refresh', () => {
  it('rotates: returns a new access and refresh token, and the old refresh token stops working', async () => {
    const first = await emulator().signIn();
    const r = await call(emulator(), 'POST', '/oauth/refresh', { body: new URLSearchParams({ refresh_token: first.refresh_token! }) });
    expect(r.status).toBe(200);
    expect(r.body.refresh_token).not.toBe(first.refresh_token);
    expect(r.body.access_token).not.toBe(first.access_token);
    expect((await call(emulator(), 'GET', '/api/v1/users/me', { token: r.body.access_token })).status).toBe(200);

    const reused = await call(emulator(), 'POST', '/oauth/refresh', { body: new URLSearchParams({ refresh_token: first.refresh_token! }) });
    expect(reused.status).toBe(401);
    expect(reused.body).toMatchObject({ status: 401, title: 'Unauthorized', detail: expect.any(String), type: expect.any(String) });
  });

  it('takes the refresh token from the query string or a JSON body too', async () => {
    const s = await emulator().signIn();
    const viaQuery = await call(emulator(), 'POST', `/oauth/refresh?refresh_token=${encodeURIComponent(s.refresh_token!)}`);
    expect(viaQuery.status).toBe(200);
    const viaJson = await call(emulator(), 'POST', '/oauth/refresh', { json: { refresh_token: viaQuery.body.refresh_token } });
    expect(viaJson.status).toBe(200);
  });

  it('answers 401 for an unknown refresh token', async () => {
    const r = await call(emulator(), 'POST', '/oauth/refresh', { json: { refresh_token: 'not-a-real-refresh-token' } });
    expect(r.status).toBe(401);
  });

  it('answers 401 for a refresh token older than 30 days of emulator time', async () => {
    const s = await emulator().signIn();
    await advance(emulator(), 30 * 24 * 3600);
    const r = await call(emulator(), 'POST', '/oauth/refresh', { json: { refresh_token: s.refresh_token } });
    expect(r.status).toBe(401);
  });
});

describe('access token lifetime', () => {
  it('expires an access token 3600 s of emulator time after issue', async () => {
    const s = await emulator().signIn();
    await advance(emulator(), 3599);
    expect((await call(emulator(), 'GET', '/api/v1/users/me', { token: s.access_token })).status).toBe(200);
    await advance(emulator(), 2);
    const r = await call(emulator(), 'GET', '/api/v1/users/me', { token: s.access_token });
    expect(r.status).toBe(401);
    expect(r.headers.get('content-type')).toMatch(/^application\/(problem\+)?json/);
    expect(r.body).toMatchObject({ status: 401, title: 'Unauthorized', detail: expect.stringMatching(/expired/) });
  });

  it('signIn() gives the default user unless an email is given', async () => {
    const d = await emulator().signIn();
    const e = await emulator().signIn('carol@example.com');
    expect((await call(emulator(), 'GET', '/api/v1/users/me', { token: d.access_token })).body.emailAddress).toBe('developer@example.com');
    expect((await call(emulator(), 'GET', '/api/v1/users/me', { token: e.access_token })).body.emailAddress).toBe('carol@example.com');
  });
});
