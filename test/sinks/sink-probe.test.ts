/**
 * Reading the destinations back (docs/design.md, "Many machines, one writer"): each sink kind against what a real
 * delivery left there, and against the ways it can hold something else. No probe ever sees or sends the secret: the
 * stand-ins log every request, and the file probes read the delivery record beside the file.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { GitHubActionsSinkSpec, SinkSpec, VaultSinkSpec } from '../../lib/core/sink-spec';
import { deliverSecret } from '../helpers/deliver';
import { deliveryRecordPath } from '../../lib/sinks/delivery-record';
import { DELIVERY_WINDOW_MS, probeSinks, PROBE_CLOCK_SKEW_MS, type ProbedToken } from '../../lib/sinks/sink-probe';
import { CTX, GITHUB_TOKEN, SECRET, useNativeStandIns, useTempDir, VAULT_TOKEN } from './fixtures';

const OTHER = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJvdGhlciJ9.b3RoZXItc2lnbmF0dXJl';
const tmp = useTempDir();
const standIns = useNativeStandIns(['acme/web', 'org:acme']);

const env = { GITHUB_TOKEN, VAULT_TOKEN };
/** The delivered token as Agility lists it: created just now (the stand-ins' clock is the wall clock). */
const token = (createdMs = Date.now() - 1_000, tokenID = CTX.tokenId): ProbedToken => ({
  tokenID,
  createdDate: new Date(createdMs).toISOString(),
});
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
const probe = async (sinks: SinkSpec[], t = token()) => (await probeSinks(sinks, t, { cwd: tmp(), env })).map((p) => [p.state, p.why]);

describe('file and env-file probes', () => {
  const file: SinkSpec = { kind: 'file', path: 'out/ci.pat' };
  const envFile: SinkSpec = { kind: 'env-file', path: '.env', key: 'CI_TOKEN' };

  it('hold: the bytes match the delivery record of this token', async () => {
    await deliverSecret(SECRET, [file, envFile], CTX, { cwd: tmp() });
    expect(await probe([file, envFile])).toEqual([
      ['holds', 'matches its delivery record'],
      ['holds', 'matches its delivery record'],
    ]);
    // The record holds no secret, only the token id and a fingerprint.
    const record = await readFile(deliveryRecordPath(join(tmp(), 'out', 'ci.pat')), 'utf8');
    expect(record).not.toContain(SECRET);
    expect(record).toContain(CTX.tokenId);
  });

  it('drift: changed since, gone, another token delivered last, or the env key removed', async () => {
    await deliverSecret(SECRET, [file, envFile], CTX, { cwd: tmp() });
    await writeFile(join(tmp(), 'out', 'ci.pat'), OTHER);
    await writeFile(join(tmp(), '.env'), 'OTHER=1\n');
    expect(await probe([file, envFile])).toEqual([
      ['drift', 'it no longer holds what was delivered (changed since)'],
      ['drift', `${join(tmp(), '.env')} has no CI_TOKEN`],
    ]);
    await rm(join(tmp(), 'out', 'ci.pat'));
    expect(await probe([file])).toEqual([['drift', `${join(tmp(), 'out', 'ci.pat')} does not exist`]]);
    // Another token's delivery, recorded: the live token is not what the file holds.
    await deliverSecret(OTHER, [file], { ...CTX, tokenId: 'tok-other' }, { cwd: tmp() });
    expect(await probe([file])).toEqual([['drift', 'its last recorded delivery is of another token (tok-other)']]);
  });

  it('drift: a file without a record (written by hand, or before records were kept) cannot be shown to hold the token', async () => {
    await deliverSecret(SECRET, [file], CTX, { cwd: tmp() });
    await rm(deliveryRecordPath(join(tmp(), 'out', 'ci.pat')));
    expect(await probe([file])).toEqual([['drift', 'no delivery record beside it, so it cannot be shown to hold the live token']]);
  });

  it('drift: a value put back by an undo over no record belongs to no known token', async () => {
    // 0600, as the env-file sink requires of a file it did not create (docs/sinks.md, "Env files").
    await writeFile(join(tmp(), '.env'), `CI_TOKEN=${OTHER}\n`, { mode: 0o600 });
    const failing: SinkSpec = { kind: 'command', argv: [process.execPath, '-e', 'process.exit(3)'] };
    await expect(deliverSecret(SECRET, [envFile, failing], CTX, { cwd: tmp() })).rejects.toThrow(/exited with code 3/);
    expect(await readFile(join(tmp(), '.env'), 'utf8')).toBe(`CI_TOKEN=${OTHER}\n`);
    expect(await probe([envFile])).toEqual([['drift', 'it holds what was put back when a delivery was taken back (no known token)']]);
  });

  it('an undo puts the record back with the file: after a later sink fails, the previous delivery is what the probe finds', async () => {
    await deliverSecret(OTHER, [file], { ...CTX, tokenId: 'tok-before' }, { cwd: tmp() });
    const failing: SinkSpec = { kind: 'command', argv: [process.execPath, '-e', 'process.exit(3)'] };
    await expect(deliverSecret(SECRET, [file, failing], CTX, { cwd: tmp() })).rejects.toThrow(/exited with code 3/);
    expect(await probe([file], token(Date.now(), 'tok-before'))).toEqual([['holds', 'matches its delivery record']]);
  });

  it('command sinks are never checked: a program cannot be asked', async () => {
    expect(await probe([{ kind: 'command', argv: ['true'] }])).toEqual([
      ['unchecked', 'a command cannot be asked what it did with the secret'],
    ]);
  });
});

