import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SinkSpec } from '../../lib/core/sink-spec';
import { parseManifest } from '../../lib/core/manifest';
import { advance, call, createToken } from '../emulator/support';
import {
  CREDENTIAL_ENV,
  STACK_TAG,
  authenticates,
  clearRequests,
  expectDelivered,
  liveTokens,
  managed,
  runHook,
  tokenCalls,
  useHookSuite,
} from './hook-harness';

const { emulator, tmp, signIn } = useHookSuite();

/** One declared token in parseManifest's shape: the current generation (ensure) and, optionally, the previous one (retain). */
function declared(declaredName: string, generation: number, sinks: SinkSpec[], withPrevious = false) {
  const live = [{ managedName: managed(declaredName, generation), generation, role: 'ensure', expiryDate: null }];
  if (withPrevious)
    live.push({ managedName: managed(declaredName, generation - 1), generation: generation - 1, role: 'retain', expiryDate: null });
  return {
    declaredName,
    constructPath: `prod/${declaredName}`,
    currentGeneration: generation,
    currentManagedName: managed(declaredName, generation),
    expiryDate: null,
    nextRotation: null,
    live,
    sinks,
    verify: true,
    retireEarly: null,
    replaces: null,
  };
}

describe('hook reconcile', () => {
  it("revokes only this stack's orphans, leaves other stacks' and unmanaged tokens alone, and recreates a current token revoked out of band", async () => {
    const email = 'reconcile@example.com';
    const rotFile = join(tmp(), 'rot.pat');
    const keepFile = join(tmp(), 'keep.pat');
    const manifest = {
      version: 1,
      stackTag: STACK_TAG,
      apiUrl: emulator().url,
      credentialEnv: CREDENTIAL_ENV,
      tokens: [declared('keep', 0, [{ kind: 'file', path: keepFile }]), declared('rot', 7, [{ kind: 'file', path: rotFile }], true)],
    };
    // The hook must accept what we wrote.
    expect(parseManifest(JSON.stringify(manifest)).tokens).toHaveLength(2);
    const manifestPath = join(tmp(), 'manifest.json');
    writeFileSync(manifestPath, JSON.stringify(manifest));

    let oauth = await signIn(email);
    const keep = await createToken(emulator(), oauth, managed('keep', 0));
    const previous = await createToken(emulator(), oauth, managed('rot', 6));
    const revokedOutOfBand = await createToken(emulator(), oauth, managed('rot', 7));
    expect((await call(emulator(), 'DELETE', `/api/v1/tokens/${revokedOutOfBand.tokenID}/delete`, { token: oauth })).status).toBe(204);
    const orphan = await createToken(emulator(), oauth, managed('gone', 1));
    // Five creations an hour: the rest an hour later, with a fresh access token.
    await advance(emulator(), 3601);
    oauth = await signIn(email);
    const otherStack = await createToken(emulator(), oauth, managed('gone', 1, 'prod~123456'));
    const unmanaged = await createToken(emulator(), oauth, 'hand-made');
    const malformed = await createToken(emulator(), oauth, 'gone [cdktf:prod~abcdef]');
    await clearRequests(emulator());

    const run = await runHook(emulator(), 'reconcile', { credential: oauth, manifest: 'manifest.json' }, tmp());

    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /reconciled stack prod~abcdef: 1 orphan\(s\) revoked, 1 token\(s\) recreated, 0 cleaned up, 0 retired early, 0 replaced token\(s\) revoked, 2 declared/,
    );
    expect(await tokenCalls(emulator(), email)).toEqual([
      'GET /api/v1/tokens/list 200',
      'DELETE /api/v1/tokens/{id}/delete 204',
      'GET /api/v1/tokens/list 200',
      'POST /api/v1/tokens/create 201',
      'PUT /api/v1/tokens/{id}/update 200',
    ]);
    expect(await authenticates(emulator(), orphan.token)).toBe(false);
    for (const t of [keep, previous, otherStack, unmanaged, malformed]) expect(await authenticates(emulator(), t.token)).toBe(true);
    expect((await liveTokens(emulator(), oauth)).map((t) => t.name).sort()).toEqual(
      [
        managed('keep', 0),
        managed('rot', 6),
        managed('rot', 7),
        managed('gone', 1, 'prod~123456'),
        'hand-made',
        'gone [cdktf:prod~abcdef]',
      ].sort(),
    );
    await expectDelivered(emulator(), oauth, managed('rot', 7), rotFile);
    // A declared token that is live is not touched, so nothing is delivered for it.
    expect(existsSync(keepFile)).toBe(false);
  });

  it('fails with exit 3 naming the file when the manifest cannot be read', async () => {
    const oauth = await signIn('reconcile-missing@example.com');
    const run = await runHook(emulator(), 'reconcile', { credential: oauth, manifest: 'missing.json' }, tmp());
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/^agility-pat: error \[CONFIG\] cannot read the stack manifest .*missing\.json \(ENOENT\)/);
  });
});
