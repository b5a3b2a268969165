/**
 * The github-actions and vault sinks against loopback stand-ins that validate every request against the
 * facts-only fixtures of GitHub's and Vault's APIs (test/fixtures). The GitHub stand-in opens what it received with
 * its private key, so the tests compare the plaintext with the issued secret.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { hasErrorCode, type AgilityPatError } from '../../lib/core/errors';
import type { GitHubActionsSinkSpec, SinkSpec, VaultSinkSpec } from '../../lib/core/sink-spec';
import { deliverSecret } from '../../lib/sinks';
import { deliveryOrder } from '../../lib/sinks/deliver-secret';
import { CTX, GITHUB_TOKEN, SECRET, useNativeStandIns, useTempDir, VAULT_TOKEN } from './fixtures';

const OLD_SECRET = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJvbGQifQ.b2xkLXNpZ25hdHVyZQ';
const tmp = useTempDir();
const standIns = useNativeStandIns(['acme/web', 'acme/web#production', 'org:acme']);

const env = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({ GITHUB_TOKEN, VAULT_TOKEN, PATH: process.env.PATH, ...extra });
const gh = (spec: Partial<GitHubActionsSinkSpec> = {}): GitHubActionsSinkSpec => ({
  kind: 'github-actions',
  repository: 'acme/web',
  name: 'AGILITY_TOKEN',
  apiUrl: standIns.github.url,
  ...spec,
});
const kv = (spec: Partial<VaultSinkSpec> = {}): VaultSinkSpec => ({
  kind: 'vault',
  address: standIns.vault.url,
  path: 'ci/agility',
  ...spec,
});
const calls = (s: typeof standIns.github | typeof standIns.vault): string[] => s.server.log.map((e) => `${e.method} ${e.path} ${e.status}`);

async function sinkFailure(promise: Promise<unknown>): Promise<AgilityPatError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!hasErrorCode(error, 'SINK_FAILED')) throw new Error(`expected a SinkError, got ${String(error)}`);
  for (const s of [SECRET, GITHUB_TOKEN, VAULT_TOKEN, OLD_SECRET]) expect(JSON.stringify([error.message, error.details])).not.toContain(s);
  return error;
}

/** A file sink that cannot be written: its parent is a file. */
async function brokenFileSink(): Promise<SinkSpec> {
  await writeFile(join(tmp(), 'blocker'), 'not a directory');
  return { kind: 'file', path: join(tmp(), 'blocker', 'token') };
}

