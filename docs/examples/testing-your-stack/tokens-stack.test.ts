/**
 * How a user tests their own stack (docs/testing.md): synth assertions through cdktf's `Testing`, and
 * one real deploy with Terraform against the emulator the testing kit starts in-process. Imports are the package's
 * public entry points, exactly as in a user's repo.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { App, Testing } from 'cdktf';
import { AgilityApi, Duration, SYNTH_NOW_CONTEXT } from 'agility-pat-cdktf';
import { startTestEmulator, type TestEmulator } from 'agility-pat-cdktf/testing';
import { setupJest } from 'cdktf/lib/testing/adapters/jest';
import { TokensStack } from './tokens-stack';

setupJest(); // cdktf's matchers: toHaveResource, toHaveResourceWithProperties, toBeValidTerraform, ...

jest.setTimeout(180_000);

describe('synth', () => {
  test('each token gets its hook-carrying slots, and the managed names carry the generation', () => {
    // Synth as of a fixed instant: the cdktf context value agility-pat:now.
    const app = Testing.app({ context: { [SYNTH_NOW_CONTEXT]: '2026-11-28T12:00:00Z' } });
    const stack = new TokensStack(app, 'tokens', { api: AgilityApi.url('https://mgmt.aglty.io') });
    const synthesized = Testing.synth(stack);
    expect(synthesized).toHaveResource({ tfResourceType: 'terraform_data' });
    // Each slot runs the bundled hook program with node, at create and at destroy.
    const commands = Object.values(JSON.parse(synthesized).resource.terraform_data as Record<string, { provisioner: object[] }>)
      .flatMap((r) => r.provisioner)
      .map((p) => (p as { 'local-exec': { command: string } })['local-exec'].command);
    expect(commands).toEqual(expect.arrayContaining([expect.stringMatching(/^node ".*agility-pat\.js" hook create$/)]));
    expect(stack.ci.currentManagedName).toMatch(/^ci-deploy \[cdktf:tokens~[0-9a-f]{6}\/g\d+\]$/);
    expect(stack.preview.currentManagedName).toMatch(/^preview-site \[cdktf:tokens~[0-9a-f]{6}\/g0\]$/);
    // No secret and no credential in the configuration: only the name of the variable that holds it.
    expect(synthesized).not.toMatch(/eyJ/);
    expect(synthesized).toContain('AGILITY_ACCESS_TOKEN');
  });
});

describe('a real deploy against the emulator', () => {
  let emulator: TestEmulator;
  let dir: string;
  beforeAll(async () => {
    emulator = await startTestEmulator({ now: '2026-11-28T12:00:00Z' });
    dir = mkdtempSync(join(tmpdir(), 'tokens-stack-test-'));
  });
  afterAll(async () => {
    await emulator.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Synthesizes the stack as of the emulator's clock (its synthContext) and applies it. */
  async function terraform(verb: 'apply' | 'destroy'): Promise<void> {
    const app = new App({ outdir: join(dir, 'cdktf.out'), context: emulator.synthContext() });
    new TokensStack(app, 'tokens', { api: AgilityApi.url(emulator.url), secretsDir: join(dir, 'secrets') });
    app.synth();
    // env() signs in again each time (access tokens expire one hour of emulator time after sign-in), and carries
    // AGILITY_PAT_NOW, the emulator's clock, to the hooks.
    const env = { ...process.env, ...(await emulator.env()) };
    const cwd = join(dir, 'cdktf.out', 'stacks', 'tokens');
    for (const args of [
      ['init', '-input=false'],
      [verb, '-auto-approve', '-input=false'],
    ]) {
      // Asynchronously: the emulator answers from this very process, so a spawnSync would block it.
      await promisify(execFile)('terraform', [...args, '-no-color'], { cwd, env }).catch((e) => {
        throw new Error(`terraform ${args[0]} failed:\n${e.stdout}${e.stderr}`);
      });
    }
  }

  const liveNames = async () => (await emulator.liveTokens()).map((t) => t.name).sort();

  test('deploy delivers both tokens, a week later rotates ci-deploy, destroy revokes everything', async () => {
    await terraform('apply');
    const first = readFileSync(join(dir, 'secrets', 'ci-deploy.token'), 'utf8');
    expect(await emulator.authenticates(first)).toBe(true);
    expect(readFileSync(join(dir, 'secrets', 'preview.env'), 'utf8')).toMatch(/^AGILITY_PREVIEW_TOKEN=/m);
    const before = await liveNames();
    expect(before).toHaveLength(2);

    await emulator.advance(Duration.days(7));
    await emulator.clearRequests();
    await terraform('apply');
    const rotated = readFileSync(join(dir, 'secrets', 'ci-deploy.token'), 'utf8');
    expect(rotated).not.toBe(first);
    expect(await emulator.tokenCalls()).toContain('POST /api/v1/tokens/create 201');
    // The previous generation stays live for one more period (overlap): three tokens now.
    expect(await liveNames()).toEqual(expect.arrayContaining(before));
    expect(await liveNames()).toHaveLength(3);

    await terraform('destroy');
    expect(await liveNames()).toEqual([]);
    expect(await emulator.authenticates(rotated)).toBe(false);
  });

  test('a failing API fails the deploy, and the next deploy converges', async () => {
    await emulator.reset();
    await emulator.injectFault({ method: 'POST', path: '/api/v1/tokens/create', status: 503, times: 10 });
    await expect(terraform('apply')).rejects.toThrow(/terraform apply failed/);
    expect(await liveNames()).toEqual([]);
    await emulator.clearFaults();
    await terraform('apply');
    expect(await liveNames()).toHaveLength(2);
    await terraform('destroy');
  });
});
