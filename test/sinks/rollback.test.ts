import * as dotenv from 'dotenv';
import { chmod, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { hasErrorCode, type AgilityPatError } from '../../lib/core/errors';
import type { SinkSpec } from '../../lib/core/sink-spec';
import { deliverSecret } from '../helpers/deliver';
import { CTX, SECRET, perms, useTempDir } from './fixtures';

const FAILING: SinkSpec = { kind: 'command', argv: [process.execPath, '-e', 'process.exit(9)'] };

const sinkFailure = async (promise: Promise<unknown>): Promise<AgilityPatError> => {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!hasErrorCode(error, 'SINK_FAILED')) throw new Error(`expected a SinkError, got ${String(error)}`);
  return error;
};

describe('all-or-nothing delivery', () => {
  const tmp = useTempDir();

  it('removes a file that did not exist and restores an env file when a later command fails', async () => {
    const fileA = join(tmp(), 'new', 'pat.txt');
    const envB = join(tmp(), '.env');
    const envBefore = '# keep me\r\nAGILITY_PAT=previous-secret\r\nOTHER=1';
    await writeFile(envB, envBefore, { mode: 0o600 });

    const error = await sinkFailure(
      deliverSecret(SECRET, [{ kind: 'file', path: fileA }, { kind: 'env-file', path: envB, key: 'AGILITY_PAT' }, FAILING], CTX),
    );

    expect(error.message).toContain(`could not deliver the secret of "${CTX.managedName}" to command ${process.execPath}: `);
    expect(error.message).toContain('exited with code 9');
    expect(error.message).toContain('The sinks before it were restored.');
    expect(error.details).toMatchObject({ sink: `command ${process.execPath}`, index: 2, exitCode: 9 });
    expect(await readFile(envB, 'utf8')).toBe(envBefore);
    expect(perms((await stat(envB)).mode)).toBe(0o600);
    await expect(stat(fileA)).rejects.toMatchObject({ code: 'ENOENT' });
    // The directory created for A is gone too, and no temporary file is left. The previous value's record says it
    // belongs to no known token (docs/design.md, "Many machines, one writer").
    expect((await readdir(tmp())).sort()).toEqual(['..env.AGILITY_PAT.agility-pat.json', '.env']);
    expect(JSON.parse(await readFile(join(tmp(), '..env.AGILITY_PAT.agility-pat.json'), 'utf8')).tokenId).toBe('');
  });

  it('undoes only its own key of a shared env file: a key another token wrote meanwhile survives the rollback', async () => {
    const env = join(tmp(), '.env');
    await writeFile(env, 'MINE=previous\nTHEIRS=old\n', { mode: 0o600 });
    // The failing sink stands for another hook delivering into the same file before this delivery fails.
    const otherHookThenFail: SinkSpec = {
      kind: 'command',
      argv: [
        process.execPath,
        '-e',
        `const fs=require('fs');const p=${JSON.stringify(env)};fs.writeFileSync(p,fs.readFileSync(p,'utf8').replace('THEIRS=old','THEIRS=new-from-another-token'));process.exit(9)`,
      ],
    };

    await sinkFailure(deliverSecret(SECRET, [{ kind: 'env-file', path: env, key: 'MINE' }, otherHookThenFail], CTX));

    expect(await readFile(env, 'utf8')).toBe('MINE=previous\nTHEIRS=new-from-another-token\n');
  });

  it('leaves a key alone on rollback when another delivery has replaced it since', async () => {
    const env = join(tmp(), '.env');
    await writeFile(env, 'MINE=previous\n', { mode: 0o600 });
    const replacedThenFail: SinkSpec = {
      kind: 'command',
      argv: [process.execPath, '-e', `require('fs').writeFileSync(${JSON.stringify(env)},'MINE=newer-delivery\\n');process.exit(9)`],
    };

    await sinkFailure(deliverSecret(SECRET, [{ kind: 'env-file', path: env, key: 'MINE' }, replacedThenFail], CTX));

    expect(await readFile(env, 'utf8')).toBe('MINE=newer-delivery\n');
  });

  it('restores the previous content and mode of an existing file', async () => {
    const fileA = join(tmp(), 'pat.txt');
    await writeFile(fileA, 'older-secret', { mode: 0o644 });

    await sinkFailure(deliverSecret(SECRET, [{ kind: 'file', path: fileA }, FAILING], CTX));

    expect(await readFile(fileA, 'utf8')).toBe('older-secret');
    expect(perms((await stat(fileA)).mode)).toBe(0o644);
  });

  it('rolls back two entries of the same env file in reverse order', async () => {
    const env = join(tmp(), '.env');
    await writeFile(env, 'FIRST=old\n', { mode: 0o600 });

    await sinkFailure(
      deliverSecret(SECRET, [{ kind: 'env-file', path: env, key: 'FIRST' }, { kind: 'env-file', path: env, key: 'SECOND' }, FAILING], CTX),
    );

    expect(await readFile(env, 'utf8')).toBe('FIRST=old\n');
  });

  it('rolls back earlier file sinks when a later file sink is refused', async () => {
    const fileA = join(tmp(), 'pat.txt');
    const notADir = join(tmp(), 'plain');
    await writeFile(notADir, 'x');

    const error = await sinkFailure(
      deliverSecret(
        SECRET,
        [
          { kind: 'file', path: fileA },
          { kind: 'file', path: join(notADir, 'pat.txt') },
        ],
        CTX,
      ),
    );

    expect(error.details).toMatchObject({ sink: `file ${join(notADir, 'pat.txt')}`, index: 1 });
    await expect(stat(fileA)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('says that a command sink which already ran cannot be undone', async () => {
    const fileB = join(tmp(), 'pat.txt');
    const ran = join(tmp(), 'ran.txt');
    const first: SinkSpec = { kind: 'command', argv: [process.execPath, '-e', "require('fs').writeFileSync(process.argv[1], 'yes')", ran] };

    const error = await sinkFailure(deliverSecret(SECRET, [first, { kind: 'file', path: fileB }, FAILING], CTX));

    expect(await readFile(ran, 'utf8')).toBe('yes');
    await expect(stat(fileB)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(error.message).toContain(`Sinks that already took the secret and cannot be undone: command ${process.execPath}.`);
  });

  it('delivers nothing when any spec is invalid (parsed at the boundary)', async () => {
    const fileA = join(tmp(), 'pat.txt');
    const error = await deliverSecret(
      SECRET,
      [
        { kind: 'file', path: fileA },
        { kind: 'env-file', path: join(tmp(), '.env'), key: '1BAD' },
      ],
      CTX,
    ).catch((e: unknown) => e);

    expect(hasErrorCode(error, 'INVALID_INPUT')).toBe(true);
    expect((error as Error).message).toContain('sinks[1].key');
    expect(await readdir(tmp())).toEqual([]);
  });

  it('refuses an empty secret before delivering anything', async () => {
    const error = await deliverSecret('', [{ kind: 'file', path: join(tmp(), 'pat.txt') }], CTX).catch((e: unknown) => e);
    expect(hasErrorCode(error, 'INVALID_INPUT')).toBe(true);
    expect(await readdir(tmp())).toEqual([]);
  });
});

describe('a secret never lands in a readable env file', () => {
  const tmp = useTempDir();
  const SECRET_B = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJiIn0.c2VjcmV0LW9mLWI';
  const CTX_B = { ...CTX, managedName: 'b [cdktf:prod~3fa9c1/g1]', declaredName: 'b' };

  /** Token A writes its key, token B writes its key, then A's command sink fails and A undoes its write. */
  async function scenario(env: string, between: () => Promise<void> = async () => undefined): Promise<unknown[]> {
    const outcomes: unknown[] = [];
    const gate = join(tmp(), 'a-may-fail');
    const waitThenFail = `const fs=require('fs');const t=setInterval(()=>{if(fs.existsSync(${JSON.stringify(gate)})){clearInterval(t);process.exit(9)}},20)`;
    const a = deliverSecret(
      SECRET,
      [
        { kind: 'env-file', path: env, key: 'A_TOKEN' },
        { kind: 'command', argv: [process.execPath, '-e', waitThenFail] },
      ],
      CTX,
    ).then(
      () => outcomes.push('a delivered'),
      (e: unknown) => outcomes.push(e),
    );
    // B writes once A's write is there (or A was refused).
    for (let i = 0; i < 200 && !(await readFile(env, 'utf8').catch(() => '')).includes('A_TOKEN') && outcomes.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    await deliverSecret(SECRET_B, [{ kind: 'env-file', path: env, key: 'B_TOKEN' }], CTX_B).then(
      () => outcomes.push('b delivered'),
      (e: unknown) => outcomes.push(e),
    );
    await between();
    await writeFile(gate, '');
    await a;
    return outcomes;
  }

  it('a shared env file that already existed with mode 0644 is refused, so no secret ends up in it', async () => {
    const env = join(tmp(), '.env');
    await writeFile(env, 'REGION=eu\n', { mode: 0o644 });
    await chmod(env, 0o644);
    await scenario(env);
    const text = await readFile(env, 'utf8');
    const mode = perms((await stat(env)).mode);
    // Whatever was delivered, a file holding a secret is 0600.
    if (text.includes(SECRET) || text.includes(SECRET_B)) expect(mode).toBe(0o600);
    expect(text).toBe('REGION=eu\n');
  });

  it("after A's undo, B's live secret is in a 0600 file, even when the mode was widened in between", async () => {
    const env = join(tmp(), '.env');
    await writeFile(env, 'REGION=eu\n', { mode: 0o600 });
    const outcomes = await scenario(env, () => chmod(env, 0o644));
    expect(outcomes.filter((o) => typeof o !== 'string').map((e) => (e as AgilityPatError).code)).toEqual(['SINK_FAILED']);
    expect(dotenv.parse(await readFile(env))).toEqual({ REGION: 'eu', B_TOKEN: SECRET_B });
    expect(perms((await stat(env)).mode)).toBe(0o600);
  });
});
