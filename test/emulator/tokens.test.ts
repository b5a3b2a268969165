import { decodeJwtClaims } from '../../lib/emulator/jwt';
import { advance, call, createToken, useEmulator } from './support';

// The emulator starts frozen at this instant (see useEmulator) and every test resets it.
const NOW = '2026-03-01T12:00:00.000Z';
const emulator = useEmulator({ now: NOW });

async function oauth(email?: string): Promise<string> {
  return (await emulator().signIn(email)).access_token!;
}

describe('POST /api/v1/tokens/create', () => {
  it('answers 201 with the full creation response, the secret and a default expiry of exactly two years', async () => {
    const r = await call(emulator(), 'POST', '/api/v1/tokens/create', { token: await oauth(), json: { name: 'ci-deploy' } });
    expect(r.status).toBe(201);
    expect(r.body).toEqual({
      tokenID: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/),
      name: 'ci-deploy',
      createdDate: NOW,
      expiryDate: '2028-03-01T12:00:00.000Z',
      lastUsedDate: null,
      enabled: true,
      isExpired: false,
      daysUntilExpiration: 731,
      notice: expect.any(String),
      token: expect.any(String),
    });
  });

  it('takes two calendar years across a leap day for the default expiry', async () => {
    await call(emulator(), 'POST', '/__emulator/clock', { json: { now: '2028-02-29T00:00:00Z' } });
    const created = await createToken(emulator(), await oauth(), 'leap');
    expect(created.expiryDate).toBe('2030-03-01T00:00:00.000Z');
  });

  it('treats an explicit null expiryDate like an omitted one', async () => {
    const r = await call(emulator(), 'POST', '/api/v1/tokens/create', { token: await oauth(), json: { name: 'n', expiryDate: null } });
    expect(r.status).toBe(201);
    expect(r.body.expiryDate).toBe('2028-03-01T12:00:00.000Z');
  });

  it('keeps a valid explicit expiryDate, including exactly two years', async () => {
    const token = await oauth();
    expect((await createToken(emulator(), token, 'a', '2026-06-01T00:00:00Z')).expiryDate).toBe('2026-06-01T00:00:00.000Z');
    expect((await createToken(emulator(), token, 'b', '2028-03-01T12:00:00Z')).expiryDate).toBe('2028-03-01T12:00:00.000Z');
  });

  it('makes the secret a JWT naming the user (sub), the token (jti), its expiry, and kind pat', async () => {
    const created = await createToken(emulator(), await oauth(), 'jwt');
    const me = (await call(emulator(), 'GET', '/api/v1/users/me', { token: created.token })).body;
    const claims = decodeJwtClaims(created.token)!;
    expect(claims).toMatchObject({ sub: String(me.userID), jti: created.tokenID, kind: 'pat', exp: Date.parse(created.expiryDate) / 1000 });
  });

  it('matches body keys case-insensitively, like ASP.NET (the README sends "Name")', async () => {
    const r = await call(emulator(), 'POST', '/api/v1/tokens/create', {
      token: await oauth(),
      json: { Name: 'pascal', ExpiryDate: '2027-01-01T00:00:00Z' },
    });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ name: 'pascal', expiryDate: '2027-01-01T00:00:00.000Z' });
  });

  it.each(['text/json', 'application/vnd.agility+json', 'application/json; charset=utf-8'])('accepts a %s body', async (contentType) => {
    const r = await call(emulator(), 'POST', '/api/v1/tokens/create', {
      token: await oauth(),
      body: JSON.stringify({ name: 'media' }),
      headers: { 'content-type': contentType },
    });
    expect(r.status).toBe(201);
  });

  it('refuses a body that is not JSON by media type with 415', async () => {
    const r = await call(emulator(), 'POST', '/api/v1/tokens/create', {
      token: await oauth(),
      body: 'name=x',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(r.status).toBe(415);
  });

  it.each<[string, string | object]>([
    ['malformed JSON', '{"name": '],
    ['a JSON array', [{ name: 'x' }]],
    ['a missing name', { expiryDate: '2027-01-01T00:00:00Z' }],
    ['an empty name', { name: '' }],
    ['a name that is not a string', { name: 42 }],
    ['a name of 101 characters', { name: 'x'.repeat(101) }],
    ['an unparseable expiryDate', { name: 'x', expiryDate: 'next tuesday' }],
    ['an expiryDate that is not a string', { name: 'x', expiryDate: 12345 }],
    ['an expiryDate in the past', { name: 'x', expiryDate: '2026-01-01T00:00:00Z' }],
    ['an expiryDate equal to now', { name: 'x', expiryDate: NOW }],
    ['an expiryDate one second over two years', { name: 'x', expiryDate: '2028-03-01T12:00:01Z' }],
  ])('answers 400 with a ProblemDetails-like body for %s', async (_label, body) => {
    const token = await oauth();
    const r = await call(
      emulator(),
      'POST',
      '/api/v1/tokens/create',
      typeof body === 'string' ? { token, body, headers: { 'content-type': 'application/json' } } : { token, json: body },
    );
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ status: 400, title: expect.any(String), detail: expect.any(String) });
    const list = await call(emulator(), 'GET', '/api/v1/tokens/list', { token });
    expect(list.body.tokens).toEqual([]);
  });

  it('accepts a name of exactly 100 characters', async () => {
    const r = await call(emulator(), 'POST', '/api/v1/tokens/create', { token: await oauth(), json: { name: 'y'.repeat(100) } });
    expect(r.status).toBe(201);
  });

  it('answers 400 for an empty body', async () => {
    const r = await call(emulator(), 'POST', '/api/v1/tokens/create', {
      token: await oauth(),
      body: '',
      headers: { 'content-type': 'application/json' },
    });
    expect(r.status).toBe(400);
  });
});

