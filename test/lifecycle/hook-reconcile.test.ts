import { readFileSync, writeFileSync } from 'node:fs';
import { deliverSecret } from '../helpers/deliver';
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
    // keep's create hook delivered it (with its delivery record), so the drift check finds its sink holding it.
    await deliverSecret(keep.token, [{ kind: 'file', path: keepFile }], {
      declaredName: 'keep',
      managedName: managed('keep', 0),
      generation: 0,
      expiryDate: keep.expiryDate,
      tokenId: keep.tokenID,
    });
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
    // A declared token that is live and whose sink holds it is not touched: nothing is delivered for it.
    expect(readFileSync(keepFile, 'utf8')).toBe(keep.token);
  });

  it('the drift check replaces a live token whose sink holds something else, and leaves alone one whose sink holds it', async () => {
    const email = 'reconcile-drift@example.com';
    const files = { drifted: join(tmp(), 'drifted.pat'), fine: join(tmp(), 'fine.pat') };
    const manifest = {
      version: 1,
      stackTag: STACK_TAG,
      apiUrl: emulator().url,
      credentialEnv: CREDENTIAL_ENV,
      tokens: [declared('drifted', 0, [{ kind: 'file', path: files.drifted }]), declared('fine', 0, [{ kind: 'file', path: files.fine }])],
    };
    writeFileSync(join(tmp(), 'manifest.json'), JSON.stringify(manifest));
    const oauth = await signIn(email);
    const tokens: Record<string, { token: string; tokenID: string; expiryDate: string }> = {};
    for (const name of ['drifted', 'fine'] as const) {
      tokens[name] = await createToken(emulator(), oauth, managed(name, 0));
      const info = { declaredName: name, managedName: managed(name, 0), generation: 0 };
      await deliverSecret(tokens[name].token, [{ kind: 'file', path: files[name] }], {
        ...info,
        expiryDate: tokens[name].expiryDate,
        tokenId: tokens[name].tokenID,
      });
    }
    // Someone (another writer that lost, a person) puts something else where the drifted token was delivered.
    writeFileSync(files.drifted, 'something else');

    const run = await runHook(emulator(), 'reconcile', { credential: oauth, manifest: 'manifest.json' }, tmp());

    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`"${managed('drifted', 0)}" is live, but file ${files.drifted}: it no longer holds what was delivered`);
    expect(run.stdout).toMatch(/1 token\(s\) recreated/);
    expect(await authenticates(emulator(), tokens.drifted.token)).toBe(false);
    const fresh = await expectDelivered(emulator(), oauth, managed('drifted', 0), files.drifted);
    expect(fresh).not.toBe(tokens.drifted.token);
    expect(readFileSync(files.fine, 'utf8')).toBe(tokens.fine.token);
    expect(await authenticates(emulator(), tokens.fine.token)).toBe(true);
  });

  it('fails with exit 3 naming the file when the manifest cannot be read', async () => {
    const oauth = await signIn('reconcile-missing@example.com');
    const run = await runHook(emulator(), 'reconcile', { credential: oauth, manifest: 'missing.json' }, tmp());
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/^agility-pat: error \[CONFIG\] cannot read the stack manifest .*missing\.json \(ENOENT\)/);
  });
});
