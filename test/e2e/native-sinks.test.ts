/**
 * End-to-end with real Terraform: one token delivered at once to a file, the GitHub stand-in and the Vault stand-in;
 * rotations update all three; a failing Vault write leaves the file restored, nothing sent to GitHub, the new token
 * revoked and the old one live; a token that does not verify is never delivered and never left live. Every output,
 * file and the state are scanned for the Agility secrets and credentials and the GitHub and Vault tokens.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TerraformStack } from 'cdktf';
import { AgilityPersonalAccessToken, Duration, SecretSink } from '../../lib';
import { startEmulator, type RunningEmulator } from '../../lib/emulator';
import { ANCHOR, Deployment, EmulatorAdmin, G11, G12, G13, requireTerraform } from '../helpers/e2e';
import { GitHubStandIn } from '../helpers/github-stand-in';
import { VaultStandIn } from '../helpers/vault-stand-in';

jest.setTimeout(300_000);

const GITHUB_TOKEN = 'ghp_e2eStandInToken0123456789abcdefABCD';
const VAULT_TOKEN = 'hvs.e2eStandInVaultToken0123456789';

let emulator: RunningEmulator;
let admin: EmulatorAdmin;
let github: GitHubStandIn;
let vault: VaultStandIn;
const deployments: Deployment[] = [];

beforeAll(async () => {
  requireTerraform();
  emulator = await startEmulator({ host: '127.0.0.1', port: 0, now: G11 });
  admin = new EmulatorAdmin(emulator);
  github = await GitHubStandIn.start(GITHUB_TOKEN, ['acme/web']);
  vault = await VaultStandIn.start(VAULT_TOKEN);
});

afterAll(async () => {
  deployments.forEach((d) => d.cleanup());
  await emulator?.close();
  await github?.close();
  await vault?.close();
});

afterEach(() => {
  expect(github.server.violations).toEqual([]);
  expect(vault.server.violations).toEqual([]);
});

const credentials = { GITHUB_TOKEN, VAULT_TOKEN };

/**
 * The stand-ins' clocks follow the emulator's, frozen at the deploy's instant: the reconciler compares GitHub's
 * updated_at and Vault's created_time with the token's creation (docs/design.md, "Many machines, one writer").
 */
function followClock(instant: string): string {
  github.now = vault.now = () => Date.parse(instant);
  return instant;
}

function everySecret(): string[] {
  return [...emulator.issuedSecrets(), GITHUB_TOKEN, VAULT_TOKEN];
}

function managedName(d: Deployment, declared: string, generation: number): string {
  return `${declared} [cdktf:${d.stackTag()}/g${generation}]`;
}