describe('github-actions sink', () => {
  it('seals the secret with the repository public key and PUTs it with its key_id; GitHub opens it to the issued secret', async () => {
    await deliverSecret(SECRET, [gh()], CTX, { env: env() });
    expect(standIns.github.decrypt('acme/web', 'AGILITY_TOKEN')).toBe(SECRET);
    expect(standIns.github.stored('acme/web', 'AGILITY_TOKEN')?.encrypted_value).not.toContain(SECRET);
    expect(calls(standIns.github)).toEqual([
      'GET /repos/acme/web/actions/secrets/public-key 200',
      'PUT /repos/acme/web/actions/secrets/AGILITY_TOKEN 201',
    ]);

    // A rotation updates it (204), and a new key pair on GitHub's side is picked up.
    standIns.github.rotateKey('acme/web');
    await deliverSecret(OLD_SECRET, [gh()], CTX, { env: env() });
    expect(standIns.github.decrypt('acme/web', 'AGILITY_TOKEN')).toBe(OLD_SECRET);
    expect(calls(standIns.github).at(-1)).toBe('PUT /repos/acme/web/actions/secrets/AGILITY_TOKEN 204');
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
    expect(standIns.github.decrypt('acme/web#production', 'AGILITY_TOKEN')).toBe(SECRET);
    expect(standIns.github.decrypt('org:acme', 'AGILITY_TOKEN')).toBe(SECRET);
    expect(standIns.github.stored('org:acme', 'AGILITY_TOKEN')?.visibility).toBe('selected');
    expect(standIns.github.decrypt('acme/web', 'AGILITY_TOKEN')).toBeUndefined();
    expect(calls(standIns.github)).toEqual([
      'GET /repos/acme/web/environments/production/secrets/public-key 200',
      'PUT /repos/acme/web/environments/production/secrets/AGILITY_TOKEN 201',
      'GET /orgs/acme/actions/secrets/public-key 200',
      'PUT /orgs/acme/actions/secrets/AGILITY_TOKEN 201',
    ]);
  });

  it('reads the token from the named variable at delivery; a missing one fails naming the variable, before any request', async () => {
    const error = await sinkFailure(deliverSecret(SECRET, [gh({ tokenEnv: 'DEPLOY_GH_TOKEN' })], CTX, { env: env() }));
    expect(error.message).toContain('DEPLOY_GH_TOKEN is empty or not set');
    expect(standIns.github.server.log).toEqual([]);
    await deliverSecret(SECRET, [gh({ tokenEnv: 'DEPLOY_GH_TOKEN' })], CTX, { env: { DEPLOY_GH_TOKEN: GITHUB_TOKEN } });
    expect(standIns.github.decrypt('acme/web', 'AGILITY_TOKEN')).toBe(SECRET);
  });

  it("names the sink, the call and GitHub's answer when the token is refused, without the token or the secret", async () => {
    const error = await sinkFailure(deliverSecret(SECRET, [gh()], CTX, { env: env({ GITHUB_TOKEN: 'ghp_wrongTokenXXXXXXXXXXXXXXXX' }) }));
    expect(error.message).toContain('to github-actions acme/web (AGILITY_TOKEN)');
    expect(error.message).toContain('GitHub answered GET /repos/acme/web/actions/secrets/public-key with HTTP 401 ("Bad credentials")');
    expect(error.details).toMatchObject({ status: 401 });
    expect(error.message).not.toContain('ghp_wrongToken');
  });

  it('retries an idempotent call after a transient failure', async () => {
    standIns.github.server.fail({ method: 'GET', pathPrefix: '/repos/acme/web/actions/secrets/public-key', status: 503 });
    await deliverSecret(SECRET, [gh()], CTX, { env: env() });
    expect(calls(standIns.github)).toEqual([
      'GET /repos/acme/web/actions/secrets/public-key 503',
      'GET /repos/acme/web/actions/secrets/public-key 200',
      'PUT /repos/acme/web/actions/secrets/AGILITY_TOKEN 201',
    ]);
    expect(standIns.github.decrypt('acme/web', 'AGILITY_TOKEN')).toBe(SECRET);
  });
});

describe('vault sink', () => {
  it('writes the field with check-and-set and keeps the other fields of the secret', async () => {
    standIns.vault.seed('secret', 'ci/agility', { token: OLD_SECRET, other: 'kept' });
    await deliverSecret(SECRET, [kv()], CTX, { env: env() });
    expect(standIns.vault.read('secret', 'ci/agility')).toEqual({ token: SECRET, other: 'kept' });
    expect(standIns.vault.versionCount('secret', 'ci/agility')).toBe(2);
    expect(calls(standIns.vault)).toEqual(['GET /v1/secret/data/ci/agility 200', 'POST /v1/secret/data/ci/agility 200']);
  });

  it('creates a secret that does not exist (check-and-set 0), under another field and variable', async () => {
    await deliverSecret(SECRET, [kv({ field: 'pat', tokenEnv: 'MY_VAULT' })], CTX, { env: { MY_VAULT: VAULT_TOKEN } });
    expect(standIns.vault.read('secret', 'ci/agility')).toEqual({ pat: SECRET });
    expect(calls(standIns.vault)).toEqual(['GET /v1/secret/data/ci/agility 404', 'POST /v1/secret/data/ci/agility 200']);
  });

  it('fails when another writer got in between (check-and-set), naming what Vault said', async () => {
    standIns.vault.server.fail({
      method: 'POST',
      pathPrefix: '/v1/secret/data/',
      status: 400,
      body: { errors: ['check-and-set parameter did not match the current version'] },
    });
    const error = await sinkFailure(deliverSecret(SECRET, [kv()], CTX, { env: env() }));
    expect(error.message).toContain('Vault answered POST /v1/secret/data/ci/agility with HTTP 400 ("check-and-set parameter did not match');
    expect(standIns.vault.read('secret', 'ci/agility')).toBeUndefined();
  });
});

