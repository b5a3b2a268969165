/**
 * The github-actions and vault sinks against loopback stand-ins that validate every request against the
 * facts-only fixtures of GitHub's and Vault's APIs (test/fixtures). The GitHub stand-in opens what it received with
 * its private key, so the tests compare the plaintext with the issued secret.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { hasErrorCode, type AgilityPatError } from '../../lib/core/errors';
import type { GitHubActionsSinkSpec, SinkSpec, VaultSinkSpec } from '../../lib/core/sink-spec';
import { deliverSecret } from '../helpers/deliver';
import { deliveryOrder } from '../../lib/sinks/deliver-secret';
import { GitHubStandIn } from '../helpers/github-stand-in';
import { VaultStandIn } from '../helpers/vault-stand-in';
import { waitFor } from '../helpers/wait-for';
import { VAULT_CAS_ATTEMPTS } from '../../lib/sinks/vault-sink';
import { CTX, SECRET, useTempDir } from './fixtures';

const GITHUB_TOKEN = 'ghp_standInToken0123456789abcdefABCDEF';
const VAULT_TOKEN = 'hvs.standInVaultToken0123456789';
const OLD_SECRET = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJvbGQifQ.b2xkLXNpZ25hdHVyZQ';

let github: GitHubStandIn;
let vault: VaultStandIn;
const tmp = useTempDir();

beforeEach(async () => {
  github = await GitHubStandIn.start(GITHUB_TOKEN, ['acme/web', 'acme/web#production', 'org:acme']);
  vault = await VaultStandIn.start(VAULT_TOKEN);
});

afterEach(async () => {
  expect(github.server.violations).toEqual([]);
  expect(vault.server.violations).toEqual([]);
  await github.close();
  await vault.close();
});

const env = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({ GITHUB_TOKEN, VAULT_TOKEN, PATH: process.env.PATH, ...extra });
const gh = (spec: Partial<GitHubActionsSinkSpec> = {}): GitHubActionsSinkSpec => ({
  kind: 'github-actions',
  repository: 'acme/web',
  name: 'AGILITY_TOKEN',
  apiUrl: github.url,
  ...spec,
});
const kv = (spec: Partial<VaultSinkSpec> = {}): VaultSinkSpec => ({ kind: 'vault', address: vault.url, path: 'ci/agility', ...spec });
const calls = (s: GitHubStandIn | VaultStandIn): string[] => s.server.log.map((e) => `${e.method} ${e.path} ${e.status}`);

async function sinkFailure(promise: Promise<unknown>): Promise<AgilityPatError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!hasErrorCode(error, 'SINK_FAILED')) throw new Error(`expected a SinkError, got ${String(error)}`);
  for (const s of [SECRET, GITHUB_TOKEN, VAULT_TOKEN, OLD_SECRET]) expect(JSON.stringify([error.message, error.details])).not.toContain(s);
  return error;
}

/**
 * Delivers with the compiled sinks (dist/lib, built by `npm run build`) in a child process whose TMPDIR is its own: a
 * machine of its own, sharing only the Vault stand-in. The secret goes on stdin, never in argv.
 */
async function deliverOnAnotherMachine(secret: string, spec: VaultSinkSpec): Promise<void> {
  const machineTmp = await mkdtemp(join(tmp(), 'machine-'));
  const sinks = join(__dirname, '..', '..', 'dist', 'lib', 'sinks');
  const script =
    `let s='';process.stdin.on('data',(c)=>s+=c).on('end',()=>require(${JSON.stringify(sinks)})` +
    `.deliverSecret(s,[${JSON.stringify(spec)}],${JSON.stringify(CTX)},{env:process.env}).catch((e)=>{console.error(e.message);process.exit(1)}))`;
  try {
    await new Promise<void>((resolve, reject) => {
      const child = spawn(process.execPath, ['-e', script], { env: env({ TMPDIR: machineTmp }), stdio: ['pipe', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      child.on('error', reject);
      child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`delivery failed (${String(code)}): ${stderr}`))));
      child.stdin.end(secret);
    });
  } finally {
    await rm(machineTmp, { recursive: true, force: true });
  }
}