describe('one token, three destinations, over rotations', () => {
  let admitted: Deployment;
  const declare = (stack: TerraformStack) =>
    new AgilityPersonalAccessToken(stack, 'ci', {
      name: 'ci',
      rotation: { every: Duration.days(30), anchor: ANCHOR },
      sinks: [
        // Declared GitHub first: it is still written last.
        SecretSink.githubActions({ repository: 'acme/web', name: 'AGILITY_TOKEN', apiUrl: github.url }),
        SecretSink.file('secrets/ci.token'),
        SecretSink.vault({ address: vault.url, path: 'ci/agility' }),
      ],
    });
  const fileSecret = () => readFileSync(join(admitted.dir, 'secrets/ci.token'), 'utf8');

  beforeAll(() => {
    admitted = new Deployment(admin, 'native');
    deployments.push(admitted);
    vault.seed('secret', 'ci/agility', { other: 'kept' });
  });

  test('1. first deploy: the same secret in the file, in GitHub (opened with its private key) and in Vault', async () => {
    admitted.synth(G11, declare);
    const result = await admitted.terraform('apply', followClock(G11), credentials);
    expect(result.code).toBe(0);
    const secret = fileSecret();
    expect(emulator.issuedSecrets()).toContain(secret);
    expect(github.decrypt('acme/web', 'AGILITY_TOKEN')).toBe(secret);
    expect(vault.read('secret', 'ci/agility')).toEqual({ other: 'kept', token: secret });
    expect(await admin.authenticates(secret)).toBe(true);
    expect(admitted.findSecrets(everySecret(), ['secrets/ci.token'])).toEqual([]);
    // The configuration names the credential variables, never their values.
    const config = readFileSync(join(admitted.stackDir, 'cdk.tf.json'), 'utf8');
    expect(config).not.toContain(GITHUB_TOKEN);
    expect(config).not.toContain(VAULT_TOKEN);
  });

  test('2. a rotation updates all three', async () => {
    const before = fileSecret();
    admitted.synth(G12, declare);
    const result = await admitted.terraform('apply', followClock(G12), credentials);
    expect(result.code).toBe(0);
    const secret = fileSecret();
    expect(secret).not.toBe(before);
    expect(github.decrypt('acme/web', 'AGILITY_TOKEN')).toBe(secret);
    expect(github.stored('acme/web', 'AGILITY_TOKEN')?.writes).toBe(2);
    expect(vault.read('secret', 'ci/agility')).toEqual({ other: 'kept', token: secret });
    expect(admitted.findSecrets(everySecret(), ['secrets/ci.token'])).toEqual([]);
  });

  test('3. a failing Vault write: file restored, nothing sent to GitHub, new token revoked, old one live', async () => {
    const before = fileSecret();
    const githubCalls = github.server.log.length;
    const vaultVersions = vault.versionCount('secret', 'ci/agility');
    vault.server.fail({ method: 'POST', pathPrefix: '/v1/secret/data/', status: 500, body: { errors: ['storage unavailable'] } });
    admitted.synth(G13, declare);
    const result = await admitted.terraform('apply', followClock(G13), credentials);
    expect(result.code).not.toBe(0);
    expect(result.output).toContain('Vault answered POST /v1/secret/data/ci/agility with HTTP 500');
    expect(fileSecret()).toBe(before);
    expect(github.server.log.length).toBe(githubCalls);
    expect(github.decrypt('acme/web', 'AGILITY_TOKEN')).toBe(before);
    expect(vault.versionCount('secret', 'ci/agility')).toBe(vaultVersions);
    const live = await admin.liveTokens(await admitted.signIn());
    expect(live.has(managedName(admitted, 'ci', 13))).toBe(false);
    expect(live.has(managedName(admitted, 'ci', 12))).toBe(true);
    expect(await admin.authenticates(before)).toBe(true);
    expect(admitted.findSecrets(everySecret(), ['secrets/ci.token'])).toEqual([]);
  });
});

describe('verification before delivery', () => {
  // Needs ensureToken to call deps.verify after create and before deliver (see lib/cli/verify-deps.ts).
  test('a token that never authenticates is revoked and never delivered', async () => {
    const d = new Deployment(admin, 'unverified');
    deployments.push(d);
    const githubCalls = github.server.log.length;
    const response = await fetch(`${emulator.url}/__emulator/pat-activation`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ seconds: 3600 }),
    });
    expect(response.status).toBe(200);
    try {
      d.synth(
        G11,
        (stack) =>
          new AgilityPersonalAccessToken(stack, 'fresh', {
            name: 'fresh',
            expiresAt: '2027-06-30T00:00:00Z',
            sinks: [
              SecretSink.file('secrets/fresh.token'),
              SecretSink.githubActions({ repository: 'acme/web', name: 'FRESH_TOKEN', apiUrl: github.url }),
            ],
          }),
      );
      const result = await d.terraform('apply', followClock(G11), credentials);
      expect(result.code).not.toBe(0);
      expect(result.output).toContain('was not accepted by GET /api/v1/users/me');
      expect(existsSync(join(d.dir, 'secrets/fresh.token'))).toBe(false);
      expect(github.server.log.length).toBe(githubCalls);
      const live = await admin.liveTokens(await d.signIn());
      expect([...live.keys()].filter((n) => n.startsWith('fresh '))).toEqual([]);
      expect(d.findSecrets(everySecret())).toEqual([]);
    } finally {
      await fetch(`${emulator.url}/__emulator/pat-activation`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ seconds: 0 }),
      });
    }
  });
});