describe('order and rollback across sinks', () => {
  it('writes restorable sinks first and GitHub last, whatever the declared order', () => {
    const sinks: SinkSpec[] = [gh(), { kind: 'command', argv: ['true'] }, kv(), { kind: 'file', path: 'a' }];
    expect(deliveryOrder(sinks).map((s) => `${s.index}:${s.spec.kind}`)).toEqual(['2:vault', '3:file', '0:github-actions', '1:command']);
  });

  it('a failing file sink puts the Vault secret back (check-and-set) and nothing reaches GitHub', async () => {
    standIns.vault.seed('secret', 'ci/agility', { token: OLD_SECRET, other: 'kept' });
    const error = await sinkFailure(deliverSecret(SECRET, [gh(), kv(), await brokenFileSink()], CTX, { env: env() }));
    expect(error.details).toMatchObject({ index: 2 });
    expect(error.message).toContain('The sinks before it were restored.');
    expect(standIns.vault.read('secret', 'ci/agility')).toEqual({ token: OLD_SECRET, other: 'kept' });
    // Seeded, written, written back.
    expect(standIns.vault.versionCount('secret', 'ci/agility')).toBe(3);
    expect(standIns.github.server.log).toEqual([]);
  });

  it('a failing Vault write restores the file sink before it and sends nothing to GitHub', async () => {
    const file = join(tmp(), 'token');
    await writeFile(file, OLD_SECRET, { mode: 0o600 });
    standIns.vault.server.fail({ method: 'POST', pathPrefix: '/v1/secret/data/', status: 500, body: { errors: ['internal error'] } });
    await sinkFailure(deliverSecret(SECRET, [gh(), { kind: 'file', path: file }, kv()], CTX, { env: env() }));
    expect(await readFile(file, 'utf8')).toBe(OLD_SECRET);
    expect(standIns.github.server.log).toEqual([]);
  });

  it('undoes a first Vault write by deleting the version it wrote', async () => {
    await sinkFailure(
      deliverSecret(SECRET, [kv(), { kind: 'command', argv: [process.execPath, '-e', 'process.exit(3)'] }], CTX, { env: env() }),
    );
    expect(standIns.vault.read('secret', 'ci/agility')).toBeUndefined();
    expect(calls(standIns.vault)).toEqual([
      'GET /v1/secret/data/ci/agility 404',
      'POST /v1/secret/data/ci/agility 200',
      'POST /v1/secret/delete/ci/agility 204',
    ]);
  });

  it('keeps the GitHub and Vault credentials from command sinks', async () => {
    const out = join(tmp(), 'env.json');
    const script = `require('fs').writeFileSync(${JSON.stringify(out)}, JSON.stringify(Object.keys(process.env)))`;
    await deliverSecret(SECRET, [gh({ tokenEnv: 'GH_DEPLOY' }), kv(), { kind: 'command', argv: [process.execPath, '-e', script] }], CTX, {
      env: env({ GH_DEPLOY: GITHUB_TOKEN, GITHUB_TOKEN: undefined, KEPT: 'yes' }),
    });
    const names = JSON.parse(await readFile(out, 'utf8')) as string[];
    expect(names).toContain('KEPT');
    expect(names).not.toContain('GH_DEPLOY');
    expect(names).not.toContain('VAULT_TOKEN');
    expect(standIns.github.decrypt('acme/web', 'AGILITY_TOKEN')).toBe(SECRET);
  });
});
