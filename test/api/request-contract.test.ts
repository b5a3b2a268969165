// The bodies the client sends, checked against the request schemas of the Management API's OpenAPI document
// (test/fixtures/management-pat-openapi.json, through test/helpers/openapi.ts).
import { MockAgent } from 'undici';
import { AgilityClient } from '../../lib/api';
import { fixedClock } from '../../lib/core/clock';
import { maxExpiryFor } from '../../lib/core/limits';
import { validateRequestBody } from '../helpers/openapi';

const BASE = 'https://mgmt.aglty.io';
const NOW = Date.parse('2026-03-01T12:00:00Z');
const TOKEN_ID = '3f2504e0-4f89-41d3-9a0c-0305e82c3301';
const TOKEN = {
  tokenID: TOKEN_ID,
  name: 'n',
  createdDate: '2026-03-01T12:00:00Z',
  expiryDate: '2027-03-01T12:00:00Z',
  lastUsedDate: null,
  enabled: true,
  isExpired: false,
  daysUntilExpiration: 365,
};
const JSON_HEADERS = { 'content-type': 'application/json' };

let agent: MockAgent;
let captured: { method: string; path: string; body: string | undefined }[];

/**
 * Intercepts `method path` once, recording the raw body the client sent through the body matcher. undici may call
 * the matcher more than once for one request, so each intercept has one slot that the matcher overwrites.
 */
function capture(method: string, path: string, status: number, reply: unknown): void {
  const slot: { method: string; path: string; body: string | undefined } = { method, path, body: undefined };
  captured.push(slot);
  agent
    .get(BASE)
    .intercept({
      method,
      path,
      body: (body: string) => {
        slot.body = body;
        return true;
      },
    })
    .reply(status, reply as object, { headers: JSON_HEADERS });
}

const api = () => new AgilityClient({ baseUrl: BASE, accessToken: 'oauth-access-0123456789', dispatcher: agent, clock: fixedClock(NOW) });

beforeEach(() => {
  agent = new MockAgent();
  agent.disableNetConnect();
  captured = [];
});

afterEach(async () => {
  // Every intercept was used: each recorded body comes from exactly the request it was set up for.
  agent.assertNoPendingInterceptors();
  await agent.close();
});

test.each<[string, { name: string; expiryDate?: string | Date | null }]>([
  ['a name only', { name: 'ci-deploy' }],
  ['a null expiry', { name: 'ci-deploy', expiryDate: null }],
  ['an ISO expiry with an offset', { name: 'ci-deploy', expiryDate: '2026-12-31T23:00:00-05:00' }],
  ['a Date expiry', { name: 'ci-deploy', expiryDate: new Date('2027-01-01T00:00:00Z') }],
  ['the longest name and latest expiry', { name: 'n'.repeat(100), expiryDate: new Date(maxExpiryFor(NOW)) }],
])('the create body for %s matches PersonalAccessTokenRequest', async (_what, req) => {
  capture('POST', '/api/v1/tokens/create', 201, { ...TOKEN, token: 'eyJ.secret.value', notice: null });
  await api().createToken(req);
  expect(captured[0].body).toEqual(expect.any(String));
  const body = JSON.parse(captured[0].body as string);
  expect(validateRequestBody('POST', '/api/v1/tokens/create', body)).toEqual([]);
  expect(body.name).toBe(req.name);
});

test.each<[string, { name?: string | null; enabled?: boolean | null }]>([
  ['a rename', { name: 'renamed' }],
  ['a disable', { enabled: false }],
  ['a rename and enable', { name: 'renamed', enabled: true }],
  ['a disable with a null name', { name: null, enabled: false }],
])('the update body for %s matches PersonalAccessTokenUpdateRequest', async (_what, req) => {
  capture('PUT', `/api/v1/tokens/${TOKEN_ID}/update`, 200, TOKEN);
  await api().updateToken(TOKEN_ID, req);
  expect(captured[0].body).toEqual(expect.any(String));
  const body = JSON.parse(captured[0].body as string);
  expect(validateRequestBody('PUT', '/api/v1/tokens/{tokenId}/update', body)).toEqual([]);
});

test('the OAuth code exchange sends the form field the document names', async () => {
  capture('POST', '/oauth/token', 200, { access_token: 'a-0123456789', expires_in: 3600, refresh_token: 'r', token_type: 'Bearer' });
  await api().exchangeCode('the-code');
  const fields = Object.fromEntries(new URLSearchParams(captured[0].body as string));
  expect(fields).toEqual({ code: 'the-code' });
  expect(validateRequestBody('POST', '/oauth/token', fields)).toEqual([]);
});

test('reads and revokes send no body, as the document specifies', async () => {
  capture('GET', '/api/v1/tokens/list', 200, { tokens: [], totalCount: 0 });
  capture('GET', `/api/v1/tokens/${TOKEN_ID}`, 200, TOKEN);
  capture('DELETE', `/api/v1/tokens/${TOKEN_ID}/delete`, 204, '');
  const c = api();
  await c.listTokens();
  await c.getToken(TOKEN_ID);
  await c.revokeToken(TOKEN_ID);
  expect(captured.map((r) => r.body)).toEqual([undefined, undefined, undefined]);
  expect(validateRequestBody('GET', '/api/v1/tokens/list', undefined)).toEqual([]);
  expect(validateRequestBody('GET', '/api/v1/tokens/{tokenId}', undefined)).toEqual([]);
  expect(validateRequestBody('DELETE', '/api/v1/tokens/{tokenId}/delete', undefined)).toEqual([]);
});

test('the schema check itself rejects bodies the client must never send', () => {
  expect(validateRequestBody('POST', '/api/v1/tokens/create', { Name: 'x' })).not.toEqual([]);
  expect(validateRequestBody('POST', '/api/v1/tokens/create', { name: '' })).not.toEqual([]);
  expect(validateRequestBody('POST', '/api/v1/tokens/create', { name: 'x', expiryDate: 'tomorrow' })).not.toEqual([]);
  expect(validateRequestBody('PUT', '/api/v1/tokens/{tokenId}/update', { enabled: 'no' })).not.toEqual([]);
});
