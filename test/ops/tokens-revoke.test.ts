import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../lib/cli/main';
import { tokensRevoke } from '../../lib/cli/commands/tokens';
import { createToken, useEmulator } from '../emulator/support';
import { liveTokens, requireBundle } from '../lifecycle/hook-harness';
import { T0, T0_MS, captureContext, programEnv, runBundle } from './support';

const emulator = useEmulator({ now: T0 });
let dir: string;
let access: string;
const OURS = 'ci [cdktf:prod~abcdef/g3]';
const THEIRS = 'ci [cdktf:staging~123456/g0]';
beforeAll(requireBundle);
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'agility-pat-revoke-'));
  access = (await emulator().signIn()).access_token!;
  for (const name of [OURS, THEIRS, 'laptop']) await createToken(emulator(), access, name);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const names = async () => (await liveTokens(emulator(), access)).map((t) => t.name).sort();
const ctxFor = () => captureContext({ AGILITY_ACCESS_TOKEN: access, AGILITY_API_URL: emulator().url }, T0_MS, dir);

describe('tokens revoke', () => {
  it('revokes a managed token of the named stack and an unmanaged one by id, and prints what it revoked', async () => {
    const laptop = (await liveTokens(emulator(), access)).find((t) => t.name === 'laptop')!;
    const cap = ctxFor();
    expect(await main(['tokens', 'revoke', OURS, laptop.tokenID, '--yes', '--stack-tag', 'prod~abcdef'], cap.ctx)).toBe(0);
    expect(await names()).toEqual([THEIRS]);
    expect(cap.out).toEqual([
      expect.stringMatching(/^Revoked "ci \[cdktf:prod~abcdef\/g3\]" \([0-9a-f-]{36}\), managed by stack prod~abcdef\.$/),
      `Revoked "laptop" (${laptop.tokenID}).`,
    ]);
  });

  it("refuses another stack's token unless --any-stack, revoking nothing", async () => {
    const cap = ctxFor();
    expect(await main(['tokens', 'revoke', 'laptop', THEIRS, '--yes', '--stack-tag', 'prod~abcdef'], cap.ctx)).toBe(2);
    expect(cap.stderr()).toMatch(
      /\[INVALID_INPUT\] "ci \[cdktf:staging~123456\/g0\]" is managed by the stack staging~123456, not by --stack-tag prod~abcdef: nothing was revoked/,
    );
    expect(await names()).toEqual(['ci [cdktf:prod~abcdef/g3]', THEIRS, 'laptop'].sort());
    // Without any stack flag, every managed token is refused.
    expect(await main(['tokens', 'revoke', OURS, '--yes'], ctxFor().ctx)).toBe(2);
    expect(await main(['tokens', 'revoke', THEIRS, '--yes', '--any-stack'], ctxFor().ctx)).toBe(0);
    expect(await names()).toEqual([OURS, 'laptop'].sort());
  });

  it('revokes nothing when one reference matches no token (NOT_FOUND)', async () => {
    const cap = ctxFor();
    expect(await main(['tokens', 'revoke', 'laptop', 'no-such-token', '--yes'], cap.ctx)).toBe(7);
    expect(cap.stderr()).toMatch(/\[NOT_FOUND\] no token with the id or name "no-such-token"/);
    expect(await names()).toContain('laptop');
  });

  it('asks before revoking, and does nothing when the answer is no', async () => {
    const questions: string[] = [];
    const no = ctxFor();
    expect(await tokensRevoke(['laptop'], no.ctx, async (q) => (questions.push(q), false))).toBe(0);
    expect(no.stderr()).toBe('agility-pat: nothing revoked.');
    expect(await names()).toContain('laptop');
    const yes = ctxFor();
    expect(await tokensRevoke(['laptop'], yes.ctx, async (q) => (questions.push(q), true))).toBe(0);
    expect(await names()).not.toContain('laptop');
    expect(questions[0]).toMatch(/^Revoke 1 token: "laptop" \([0-9a-f-]{36}\)\? This cannot be undone\.$/);
  });

  it('refuses without a terminal and without --yes (the bundled program, stdin not a terminal)', async () => {
    const run = await runBundle(emulator(), ['tokens', 'revoke', 'laptop', '--api-url', emulator().url], {
      env: programEnv(T0_MS, { AGILITY_ACCESS_TOKEN: access }),
      cwd: dir,
    });
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(
      /^agility-pat: error \[INVALID_INPUT\] tokens revoke asks for confirmation, and there is no terminal to ask on: pass --yes/,
    );
    expect(await names()).toContain('laptop');
  });
});