/** A file sink that cannot be written: its parent is a file. */
async function brokenFileSink(): Promise<SinkSpec> {
  await writeFile(join(tmp(), 'blocker'), 'not a directory');
  return { kind: 'file', path: join(tmp(), 'blocker', 'token') };
}

describe('github-actions sink', () => {
  it('seals the secret with the repository public key and PUTs it with its key_id; GitHub opens it to the issued secret', async () => {
    await deliverSecret(SECRET, [gh()], CTX, { env: env() });
    expect(github.decrypt('acme/web', 'AGILITY_TOKEN')).toBe(SECRET);
    expect(github.stored('acme/web', 'AGILITY_TOKEN')?.encrypted_value).not.toContain(SECRET);
    expect(calls(github)).toEqual([
      'GET /repos/acme/web/actions/secrets/public-key 200',
      'PUT /repos/acme/web/actions/secrets/AGILITY_TOKEN 201',
    ]);

    // A rotation updates it (204), and a new key pair on GitHub's side is picked up.
    github.rotateKey('acme/web');
    await deliverSecret(OLD_SECRET, [gh()], CTX, { env: env() });
    expect(github.decrypt('acme/web', 'AGILITY_TOKEN')).toBe(OLD_SECRET);
    expect(calls(github).at(-1)).toBe('PUT /repos/acme/web/actions/secrets/AGILITY_TOKEN 204');
  });

  it('writes environment and organization secrets on their own routes, with the visibility of an organization secret', async () => {
    await deliverSecret(
      SECRET,
      [
        gh({ environment: 'production' }),
        gh({ repository: undefined, organization: 'acme', visibility: 'selected', selectedRepositoryIds: [7, 9] }),
      ],
      CTX,
      { env: env() },
    );
    expect(github.decrypt('acme/web#production', 'AGILITY_TOKEN')).toBe(SECRET);
    expect(github.decrypt('org:acme', 'AGILITY_TOKEN')).toBe(SECRET);
    expect(github.stored('org:acme', 'AGILITY_TOKEN')?.visibility).toBe('selected');
    expect(github.decrypt('acme/web', 'AGILITY_TOKEN')).toBeUndefined();
    expect(calls(github)).toEqual([
      'GET /repos/acme/web/environments/production/secrets/public-key 200',
      'PUT /repos/acme/web/environments/production/secrets/AGILITY_TOKEN 201',
      'GET /orgs/acme/actions/secrets/public-key 200',
      'PUT /orgs/acme/actions/secrets/AGILITY_TOKEN 201',
    ]);
  });

  it('reads the token from the named variable at delivery; a missing one fails naming the variable, before any request', async () => {
    const error = await sinkFailure(deliverSecret(SECRET, [gh({ tokenEnv: 'DEPLOY_GH_TOKEN' })], CTX, { env: env() }));
    expect(error.message).toContain('DEPLOY_GH_TOKEN is empty or not set');
    expect(github.server.log).toEqual([]);
    await deliverSecret(SECRET, [gh({ tokenEnv: 'DEPLOY_GH_TOKEN' })], CTX, { env: { DEPLOY_GH_TOKEN: GITHUB_TOKEN } });
    expect(github.decrypt('acme/web', 'AGILITY_TOKEN')).toBe(SECRET);
  });

  it("names the sink, the call and GitHub's answer when the token is refused, without the token or the secret", async () => {
    const error = await sinkFailure(deliverSecret(SECRET, [gh()], CTX, { env: env({ GITHUB_TOKEN: 'ghp_wrongTokenXXXXXXXXXXXXXXXX' }) }));
    expect(error.message).toContain('to github-actions acme/web (AGILITY_TOKEN)');
    expect(error.message).toContain('GitHub answered GET /repos/acme/web/actions/secrets/public-key with HTTP 401 ("Bad credentials")');
    expect(error.details).toMatchObject({ status: 401 });
    expect(error.message).not.toContain('ghp_wrongToken');
  });

  it('retries an idempotent call after a transient failure', async () => {
    github.server.fail({ method: 'GET', pathPrefix: '/repos/acme/web/actions/secrets/public-key', status: 503 });
    await deliverSecret(SECRET, [gh()], CTX, { env: env() });
    expect(calls(github)).toEqual([
      'GET /repos/acme/web/actions/secrets/public-key 503',
      'GET /repos/acme/web/actions/secrets/public-key 200',
      'PUT /repos/acme/web/actions/secrets/AGILITY_TOKEN 201',
    ]);
    expect(github.decrypt('acme/web', 'AGILITY_TOKEN')).toBe(SECRET);
  });
});

