/**
 * Agility's document marks no response field as required. Through a loopback proxy in front of the emulator that
 * strips every optional field from the token list (`createdDate`, `lastUsedDate`, `enabled`, `isExpired`,
 * `daysUntilExpiration`, `totalCount`) and adds one token with a null name (made by another tool), the bundled
 * program's `hook create`, `tokens list` and `status` still work, and the null-name token is never managed.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import statusReportSchema from '../../lib/schemas/status-report.schema.json';
import type { StatusReport } from '../../lib/ops';
import { useEmulator } from '../emulator/support';
import { hookEnv, managed, requireBundle, runProgram } from '../lifecycle/hook-harness';
import { CREDENTIAL_ENV, T0, T0_MS, manifestOf, programEnv, runBundle, writeStack } from './support';

const emulator = useEmulator({ now: T0 });
const NULL_NAME_ID = randomUUID();
let proxy: Server;
let proxyUrl: string;
let dir: string;

/** Only the fields the program needs, plus a token without a name. */
function sparse(body: { tokens: Array<Record<string, unknown>> }): unknown {
  return {
    tokens: [
      ...body.tokens.map((t) => ({ tokenID: t.tokenID, name: t.name, expiryDate: t.expiryDate })),
      { tokenID: NULL_NAME_ID, name: null, expiryDate: new Date(T0_MS + 400 * 86_400_000).toISOString() },
    ],
  };
}

beforeAll(() => requireBundle());
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'agility-pat-sparse-'));
  proxy = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => k !== 'host' && k !== 'content-length')) as Record<
          string,
          string
        >;
        const body = chunks.length > 0 ? Buffer.concat(chunks) : undefined;
        const upstream = await fetch(`${emulator().url}${req.url}`, { method: req.method, headers, body });
        let text = await upstream.text();
        if (req.method === 'GET' && req.url === '/api/v1/tokens/list' && upstream.status === 200) {
          text = JSON.stringify(sparse(JSON.parse(text) as { tokens: Array<Record<string, unknown>> }));
        }
        res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' });
        res.end(text);
      })();
    });
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
});
afterEach(async () => {
  await new Promise((r) => proxy.close(r));
  rmSync(dir, { recursive: true, force: true });
});

describe('a token list with only the required fields and a token without a name', () => {
  it('lets hook create, tokens list and status work, and never manages the nameless token', async () => {
    const emu = emulator();
    const access = (await emu.signIn()).access_token!;
    const env = (extra: NodeJS.ProcessEnv = {}) => programEnv(T0_MS, { [CREDENTIAL_ENV]: access, ...extra });

    // hook create: lists (sparse), creates, verifies, delivers, renames.
    const out = join(dir, 'token.txt');
    const hook = await runProgram(emu, ['hook', 'create'], {
      env: {
        ...hookEnv(emu, {
          credential: access,
          managedName: managed('ci'),
          declaredName: 'ci',
          generation: 5,
          sinks: [{ kind: 'file', path: out }],
        }),
        AGILITY_PAT_API_URL: proxyUrl,
        AGILITY_PAT_NOW: T0,
      },
      cwd: dir,
    });
    expect(hook.stderr).toBe('');
    expect(hook.code).toBe(0);

    // tokens list: both tokens, the nameless one shown without a name, no failure.
    const list = await runBundle(emu, ['tokens', 'list', '--json', '--api-url', proxyUrl, '--credential-env', CREDENTIAL_ENV], {
      env: env(),
      cwd: dir,
    });
    expect(list.stderr).toBe('');
    expect(list.code).toBe(0);
    expect(list.stdout).toContain(NULL_NAME_ID);
    expect(list.stdout).toContain(managed('ci'));

    // status: a stack that declares another token, so the hook's is an orphan of it; the nameless token is nobody's.
    const stackDir = writeStack(dir, manifestOf(proxyUrl, ['fixed-long']));
    const status = await runBundle(emu, ['status', '--stack', stackDir, '--json', '--credential-env', CREDENTIAL_ENV], {
      env: env(),
      cwd: dir,
    });
    expect(status.stderr).toBe('');
    expect([0, 20]).toContain(status.code);
    const report = JSON.parse(status.stdout) as StatusReport;
    const ajv = new Ajv({ allErrors: true, strict: true });
    addFormats(ajv);
    const validate = ajv.compile(statusReportSchema);
    expect(validate(report) ? [] : validate.errors).toEqual([]);
    expect(report.tokens.map((t) => t.verdicts)).toEqual([['missing']]);
    expect(report.orphaned.map((t) => t.name)).toEqual([managed('ci')]);
    expect(report.otherTokens).toEqual([expect.objectContaining({ tokenID: NULL_NAME_ID, managedBy: null })]);
  });
});