describe('creation limits', () => {
  it('answers 429 with Retry-After on the 6th creation within an hour, and allows it once the hour has passed', async () => {
    const token = await oauth();
    for (let i = 1; i <= 5; i++) {
      await createToken(emulator(), token, `t${i}`);
      await advance(emulator(), 60);
    }
    // Now 5 minutes after the first creation: it leaves the window in 55 minutes.
    const sixth = await call(emulator(), 'POST', '/api/v1/tokens/create', { token, json: { name: 't6' } });
    expect(sixth.status).toBe(429);
    expect(sixth.body.detail).toBe('Rate limit exceeded: at most 5 tokens may be created per hour');
    expect(sixth.headers.get('retry-after')).toBe(String(55 * 60));

    await advance(emulator(), 55 * 60 - 1);
    const later = await oauth(); // the first access token has expired by now
    expect((await call(emulator(), 'POST', '/api/v1/tokens/create', { token: later, json: { name: 't6' } })).status).toBe(429);
    await advance(emulator(), 1);
    expect((await call(emulator(), 'POST', '/api/v1/tokens/create', { token: later, json: { name: 't6' } })).status).toBe(201);
  });

  it('allows the 6th creation after advancing the clock an hour when all five came at once', async () => {
    const token = await oauth();
    for (let i = 1; i <= 5; i++) await createToken(emulator(), token, `t${i}`);
    const refused = await call(emulator(), 'POST', '/api/v1/tokens/create', { token, json: { name: 't6' } });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('3600');
    await advance(emulator(), 3600);
    expect((await call(emulator(), 'POST', '/api/v1/tokens/create', { token: await oauth(), json: { name: 't6' } })).status).toBe(201);
  });

  it('counts creations per user', async () => {
    const alice = await oauth('alice@example.com');
    for (let i = 1; i <= 5; i++) await createToken(emulator(), alice, `a${i}`);
    await expect(createToken(emulator(), await oauth('bob@example.com'), 'b1')).resolves.toMatchObject({ name: 'b1' });
  });

  it('answers 429 at the 11th active token, counting disabled ones, and not revoked or expired ones', async () => {
    const made: any[] = [];
    for (let i = 1; i <= 10; i++) {
      made.push(await createToken(emulator(), await oauth(), `t${i}`, i === 1 ? '2026-03-20T00:00:00Z' : undefined));
      if (i % 5 === 0) await advance(emulator(), 3600);
    }
    let token = await oauth();
    await call(emulator(), 'PUT', `/api/v1/tokens/${made[1].tokenID}/update`, { token, json: { enabled: false } });
    const eleventh = await call(emulator(), 'POST', '/api/v1/tokens/create', { token, json: { name: 't11' } });
    expect(eleventh.status).toBe(429);
    expect(eleventh.body.detail).toBe('Token limit reached: a user may have at most 10 active tokens');
    expect(eleventh.headers.get('retry-after')).toBeNull();

    // Revoking one frees a slot.
    expect((await call(emulator(), 'DELETE', `/api/v1/tokens/${made[2].tokenID}/delete`, { token })).status).toBe(204);
    await createToken(emulator(), token, 't11');
    expect((await call(emulator(), 'POST', '/api/v1/tokens/create', { token, json: { name: 't12' } })).status).toBe(429);

    // The first token expires on 2026-03-20: that frees a slot too.
    await call(emulator(), 'POST', '/__emulator/clock', { json: { now: '2026-03-21T00:00:00Z' } });
    token = await oauth();
    await createToken(emulator(), token, 't12');
    const list = await call(emulator(), 'GET', '/api/v1/tokens/list', { token });
    expect(list.body.totalCount).toBe(10);
  });
});

