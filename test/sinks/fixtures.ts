import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DeliveryContext } from '../../lib/sinks';
import { GitHubStandIn } from '../helpers/github-stand-in';
import { VaultStandIn } from '../helpers/vault-stand-in';

/** A JWT-shaped fake secret (Agility PATs are JWTs). */
export const SECRET = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJzaW5rLXRlc3QifQ.c2lnbmF0dXJlLW5vdC1yZWFs';

export const CTX: DeliveryContext = {
  declaredName: 'ci-deploy',
  managedName: 'ci-deploy [cdktf:prod~3fa9c1/g2931]',
  expiryDate: '2027-01-31T00:00:00.000Z',
  generation: 2931,
  tokenId: 'tok-42',
};

/** A fresh temporary directory per test, removed afterwards. */
export function useTempDir(): () => string {
  let dir = '';
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'agility-pat-sinks-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  return () => dir;
}

/** The permission bits of a mode. */
export const perms = (mode: number): number => mode & 0o777;

/** The credentials the GitHub and Vault stand-ins accept. */
export const GITHUB_TOKEN = 'ghp_standInToken0123456789abcdefABCDEF';
export const VAULT_TOKEN = 'hvs.standInVaultToken0123456789';

/**
 * A GitHub stand-in (with these scopes) and a Vault stand-in per test, each checked after the test for requests that
 * break its fixture.
 */
export function useNativeStandIns(githubScopes: readonly string[]): { github: GitHubStandIn; vault: VaultStandIn } {
  const standIns = {} as { github: GitHubStandIn; vault: VaultStandIn };
  beforeEach(async () => {
    standIns.github = await GitHubStandIn.start(GITHUB_TOKEN, githubScopes);
    standIns.vault = await VaultStandIn.start(VAULT_TOKEN);
  });
  afterEach(async () => {
    expect(standIns.github.server.violations).toEqual([]);
    expect(standIns.vault.server.violations).toEqual([]);
    await standIns.github.close();
    await standIns.vault.close();
  });
  return standIns;
}
