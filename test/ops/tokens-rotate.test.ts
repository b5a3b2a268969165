/**
 * `agility-pat tokens rotate` against the emulator: it asks (or needs --yes), refuses what it cannot do before revoking
 * anything, and otherwise leaves the old secrets dead and the sinks (relative to the stack folder, whatever the user's
 * folder) holding a new one that works.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../lib/cli/main';
import { tokensRotate } from '../../lib/cli/commands/tokens';
import { formatManagedName } from '../../lib/core/managed-name';
import type { StackManifest } from '../../lib/core/manifest';
import { validSinks } from '../helpers/deliver';
import { readEnvValueText } from '../../lib/sinks/env-file-format';
import { createToken, useEmulator } from '../emulator/support';
import { authenticates, liveTokens, requireBundle } from '../lifecycle/hook-harness';
import {
  CREDENTIAL_ENV,
  T0,
  T0_MS,
  TAG,
  captureContext,
  deploy,
  manifestOf,
  programEnv,
  runBundle,
  setEmulatorNow,
  writeStack,
} from './support';

const emulator = useEmulator({ now: T0 });
let dir: string;
let access: string;
beforeAll(requireBundle);
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'agility-pat-rotate-'));
  await setEmulatorNow(emulator(), T0_MS);
  access = (await emulator().signIn()).access_token!;
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const CI = (g: number) => formatManagedName({ declaredName: 'ci-deploy', stackTag: TAG, generation: g });

/**
 * `ci-deploy` (generation 1 current, 0 retained) delivered to a file and an env file of the project folder (paths in
 * the manifest are relative to the stack folder, as synth writes them), and `webhook`; all deployed. The user works
 * from another folder, so a sink resolved against it would land elsewhere.
 */
async function deployed() {
  const base = manifestOf(emulator().url, ['rotating', 'fixed-long']);
  const manifest: StackManifest = {
    ...base,
    tokens: base.tokens.map((t) =>
      t.declaredName === 'ci-deploy'
        ? {
            ...t,
            sinks: validSinks([
              { kind: 'file', path: '../../../secrets/ci.token' },
              { kind: 'env-file', path: '../../../.env', key: 'CI_TOKEN' },
            ]),
          }
        : t,
    ),
  };
  const secrets = await deploy(emulator(), access, manifest);
  const stackDir = writeStack(dir, manifest);
  const elsewhere = join(dir, 'elsewhere');
  mkdirSync(elsewhere);
  return { secrets, stackDir, elsewhere };
}

const ctxIn = (cwd: string) => captureContext({ [CREDENTIAL_ENV]: access }, T0_MS, cwd);
const names = async () => (await liveTokens(emulator(), access)).map((t) => t.name).sort();

