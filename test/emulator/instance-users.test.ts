/**
 * The instance user routes: a PAT gets 403 ("Personal Access Tokens cannot be used to create or update users"),
 * OAuth gets the minimal answers the OpenAPI fixture describes, checked against its schemas.
 */
import { findPathTemplate, validateResponse } from '../helpers/openapi';
import { PAT_NOT_ALLOWED_DETAIL, SAMPLE_INSTANCE_GUID } from '../../lib/emulator/state';
import { call, createToken, useEmulator } from './support';

const emulator = useEmulator({ now: '2026-03-01T12:00:00.000Z' });
const base = `/api/v1/instance/${SAMPLE_INSTANCE_GUID}/user`;
const ROLES = [{ roleID: 2, name: 'Editor', role: 'Editor', isGlobalRole: false, sort: 1 }];

async function credentials(): Promise<{ oauth: string; pat: string }> {
  const oauth = (await emulator().signIn('users@example.com')).access_token!;
  const pat = (await createToken(emulator(), oauth, 'pat')).token as string;
  return { oauth, pat };
}

const conforms = (method: string, path: string, status: number, body: unknown): void => {
  expect(validateResponse(method, findPathTemplate(path)!, status, body)).toEqual([]);
};

describe('instance user routes', () => {
  it.each([
    ['POST', `${base}/save?emailAddress=new%40example.com`, ROLES],
    ['GET', `${base}/list`, undefined],
    ['DELETE', `${base}/delete/42`, undefined],
  ])('%s %s answers a PAT with 403', async (method, path, json) => {
    const { pat } = await credentials();
    const r = await call(emulator(), method, path, { token: pat, json });
    expect(r.status).toBe(403);
    expect(r.body.detail).toBe(PAT_NOT_ALLOWED_DETAIL);
  });

  it('lists the caller for OAuth, as the document describes', async () => {
    const { oauth } = await credentials();
    const r = await call(emulator(), 'GET', `${base}/list`, { token: oauth });
    expect(r.status).toBe(200);
    conforms('GET', `${base}/list`, 200, r.body);
    expect(r.body).toEqual([expect.objectContaining({ emailAddress: 'users@example.com' })]);
  });

  it('saves a user for OAuth, answering the InstanceUser with the roles sent', async () => {
    const { oauth } = await credentials();
    const path = `${base}/save?emailAddress=new%40example.com&firstName=New`;
    const r = await call(emulator(), 'POST', path, { token: oauth, json: ROLES });
    expect(r.status).toBe(200);
    conforms('POST', path, 200, r.body);
    expect(r.body).toMatchObject({ emailAddress: 'new@example.com', firstName: 'New', instanceRoles: ROLES });
    expect((await call(emulator(), 'POST', `${base}/save`, { token: oauth, json: ROLES })).status).toBe(400);
    expect((await call(emulator(), 'POST', path, { token: oauth, json: { not: 'an array' } })).status).toBe(400);
  });

  it('deletes for OAuth with a message; another instance is a 404; no credential is a 401', async () => {
    const { oauth } = await credentials();
    const r = await call(emulator(), 'DELETE', `${base}/delete/42`, { token: oauth });
    expect(r.status).toBe(200);
    conforms('DELETE', `${base}/delete/42`, 200, r.body);
    expect((await call(emulator(), 'GET', '/api/v1/instance/other-u/user/list', { token: oauth })).status).toBe(404);
    expect((await call(emulator(), 'GET', `${base}/list`)).status).toBe(401);
  });
});