describe('GET /api/v1/tokens/list', () => {
  it("lists the caller's non-revoked tokens oldest first, expired ones flagged, totalCount counting active ones", async () => {
    const token = await oauth();
    const short = await createToken(emulator(), token, 'short', '2026-03-02T12:00:00Z');
    await advance(emulator(), 10);
    const revoked = await createToken(emulator(), token, 'revoked');
    await advance(emulator(), 10);
    const long = await createToken(emulator(), token, 'long');
    await createToken(emulator(), await oauth('other@example.com'), 'not mine');
    await call(emulator(), 'DELETE', `/api/v1/tokens/${revoked.tokenID}/delete`, { token });
    await advance(emulator(), 2 * 86400);

    const r = await call(emulator(), 'GET', '/api/v1/tokens/list', { token: await oauth() });
    expect(r.status).toBe(200);
    expect(r.body.tokens.map((t: any) => t.tokenID)).toEqual([short.tokenID, long.tokenID]);
    // short expired 1 day and 20 s ago: floor gives -2; long has 731 - 2 days left.
    expect(r.body.tokens[0]).toMatchObject({ isExpired: true, daysUntilExpiration: -2 });
    expect(r.body.tokens[1]).toMatchObject({ isExpired: false, daysUntilExpiration: 729 });
    expect(r.body.totalCount).toBe(1);
  });

  it('never includes a token field or any secret', async () => {
    const token = await oauth();
    await createToken(emulator(), token, 'a');
    await createToken(emulator(), token, 'b');
    const r = await call(emulator(), 'GET', '/api/v1/tokens/list', { token });
    expect(r.body.tokens).toHaveLength(2);
    for (const t of r.body.tokens) expect(t).not.toHaveProperty('token');
    for (const secret of emulator().issuedSecrets()) expect(r.text).not.toContain(secret);
  });
});