describe('vault sink', () => {
  it('writes the field with check-and-set and keeps the other fields of the secret', async () => {
    vault.seed('secret', 'ci/agility', { token: OLD_SECRET, other: 'kept' });
    await deliverSecret(SECRET, [kv()], CTX, { env: env() });
    expect(vault.read('secret', 'ci/agility')).toEqual({ token: SECRET, other: 'kept' });
    expect(vault.versionCount('secret', 'ci/agility')).toBe(2);
    expect(calls(vault)).toEqual(['GET /v1/secret/data/ci/agility 200', 'POST /v1/secret/data/ci/agility 200']);
  });

  it('creates a secret that does not exist (check-and-set 0), under another field and variable', async () => {
    await deliverSecret(SECRET, [kv({ field: 'pat', tokenEnv: 'MY_VAULT' })], CTX, { env: { MY_VAULT: VAULT_TOKEN } });
    expect(vault.read('secret', 'ci/agility')).toEqual({ pat: SECRET });
    expect(calls(vault)).toEqual(['GET /v1/secret/data/ci/agility 404', 'POST /v1/secret/data/ci/agility 200']);
  });

  it('after another writer got in between (check-and-set), writes again on a fresh read, keeping what the other wrote', async () => {
    vault.seed('secret', 'ci/agility', { other: 'kept' });
    vault.server.fail({
      method: 'POST',
      pathPrefix: '/v1/secret/data/',
      status: 400,
      body: { errors: ['check-and-set parameter did not match the current version'] },
    });
    await deliverSecret(SECRET, [kv()], CTX, { env: env() });
    expect(vault.read('secret', 'ci/agility')).toEqual({ other: 'kept', token: SECRET });
    expect(calls(vault)).toEqual([
      'GET /v1/secret/data/ci/agility 200',
      'POST /v1/secret/data/ci/agility 400',
      'GET /v1/secret/data/ci/agility 200',
      'POST /v1/secret/data/ci/agility 200',
    ]);
  });

  it(`fails naming what Vault said when the check-and-set conflicts ${VAULT_CAS_ATTEMPTS} times in a row`, async () => {
    vault.server.fail({
      method: 'POST',
      pathPrefix: '/v1/secret/data/',
      status: 400,
      body: { errors: ['check-and-set parameter did not match the current version'] },
      times: VAULT_CAS_ATTEMPTS,
    });
    const error = await sinkFailure(deliverSecret(SECRET, [kv()], CTX, { env: env() }));
    expect(error.message).toContain('Vault answered POST /v1/secret/data/ci/agility with HTTP 400 ("check-and-set parameter did not match');
    expect(calls(vault).filter((c) => c.startsWith('POST'))).toHaveLength(VAULT_CAS_ATTEMPTS);
    expect(vault.read('secret', 'ci/agility')).toBeUndefined();
  });

  it('fails at once, without a second write, on a 400 that is not a check-and-set conflict', async () => {
    vault.server.fail({ method: 'POST', pathPrefix: '/v1/secret/data/', status: 400, body: { errors: ['invalid request'] } });
    const error = await sinkFailure(deliverSecret(SECRET, [kv()], CTX, { env: env() }));
    expect(error.message).toContain('Vault answered POST /v1/secret/data/ci/agility with HTTP 400 ("invalid request")');
    expect(calls(vault)).toEqual(['GET /v1/secret/data/ci/agility 404', 'POST /v1/secret/data/ci/agility 400']);
  });

  it.each([
    ['in one process (they take turns under the lock of the secret)', false],
    ['from separate machines (own lock folders: check-and-set retries on a fresh read)', true],
  ])('tokens delivering to different fields of one secret at once all land, round after round, %s', async (_label, machines) => {
    const fields = machines ? ['a', 'b', 'c', 'd'] : ['a', 'b', 'c', 'd', 'e', 'f'];
    vault.server.latencyMs = 15;
    vault.seed('secret', 'ci/agility', { other: 'kept' });
    for (let round = 0; round < (machines ? 2 : 3); round++) {
      const secrets = fields.map((f) => `${SECRET}.${f}${round}`);
      const deliveries = fields.map((field, i) =>
        machines ? deliverOnAnotherMachine(secrets[i], kv({ field })) : deliverSecret(secrets[i], [kv({ field })], CTX, { env: env() }),
      );
      const outcomes = await Promise.allSettled(deliveries);
      expect(outcomes.filter((o) => o.status === 'rejected')).toEqual([]);
      expect(vault.read('secret', 'ci/agility')).toEqual({ other: 'kept', ...Object.fromEntries(fields.map((f, i) => [f, secrets[i]])) });
    }
    const conflicts = calls(vault).filter((c) => c === 'POST /v1/secret/data/ci/agility 400').length;
    // Separate machines overlapped for real (they conflicted and retried); one machine's writers took turns (none did).
    if (machines) expect(conflicts).toBeGreaterThan(0);
    else expect(conflicts).toBe(0);
  });
});

