// The emulator's side of Agility's CLI sign-in: /oauth/Authorize, /oauth/CliAuth and /oauth/CliPoll.
import { ACCESS_TOKEN_LIFETIME_SECONDS, DEFAULT_USER_EMAIL } from '../../lib/emulator';
import { advance, call, useEmulator, type Exchange } from './support';

const emulator = useEmulator();

function authorizePath(code: string, extra: Record<string, string> = {}, base = emulator().url): string {
  const q = new URLSearchParams({
    response_type: 'code',
    redirect_uri: `${base}/oauth/CliAuth`,
    state: `cli-code.${code}`,
    scope: 'offline_access',
    ...extra,
  });
  return `/oauth/Authorize?${q}`;
}

/** GET /oauth/Authorize without following the redirect. */
async function authorize(path: string): Promise<Response> {
  return fetch(`${emulator().url}${path}`, { redirect: 'manual' });
}

/** Authorize, then the redirect to CliAuth, as a browser would. */
async function signIn(code: string, extra: Record<string, string> = {}): Promise<Exchange> {
  const res = await authorize(authorizePath(code, extra));
  expect(res.status).toBe(302);
  const location = new URL(res.headers.get('location')!);
  return call(emulator(), 'GET', `${location.pathname}${location.search}`);
}

function poll(cliCode: string, path = '/oauth/CliPoll'): Promise<Exchange> {
  return call(emulator(), 'POST', path, { body: new URLSearchParams({ cliCode }) });
}

describe('GET /oauth/Authorize', () => {
  it('signs in at once and answers 302 to redirect_uri with a code and the state as sent', async () => {
    const res = await authorize(authorizePath('abc123', { redirect_uri: 'http://127.0.0.1:1/cb?keep=1' }));
    expect(res.status).toBe(302);
    const location = new URL(res.headers.get('location')!);
    expect(`${location.origin}${location.pathname}`).toBe('http://127.0.0.1:1/cb');
    expect(location.searchParams.get('keep')).toBe('1');
    expect(location.searchParams.get('state')).toBe('cli-code.abc123');
    const code = location.searchParams.get('code')!;
    expect(emulator().issuedSecrets()).toContain(code);
    // The code works at /oauth/token too, once, as the default user.
    const token = await call(emulator(), 'POST', '/oauth/token', { body: new URLSearchParams({ code }) });
    const me = await call(emulator(), 'GET', '/api/v1/users/me', { token: token.body.access_token });
    expect(me.body.emailAddress).toBe(DEFAULT_USER_EMAIL);
  });

  it.each([
    ['response_type is not code', { response_type: 'token' }, /response_type/],
    ['redirect_uri is missing', { redirect_uri: '' }, /redirect_uri/],
    ['redirect_uri is not http(s)', { redirect_uri: 'javascript:alert(1)' }, /redirect_uri/],
  ])('answers 400 when %s', async (_label, extra, detail) => {
    const res = await authorize(authorizePath('abc123', extra));
    expect(res.status).toBe(400);
    expect(((await res.json()) as { detail: string }).detail).toMatch(detail);
  });
});