describe('GET /api/v1/tokens/{tokenId}', () => {
  it('returns one token without its secret', async () => {
    const token = await oauth();
    const created = await createToken(emulator(), token, 'one');
    const r = await call(emulator(), 'GET', `/api/v1/tokens/${created.tokenID}`, { token });
    expect(r.status).toBe(200);
    const { token: _secret, notice: _notice, ...view } = created;
    expect(r.body).toEqual(view);
  });

  it("answers 404 for an unknown token, another user's token and a revoked one", async () => {
    const token = await oauth();
    const theirs = await createToken(emulator(), await oauth('other@example.com'), 'theirs');
    const revoked = await createToken(emulator(), token, 'gone');
    await call(emulator(), 'DELETE', `/api/v1/tokens/${revoked.tokenID}/delete`, { token });
    for (const id of ['3fa85f64-5717-4562-b3fc-2c963f66afa6', theirs.tokenID, revoked.tokenID]) {
      const r = await call(emulator(), 'GET', `/api/v1/tokens/${id}`, { token });
      expect(r.status).toBe(404);
      expect(r.body.detail).toBe('Token not found');
    }
  });

  it('answers 400 for a tokenId that is not a uuid', async () => {
    const r = await call(emulator(), 'GET', '/api/v1/tokens/not-a-uuid', { token: await oauth() });
    expect(r.status).toBe(400);
  });

  it('counts daysUntilExpiration in whole days, rounding down', async () => {
    const token = await oauth();
    const created = await createToken(emulator(), token, 'days', '2026-03-04T11:59:59Z');
    expect(created.daysUntilExpiration).toBe(2);
    const days = async () => {
      const r = await call(emulator(), 'GET', `/api/v1/tokens/${created.tokenID}`, { token: await oauth() });
      return [r.body.daysUntilExpiration, r.body.isExpired];
    };
    await advance(emulator(), 2 * 86400 - 1); // exactly one day left
    expect(await days()).toEqual([1, false]);
    await advance(emulator(), 86400 - 1); // one second left
    expect(await days()).toEqual([0, false]);
    await advance(emulator(), 1); // the expiry instant itself
    expect(await days()).toEqual([0, true]);
    await advance(emulator(), 1);
    expect(await days()).toEqual([-1, true]);
  });
});

describe('PUT /api/v1/tokens/{tokenId}/update', () => {
  it('renames, disables and re-enables a token', async () => {
    const token = await oauth();
    const created = await createToken(emulator(), token, 'before');
    const renamed = await call(emulator(), 'PUT', `/api/v1/tokens/${created.tokenID}/update`, { token, json: { name: 'after' } });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ tokenID: created.tokenID, name: 'after', enabled: true });
    const disabled = await call(emulator(), 'PUT', `/api/v1/tokens/${created.tokenID}/update`, { token, json: { Enabled: false } });
    expect(disabled.body).toMatchObject({ name: 'after', enabled: false });
    expect((await call(emulator(), 'GET', '/api/v1/users/me', { token: created.token })).status).toBe(401);
    const enabled = await call(emulator(), 'PUT', `/api/v1/tokens/${created.tokenID}/update`, {
      token,
      json: { enabled: true, name: null },
    });
    expect(enabled.body).toMatchObject({ name: 'after', enabled: true });
    expect((await call(emulator(), 'GET', '/api/v1/users/me', { token: created.token })).status).toBe(200);
  });

  it.each<[string, object]>([
    ['an empty name', { name: '' }],
    ['a name of 101 characters', { name: 'z'.repeat(101) }],
    ['a non-boolean enabled', { enabled: 'yes' }],
  ])('answers 400 for %s and changes nothing', async (_label, body) => {
    const token = await oauth();
    const created = await createToken(emulator(), token, 'keep');
    const r = await call(emulator(), 'PUT', `/api/v1/tokens/${created.tokenID}/update`, { token, json: body });
    expect(r.status).toBe(400);
    expect((await call(emulator(), 'GET', `/api/v1/tokens/${created.tokenID}`, { token })).body).toMatchObject({
      name: 'keep',
      enabled: true,
    });
  });

  it('refuses to enable an expired token with 400 "Expired tokens cannot be re-enabled"', async () => {
    const token = await oauth();
    const created = await createToken(emulator(), token, 'short', '2026-03-02T00:00:00Z');
    await call(emulator(), 'PUT', `/api/v1/tokens/${created.tokenID}/update`, { token, json: { enabled: false } });
    await advance(emulator(), 86400);
    const later = await oauth();
    const r = await call(emulator(), 'PUT', `/api/v1/tokens/${created.tokenID}/update`, { token: later, json: { enabled: true } });
    expect(r.status).toBe(400);
    expect(r.body.detail).toBe('Expired tokens cannot be re-enabled');
    expect((await call(emulator(), 'GET', `/api/v1/tokens/${created.tokenID}`, { token: later })).body.enabled).toBe(false);
  });

  it('refuses to enable an expired token that was never disabled too', async () => {
    const created = await createToken(emulator(), await oauth(), 'short', '2026-03-02T00:00:00Z');
    await advance(emulator(), 86400);
    const r = await call(emulator(), 'PUT', `/api/v1/tokens/${created.tokenID}/update`, { token: await oauth(), json: { enabled: true } });
    expect(r.status).toBe(400);
    expect(r.body.detail).toBe('Expired tokens cannot be re-enabled');
  });

  it('cannot re-enable a revoked token: it answers 404', async () => {
    const token = await oauth();
    const created = await createToken(emulator(), token, 'revoked');
    await call(emulator(), 'DELETE', `/api/v1/tokens/${created.tokenID}/delete`, { token });
    const r = await call(emulator(), 'PUT', `/api/v1/tokens/${created.tokenID}/update`, { token, json: { enabled: true } });
    expect(r.status).toBe(404);
    expect((await call(emulator(), 'GET', '/api/v1/users/me', { token: created.token })).status).toBe(401);
  });

  it("answers 404 for another user's token", async () => {
    const theirs = await createToken(emulator(), await oauth('other@example.com'), 'theirs');
    const r = await call(emulator(), 'PUT', `/api/v1/tokens/${theirs.tokenID}/update`, {
      token: await oauth(),
      json: { name: 'mine now' },
    });
    expect(r.status).toBe(404);
  });
});