describe('order and rollback across sinks', () => {
  it('writes restorable sinks first and GitHub last, whatever the declared order', () => {
    const sinks: SinkSpec[] = [gh(), { kind: 'command', argv: ['true'] }, kv(), { kind: 'file', path: 'a' }];
    expect(deliveryOrder(sinks).map((s) => `${s.index}:${s.spec.kind}`)).toEqual(['2:vault', '3:file', '0:github-actions', '1:command']);
  });

  it('a failing file sink puts the Vault secret back (check-and-set) and nothing reaches GitHub', async () => {
    vault.seed('secret', 'ci/agility', { token: OLD_SECRET, other: 'kept' });
    const error = await sinkFailure(deliverSecret(SECRET, [gh(), kv(), await brokenFileSink()], CTX, { env: env() }));
    expect(error.details).toMatchObject({ index: 2 });
    expect(error.message).toContain('The sinks before it were restored.');
    expect(vault.read('secret', 'ci/agility')).toEqual({ token: OLD_SECRET, other: 'kept' });
    // Seeded, written, written back.
    expect(vault.versionCount('secret', 'ci/agility')).toBe(3);
    expect(github.server.log).toEqual([]);
  });

  it('a failing Vault write restores the file sink before it and sends nothing to GitHub', async () => {
    const file = join(tmp(), 'token');
    await writeFile(file, OLD_SECRET, { mode: 0o600 });
    vault.server.fail({ method: 'POST', pathPrefix: '/v1/secret/data/', status: 500, body: { errors: ['internal error'] } });
    await sinkFailure(deliverSecret(SECRET, [gh(), { kind: 'file', path: file }, kv()], CTX, { env: env() }));
    expect(await readFile(file, 'utf8')).toBe(OLD_SECRET);
    expect(github.server.log).toEqual([]);
  });

  it('undoes a first Vault write by deleting the version it wrote, on a fresh read', async () => {
    await sinkFailure(
      deliverSecret(SECRET, [kv(), { kind: 'command', argv: [process.execPath, '-e', 'process.exit(3)'] }], CTX, { env: env() }),
    );
    expect(vault.read('secret', 'ci/agility')).toBeUndefined();
    expect(calls(vault)).toEqual([
      'GET /v1/secret/data/ci/agility 404',
      'POST /v1/secret/data/ci/agility 200',
      'GET /v1/secret/data/ci/agility 200',
      'POST /v1/secret/delete/ci/agility 204',
    ]);
  });

  it('an undo takes back only its own field: a field another token wrote meanwhile stays', async () => {
    const started = join(tmp(), 'started');
    const go = join(tmp(), 'go');
    const sink = `const fs=require('fs');process.stdin.resume();fs.writeFileSync(${JSON.stringify(started)},'');setInterval(()=>{if(fs.existsSync(${JSON.stringify(go)}))process.exit(3)},20);`;
    const delivering = sinkFailure(
      deliverSecret(SECRET, [kv(), { kind: 'command', argv: [process.execPath, '-e', sink] }], CTX, { env: env() }),
    );
    await waitFor(() => existsSync(started), 10_000, 'the command sink');
    // Another token's delivery adds its field next to this one's, as a read-merge-write does.
    vault.seed('secret', 'ci/agility', { token: SECRET, other: OLD_SECRET });
    await writeFile(go, '');
    await delivering;
    expect(vault.read('secret', 'ci/agility')).toEqual({ other: OLD_SECRET });
  });

  it('keeps the GitHub and Vault credentials from command sinks, and copies of them', async () => {
    const out = join(tmp(), 'env.json');
    const script = `require('fs').writeFileSync(${JSON.stringify(out)}, JSON.stringify(Object.keys(process.env)))`;
    await deliverSecret(
      SECRET,
      [gh({ tokenEnv: 'GH_DEPLOY' }), kv(), { kind: 'command', argv: [process.execPath, '-e', script], env: ['KEPT'] }],
      CTX,
      { env: env({ GH_DEPLOY: GITHUB_TOKEN, GITHUB_TOKEN: 'ghs_other', VAULT_COPY: VAULT_TOKEN, KEPT: 'yes' }) },
    );
    const names = JSON.parse(await readFile(out, 'utf8')) as string[];
    expect(names).toContain('KEPT');
    for (const name of ['GH_DEPLOY', 'GITHUB_TOKEN', 'VAULT_TOKEN', 'VAULT_COPY']) expect(names).not.toContain(name);
    expect(github.decrypt('acme/web', 'AGILITY_TOKEN')).toBe(SECRET);
  });
});

