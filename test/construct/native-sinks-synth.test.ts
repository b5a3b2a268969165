/**
 * SecretSink.githubActions / SecretSink.vault and the verify prop at synth: what reaches the hook (sink specs naming
 * credential variables, never values; AGILITY_PAT_VERIFY only when the check is off), and the props refused early.
 */
import { rmSync } from 'node:fs';
import { Testing, TerraformStack } from 'cdktf';
import { AgilityApi, AgilityPersonalAccessToken, AgilityTokenReconciler, SecretSink } from '../../lib';
import { HOOK_ENV, SYNTH_NOW_CONTEXT } from '../../lib/core/hook-contract';

const NOW = '2026-11-28T12:00:00Z';
const outdirs: string[] = [];
afterAll(() => outdirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

interface Provisioner {
  'local-exec': { when?: string; environment: Record<string, string> };
}

function createEnvironment(props: { verify?: boolean; sinks: SecretSink[] }): Record<string, string> {
  const app = Testing.app({ context: { [SYNTH_NOW_CONTEXT]: NOW } });
  outdirs.push(app.outdir);
  const stack = new TerraformStack(app, 'prod');
  AgilityTokenReconciler.configure(stack, { namespace: 'test-project', api: AgilityApi.url('https://mgmt.aglty.io') });
  new AgilityPersonalAccessToken(stack, 'ci', { name: 'ci', expiresAt: '2027-06-30T00:00:00Z', ...props });
  const json = JSON.parse(Testing.synth(stack)) as { resource: Record<string, Record<string, { provisioner?: Provisioner[] }>> };
  const slot = Object.values(json.resource.terraform_data).find((r) =>
    r.provisioner?.some((p) => p['local-exec'].environment[HOOK_ENV.sinks]),
  );
  return slot!.provisioner!.find((p) => p['local-exec'].when === undefined)!['local-exec'].environment;
}

describe('native sinks and verify at synth', () => {
  it('passes the sink specs to the hook, naming credential variables only, and verifies by default', () => {
    const env = createEnvironment({
      sinks: [
        SecretSink.githubActions({ repository: 'acme/web', environment: 'production', name: 'AGILITY_TOKEN', tokenEnv: 'DEPLOY_GH' }),
        SecretSink.vault({ address: 'https://vault.example.com:8200', path: 'ci/agility', namespace: 'team-a' }),
      ],
    });
    expect(JSON.parse(env[HOOK_ENV.sinks].replace(/\$\$\{/g, '${'))).toEqual([
      { kind: 'github-actions', repository: 'acme/web', environment: 'production', name: 'AGILITY_TOKEN', tokenEnv: 'DEPLOY_GH' },
      { kind: 'vault', address: 'https://vault.example.com:8200', path: 'ci/agility', namespace: 'team-a' },
    ]);
    expect(env[HOOK_ENV.verify]).toBeUndefined();
  });

  it('tells the hook to skip verification with verify: false', () => {
    expect(createEnvironment({ verify: false, sinks: [SecretSink.file('x')] })[HOOK_ENV.verify]).toBe('false');
  });

  it.each([
    [() => SecretSink.githubActions({ name: 'X' }), 'exactly one of repository'],
    [() => SecretSink.githubActions({ repository: 'acme/web', organization: 'acme', name: 'X' }), 'exactly one of repository'],
    [() => SecretSink.githubActions({ repository: 'acme', name: 'X' }), 'repository must be "owner/repo"'],
    [() => SecretSink.githubActions({ repository: 'acme/web', name: 'GITHUB_TOKEN' }), 'name must be a GitHub secret name'],
    [() => SecretSink.githubActions({ repository: 'acme/web', name: '1X' }), 'name must be a GitHub secret name'],
    [() => SecretSink.githubActions({ organization: 'acme', environment: 'prod', name: 'X' }), 'environment needs repository'],
    [() => SecretSink.githubActions({ repository: 'acme/web', visibility: 'all', name: 'X' }), 'visibility applies to organization'],
    [() => SecretSink.githubActions({ repository: 'acme/web', name: 'X', apiUrl: 'http://ghe.example.com/api/v3' }), 'must use https'],
    [() => SecretSink.githubActions({ repository: 'acme/web', name: 'X', tokenEnv: 'ghp_notaname!' }), 'tokenEnv must be the NAME'],
    [() => SecretSink.vault({ address: 'http://vault.example.com', path: 'a' }), 'must use https'],
    [() => SecretSink.vault({ address: 'https://vault.example.com', path: '/a' }), 'path must be a Vault secret path'],
    [() => SecretSink.vault({ address: 'https://vault.example.com', path: 'a/../b' }), 'path must be a Vault secret path'],
  ])('refuses %#', (make, message) => {
    expect(make).toThrow(message);
  });
});