describe('github-actions probe: the secret updated_at against the token', () => {
  it('holds when written during the delivery; drift when gone, written before the token existed, or long after', async () => {
    await deliverSecret(SECRET, [gh(), gh({ repository: undefined, organization: 'acme' })], CTX, { env });
    expect(await probe([gh(), gh({ repository: undefined, organization: 'acme' })])).toEqual([
      ['holds', "the secret was last written during the token's delivery"],
      ['holds', "the secret was last written during the token's delivery"],
    ]);
    expect(await probe([gh({ name: 'NEVER_WRITTEN' })])).toEqual([['drift', 'the secret does not exist']]);
    const [[before]] = await probe([gh()], token(Date.now() + PROBE_CLOCK_SKEW_MS + 5_000));
    expect(before).toBe('drift');
    const [[after, why]] = await probe([gh()], token(Date.now() - DELIVERY_WINDOW_MS - 5_000));
    expect([after, why]).toEqual(['drift', expect.stringMatching(/after the token's delivery \(someone else wrote it\)$/)]);
    // One GET per probe, never a PUT; the secret is in no request (the stand-in would hold it in a violation).
    expect(standIns.github.server.log.filter((e) => e.method === 'GET' && !e.path.endsWith('public-key')).map((e) => e.status)).toEqual([
      200, 200, 404, 200, 200,
    ]);
  });

  it('unchecked when the GitHub token is not where status runs', async () => {
    const [p] = await probeSinks([gh()], token(), { cwd: tmp(), env: {} });
    expect(p).toEqual({
      sink: 'github-actions acme/web (AGILITY_TOKEN)',
      state: 'unchecked',
      why: 'GITHUB_TOKEN is not set where this runs',
    });
  });
});

describe('vault probe: the field and the version time', () => {
  it('holds when the current version was written since the token was created; drift when the field or secret is gone, or older', async () => {
    await deliverSecret(SECRET, [kv()], CTX, { env });
    expect(await probe([kv()])).toEqual([['holds', 'its current version was written after the token was created']]);
    expect(await probe([kv({ field: 'other' })])).toEqual([['drift', 'the field other is not there']]);
    expect(await probe([kv({ path: 'nothing/here' })])).toEqual([['drift', 'the field token is not there']]);
    const [[older]] = await probe([kv()], token(Date.now() + PROBE_CLOCK_SKEW_MS + 5_000));
    expect(older).toBe('drift');
  });
});
