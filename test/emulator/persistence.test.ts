import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasErrorCode } from '../../lib/core/errors';
import { startEmulator, type RunningEmulator } from '../../lib/emulator';
import { call, createToken } from './support';

describe('the state file', () => {
  let dir: string;
  let stateFile: string;
  const running: RunningEmulator[] = [];

  async function start(now?: string): Promise<RunningEmulator> {
    const emu = await startEmulator({ stateFile, now });
    running.push(emu);
    return emu;
  }

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'agility-emulator-'));
    stateFile = join(dir, 'state.json');
  });

  afterEach(async () => {
    await Promise.all(running.splice(0).map((e) => e.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('survives a restart: the token is listed and its PAT still authenticates users/me', async () => {
    const first = await start('2026-03-01T12:00:00Z');
    const session = await first.signIn('persist@example.com');
    const created = await createToken(first, session.access_token!, 'survivor');
    const revoked = await createToken(first, session.access_token!, 'revoked');
    await call(first, 'DELETE', `/api/v1/tokens/${revoked.tokenID}/delete`, { token: session.access_token });
    await first.close();

    const second = await start('2026-03-01T12:00:00Z');
    const me = await call(second, 'GET', '/api/v1/users/me', { token: created.token });
    expect(me.status).toBe(200);
    expect(me.body.emailAddress).toBe('persist@example.com');
    // The access token from before the restart still works, and lists the token (not the revoked one).
    const list = await call(second, 'GET', '/api/v1/tokens/list', { token: session.access_token });
    expect(list.status).toBe(200);
    expect(list.body.tokens.map((t: any) => t.name)).toEqual(['survivor']);
    expect(list.body.tokens[0].lastUsedDate).toBe('2026-03-01T12:00:00.000Z');
    // The revoked PAT stays revoked.
    expect((await call(second, 'GET', '/api/v1/users/me', { token: revoked.token })).status).toBe(401);
    // A refresh token from before the restart still rotates.
    expect((await call(second, 'POST', '/oauth/refresh', { json: { refresh_token: session.refresh_token } })).status).toBe(200);
  });

  it('keeps creation times, so the hourly limit still counts creations made before a restart', async () => {
    const first = await start('2026-03-01T12:00:00Z');
    const token = (await first.signIn()).access_token!;
    for (let i = 1; i <= 5; i++) await createToken(first, token, `t${i}`);
    await first.close();
    const second = await start('2026-03-01T12:00:00Z');
    const r = await call(second, 'POST', '/api/v1/tokens/create', { token, json: { name: 't6' } });
    expect(r.status).toBe(429);
  });

  it('keeps a clock that was set, over the now option', async () => {
    const first = await start('2026-03-01T12:00:00Z');
    await call(first, 'POST', '/__emulator/clock', { json: { now: '2026-09-09T09:09:09Z' } });
    await first.close();
    const second = await start('2026-03-01T12:00:00Z');
    expect((await call(second, 'GET', '/__emulator/clock')).body).toEqual({ now: '2026-09-09T09:09:09.000Z' });
  });

  it('keeps users and their ids', async () => {
    const first = await start();
    const a = await first.signIn('a@example.com');
    const idA = (await call(first, 'GET', '/api/v1/users/me', { token: a.access_token })).body.userID;
    await first.close();
    const second = await start();
    const b = await second.signIn('b@example.com');
    const again = await second.signIn('a@example.com');
    expect((await call(second, 'GET', '/api/v1/users/me', { token: again.access_token })).body.userID).toBe(idA);
    expect((await call(second, 'GET', '/api/v1/users/me', { token: b.access_token })).body.userID).toBeGreaterThan(idA);
  });

  it('never contains an issued secret, is mode 0600, and leaves no temporary file behind', async () => {
    const emu = await start('2026-03-01T12:00:00Z');
    const session = await emu.signIn();
    const created = await createToken(emu, session.access_token!, 'hidden');
    await call(emu, 'GET', '/api/v1/users/me', { token: created.token });
    await call(emu, 'POST', '/oauth/refresh', { json: { refresh_token: session.refresh_token } });
    const text = readFileSync(stateFile, 'utf8');
    const secrets = emu.issuedSecrets();
    expect(secrets.length).toBeGreaterThanOrEqual(5);
    for (const secret of secrets) expect(text).not.toContain(secret);
    expect(text).toContain(created.tokenID);
    expect(statSync(stateFile).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(['state.json']);
  });

  it('is emptied by reset', async () => {
    const emu = await start('2026-03-01T12:00:00Z');
    await createToken(emu, (await emu.signIn()).access_token!, 'gone');
    await call(emu, 'POST', '/__emulator/reset');
    await emu.close();
    expect(JSON.parse(readFileSync(stateFile, 'utf8'))).toMatchObject({ tokens: [], users: [] });
  });

  it('refuses a state file whose token lacks a field, naming the field', async () => {
    const emu = await startEmulator({ stateFile });
    await emu.signIn();
    await emu.close();
    const saved = JSON.parse(readFileSync(stateFile, 'utf8'));
    expect(saved.users).toHaveLength(1);
    delete saved.users[0].createdDate;
    writeFileSync(stateFile, JSON.stringify(saved));
    const failure = await startEmulator({ stateFile }).catch((e: unknown) => e);
    expect(hasErrorCode(failure, 'CONFIG')).toBe(true);
    expect((failure as Error).message).toContain('users[0].createdDate must be an ISO-8601 date-time, got nothing');
  });

  it('refuses to start on a state file that is not emulator state, with a ConfigError naming the file', async () => {
    writeFileSync(stateFile, '{"hello": "world"}');
    const failure = await startEmulator({ stateFile }).catch((e: unknown) => e);
    expect(hasErrorCode(failure, 'CONFIG')).toBe(true);
    expect((failure as Error).message).toContain(stateFile);
    writeFileSync(stateFile, 'not json');
    expect(hasErrorCode(await startEmulator({ stateFile }).catch((e: unknown) => e), 'CONFIG')).toBe(true);
  });

  it('answers 500 JSON when the state cannot be written, and keeps serving', async () => {
    const nested = join(dir, 'sub');
    const emu = await startEmulator({ stateFile: join(nested, 'state.json') });
    running.push(emu);
    // The directory does not exist, so the atomic write fails inside the server.
    const r = await call(emu, 'POST', '/oauth/token', { body: new URLSearchParams({ code: 'x' }) });
    expect(r.status).toBe(500);
    expect(r.body).toMatchObject({ status: 500, detail: expect.any(String) });
    for (const secret of emu.issuedSecrets()) expect(r.text).not.toContain(secret);
    expect((await call(emu, 'GET', '/api/v1/types')).status).toBe(200);
  });
});