describe('vendor answers are capped', () => {
  const huge = { data: { data: { token: 'x'.repeat(1024 * 1024 + 1) }, metadata: { version: 1 } } };

  it('a Vault answer over 1 MiB fails the delivery naming the sink, and nothing is written', async () => {
    vault.server.fail({ method: 'GET', status: 200, body: huge });
    const error = await sinkFailure(deliverSecret(SECRET, [kv()], CTX, { env: env() }));
    expect(error.details).toMatchObject({ sink: expect.stringContaining('vault'), code: 'BAD_RESPONSE' });
    expect(error.message).toMatch(/answered with more than 1048576 bytes/);
    expect(calls(vault)).toEqual(['GET /v1/secret/data/ci/agility 200']);
  });

  it('a GitHub answer over 1 MiB fails the delivery naming the sink, and the secret is not sent', async () => {
    github.server.fail({ method: 'GET', status: 200, body: { key: 'x'.repeat(1024 * 1024 + 1), key_id: '1' } });
    const error = await sinkFailure(deliverSecret(SECRET, [gh()], CTX, { env: env() }));
    expect(error.details).toMatchObject({ sink: expect.stringContaining('github-actions'), code: 'BAD_RESPONSE' });
    expect(calls(github).some((c) => c.startsWith('PUT'))).toBe(false);
  });
});