describe('DELETE /api/v1/tokens/{tokenId}/delete', () => {
  it('answers 204 with no body, then 404 for the same token again', async () => {
    const token = await oauth();
    const created = await createToken(emulator(), token, 'bye');
    const first = await call(emulator(), 'DELETE', `/api/v1/tokens/${created.tokenID}/delete`, { token });
    expect(first.status).toBe(204);
    expect(first.text).toBe('');
    expect((await call(emulator(), 'DELETE', `/api/v1/tokens/${created.tokenID}/delete`, { token })).status).toBe(404);
  });

  it('revokes an expired token: 204, then it is no longer listed, and a second DELETE answers 404', async () => {
    // The API document lists only 204/401/403/404 for DELETE, and revoking is a soft delete: an existing
    // token, expired or not, is revoked (204); only a missing one is 404 (docs/design.md, "Decisions").
    const token = await oauth();
    const created = await createToken(emulator(), token, 'short', '2026-03-02T00:00:00Z');
    await advance(emulator(), 86400);
    const later = await oauth();
    const listed = (await call(emulator(), 'GET', '/api/v1/tokens/list', { token: later })).body.tokens;
    expect(listed).toEqual([expect.objectContaining({ tokenID: created.tokenID, isExpired: true })]);

    const first = await call(emulator(), 'DELETE', `/api/v1/tokens/${created.tokenID}/delete`, { token: later });
    expect(first.status).toBe(204);
    expect((await call(emulator(), 'GET', '/api/v1/tokens/list', { token: later })).body.tokens).toEqual([]);
    expect((await call(emulator(), 'DELETE', `/api/v1/tokens/${created.tokenID}/delete`, { token: later })).status).toBe(404);
  });

  it("answers 404 for an unknown token and another user's token", async () => {
    const token = await oauth();
    const theirs = await createToken(emulator(), await oauth('other@example.com'), 'theirs');
    expect((await call(emulator(), 'DELETE', '/api/v1/tokens/3fa85f64-5717-4562-b3fc-2c963f66afa6/delete', { token })).status).toBe(404);
    expect((await call(emulator(), 'DELETE', `/api/v1/tokens/${theirs.tokenID}/delete`, { token })).status).toBe(404);
    expect((await call(emulator(), 'GET', '/api/v1/users/me', { token: theirs.token })).status).toBe(200);
  });
});