describe('tokens rotate', () => {
  it('revokes both live generations, delivers a new secret to the sinks from the stack folder, and prints no secret', async () => {
    const { secrets, stackDir, elsewhere } = await deployed();
    const run = await runBundle(emulator(), ['tokens', 'rotate', 'ci-deploy', '--stack', stackDir, '--yes'], {
      env: programEnv(T0_MS, { [CREDENTIAL_ENV]: access }),
      cwd: elsewhere,
    });
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    expect(await authenticates(emulator(), secrets.get(CI(1))!)).toBe(false);
    expect(await authenticates(emulator(), secrets.get(CI(0))!)).toBe(false);
    const fresh = readFileSync(join(dir, 'secrets/ci.token'), 'utf8').trim();
    expect(readEnvValueText(readFileSync(join(dir, '.env'), 'utf8'), 'CI_TOKEN')).toBe(fresh);
    expect(await authenticates(emulator(), fresh)).toBe(true);
    expect([...secrets.values()]).not.toContain(fresh);
    // One live token for the current generation, none for the previous; the other declared token untouched.
    expect((await names()).filter((n) => n.startsWith('ci-deploy'))).toEqual([CI(1)]);
    expect(await authenticates(emulator(), [...secrets.entries()].find(([n]) => n.startsWith('webhook'))![1])).toBe(true);
    const lines = run.stdout.split('\n');
    expect(lines).toContain(`Revoked 2 tokens of "ci-deploy": "${CI(1)}" (1), "${CI(0)}" (1).`);
    const fresh1 = (await liveTokens(emulator(), access)).find((t) => t.name === CI(1))!;
    expect(lines).toContain(`Created "${CI(1)}" (${fresh1.tokenID}), expires ${fresh1.expiryDate}, delivered to 2 sink(s).`);
  });

  it('refuses without a terminal and without --yes, revoking nothing (the bundled program, stdin not a terminal)', async () => {
    const { stackDir } = await deployed();
    const before = await names();
    const run = await runBundle(emulator(), ['tokens', 'rotate', 'ci-deploy', '--stack', stackDir], {
      env: programEnv(T0_MS, { [CREDENTIAL_ENV]: access }),
      cwd: dir,
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /^agility-pat: error \[INVALID_INPUT\] tokens rotate asks for confirmation, and there is no terminal to ask on: pass --yes/,
    );
    expect(await names()).toEqual(before);
  });

  it('asks first; answering no does nothing, yes rotates', async () => {
    const { secrets, stackDir } = await deployed();
    const before = await names();
    const questions: string[] = [];
    const no = ctxIn(dir);
    expect(await tokensRotate(['ci-deploy', '--stack', stackDir], no.ctx, async (q) => (questions.push(q), false))).toBe(0);
    expect(no.stderr()).toBe('agility-pat: nothing rotated.');
    expect(await names()).toEqual(before);
    expect(await authenticates(emulator(), secrets.get(CI(1))!)).toBe(true);
    expect(questions).toEqual([
      `Rotate "ci-deploy" of stack ${TAG} now: revoke its live tokens at once (no overlap), then deliver a new one to its 2 sink(s)? Consumers fail until they read the new secret.`,
    ]);
    expect(await tokensRotate(['ci-deploy', '--stack', stackDir], ctxIn(dir).ctx, async () => true)).toBe(0);
    expect(await authenticates(emulator(), secrets.get(CI(1))!)).toBe(false);
    expect(await authenticates(emulator(), readFileSync(join(dir, 'secrets/ci.token'), 'utf8').trim())).toBe(true);
  });

  it('refuses an undeclared name, listing the declared ones, before asking or revoking', async () => {
    const { stackDir } = await deployed();
    const before = await names();
    const cap = ctxIn(dir);
    const asked: string[] = [];
    expect(await main(['tokens', 'rotate', 'ci', '--stack', stackDir, '--yes'], cap.ctx)).toBe(2);
    expect(cap.stderr()).toMatch(
      /\[INVALID_INPUT\] stack prod~abcdef declares no token named "ci" \(declared: "ci-deploy", "webhook"\): nothing was revoked/,
    );
    expect(await tokensRotate(['ci', '--stack', stackDir], ctxIn(dir).ctx, async (q) => (asked.push(q), true)).catch(() => 'refused')).toBe(
      'refused',
    );
    expect(asked).toEqual([]);
    expect(await names()).toEqual(before);
  });

  it('refuses when a newer generation is live (the manifest is behind), revoking nothing', async () => {
    const { stackDir } = await deployed();
    await createToken(emulator(), access, CI(2));
    const before = await names();
    const cap = ctxIn(dir);
    expect(await main(['tokens', 'rotate', 'ci-deploy', '--manifest', join(stackDir, 'agility-pat-manifest.json'), '-y'], cap.ctx)).toBe(3);
    expect(cap.stderr()).toMatch(/\[CONFIG\] generation 2 of "ci-deploy" is live, newer than the manifest's 1: .*Run cdktf synth again/);
    expect(await names()).toEqual(before);
  });

  it('stops at a safe point on SIGINT (exit 130), revoking nothing when it came before the first revocation', async () => {
    const { secrets, stackDir } = await deployed();
    const before = await names();
    const cap = ctxIn(dir);
    cap.ctx.stops.request('SIGINT');
    expect(await main(['tokens', 'rotate', 'ci-deploy', '--stack', stackDir, '--yes'], cap.ctx)).toBe(130);
    expect(cap.stderr()).toMatch(/\[INTERRUPTED\] stopped by SIGINT at a safe point/);
    expect(await names()).toEqual(before);
    expect(await authenticates(emulator(), secrets.get(CI(1))!)).toBe(true);
  });
});