describe('the CLI sign-in: Authorize, CliAuth, CliPoll', () => {
  it('hands the session out once, as login_hint, with a refresh token when offline_access was asked for', async () => {
    const auth = await signIn('q1w2e3', { login_hint: 'Hinted@Example.com' });
    expect(auth.status).toBe(200);
    const first = await poll('q1w2e3');
    expect(first.status).toBe(200);
    expect(first.body).toEqual({
      access_token: expect.any(String),
      expires_in: ACCESS_TOKEN_LIFETIME_SECONDS,
      refresh_token: expect.any(String),
      token_type: 'Bearer',
    });
    const me = await call(emulator(), 'GET', '/api/v1/users/me', { token: first.body.access_token });
    expect(me.body.emailAddress).toBe('hinted@example.com');
    const again = await poll('q1w2e3');
    expect(again.status).toBe(410);
    expect(again.body.detail).toMatch(/already been collected/);
    expect(again.text).not.toContain(first.body.access_token);
  });

  it('signs in the default user without login_hint, and gives no refresh token without offline_access', async () => {
    await signIn('n0scop', { scope: '' });
    const r = await poll('n0scop');
    expect(r.status).toBe(200);
    expect(r.body.refresh_token).toBeNull();
    const me = await call(emulator(), 'GET', '/api/v1/users/me', { token: r.body.access_token });
    expect(me.body.emailAddress).toBe(DEFAULT_USER_EMAIL);
  });

  it('answers a clear 4xx before the sign-in, for an unknown code, and without cliCode', async () => {
    expect((await authorize(authorizePath('pend01'))).status).toBe(302); // the browser never reaches CliAuth
    const pending = await poll('pend01');
    expect(pending.status).toBe(400);
    expect(pending.body.detail).toMatch(/not complete yet/);
    const unknown = await poll('zzzzzz');
    expect(unknown.status).toBe(404);
    expect(unknown.body.detail).toMatch(/Unknown or expired CLI code/);
    const missing = await call(emulator(), 'POST', '/oauth/CliPoll', { body: new URLSearchParams({}) });
    expect(missing.status).toBe(400);
    expect(missing.body.detail).toMatch(/cliCode/);
  });

  it('refuses CliAuth with an unknown or used code, or a state that is not cli-code.X', async () => {
    const res = await authorize(authorizePath('used01'));
    const location = new URL(res.headers.get('location')!);
    const code = location.searchParams.get('code')!;
    expect((await call(emulator(), 'GET', `/oauth/CliAuth?code=${code}&state=cli-code.used01`)).status).toBe(200);
    const reused = await call(emulator(), 'GET', `/oauth/CliAuth?code=${code}&state=cli-code.used01`);
    expect(reused.status).toBe(400);
    expect(reused.body.detail).toMatch(/unknown, already used or expired/);
    expect((await call(emulator(), 'GET', '/oauth/CliAuth?code=made-up&state=cli-code.abc')).status).toBe(400);
    const badState = await call(emulator(), 'GET', `/oauth/CliAuth?code=x&state=other`);
    expect(badState.status).toBe(400);
    expect(badState.body.detail).toMatch(/cli-code/);
  });

  it('a pending sign-in expires after 10 minutes of emulator time', async () => {
    await signIn('late01');
    await advance(emulator(), 601);
    expect((await poll('late01')).status).toBe(404);
  });

  it('matches the route names case-insensitively, as on Agility servers', async () => {
    const res = await fetch(`${emulator().url}${authorizePath('case01').replace('/oauth/Authorize', '/OAUTH/AUTHORIZE')}`, {
      redirect: 'manual',
    });
    expect(res.status).toBe(302);
    const location = new URL(res.headers.get('location')!);
    expect((await call(emulator(), 'GET', `/oauth/cliauth${location.search}`)).status).toBe(200);
    expect((await poll('case01', '/OAuth/clipoll')).status).toBe(200);
  });

  it("the access token's expiry follows the emulator clock", async () => {
    await signIn('clock1');
    const { access_token } = (await poll('clock1')).body;
    expect((await call(emulator(), 'GET', '/api/v1/users/me', { token: access_token })).status).toBe(200);
    await advance(emulator(), ACCESS_TOKEN_LIFETIME_SECONDS);
    expect((await call(emulator(), 'GET', '/api/v1/users/me', { token: access_token })).status).toBe(401);
  });

  it('logs each step with the signed-in user, and never a secret', async () => {
    await signIn('log001', { login_hint: 'logged@example.com' });
    const { access_token, refresh_token } = (await poll('log001')).body;
    const log = (await call(emulator(), 'GET', '/__emulator/requests')).body as {
      method: string;
      path: string;
      status: number;
      user?: string;
    }[];
    expect(log.map((e) => [e.method, e.path, e.status, e.user])).toEqual([
      ['GET', '/oauth/Authorize', 302, 'logged@example.com'],
      ['GET', '/oauth/CliAuth', 200, 'logged@example.com'],
      ['POST', '/oauth/CliPoll', 200, 'logged@example.com'],
    ]);
    const text = JSON.stringify(log);
    expect(text).not.toContain(access_token);
    expect(text).not.toContain(refresh_token);
  });
});
