import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { CREDENTIAL_ENV, expectDelivered, hookEnv, liveTokens, managed, runHook, runProgram, useHookSuite } from './hook-harness';

const { emulator, tmp } = useHookSuite();

/** Every path under `dir`, relative to it. */
function walk(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).map((p) => relative(dir, join(dir, p)));
}

describe('shell metacharacters in inputs', () => {
  it('are plain strings: a declared name like $(touch pwned) and command arguments with ; and backticks run nothing', async () => {
    const oauth = (await emulator().signIn('injection@example.com')).access_token!;
    const declaredName = '$(touch pwned)';
    const name = managed(declaredName);
    expect(name).toBe('$(touch pwned) [cdktf:prod~abcdef/g5]');
    const seen = join(tmp(), 'seen.json');
    const file = join(tmp(), 'out', '`touch pwned4`.pat');
    // Records the arguments and the name it was given, exactly as received.
    const record =
      "require('node:fs').writeFileSync(process.argv[1], JSON.stringify({ args: process.argv.slice(2), name: process.env.AGILITY_PAT_NAME }))";
    const args = ['; touch pwned2', '`touch pwned3`', '$(touch pwned5)', '&& touch pwned6 | touch pwned7'];

    const run = await runHook(
      emulator(),
      'create',
      {
        credential: oauth,
        managedName: name,
        declaredName,
        generation: 5,
        sinks: [
          { kind: 'command', argv: [process.execPath, '-e', record, seen, ...args] },
          { kind: 'file', path: file },
        ],
      },
      tmp(),
    );

    expect(run.code).toBe(0);
    expect(JSON.parse(readFileSync(seen, 'utf8'))).toEqual({ args, name: declaredName });
    expect((await liveTokens(emulator(), oauth)).map((t) => t.name)).toEqual([name]);
    await expectDelivered(emulator(), oauth, name, file);
    expect(walk(tmp()).filter((p) => /(^|\/)pwned\d*$/.test(p))).toEqual([]);
    // The file, its delivery record beside it, the command's record: nothing else.
    expect(walk(tmp()).sort()).toEqual(
      ['out', join('out', '`touch pwned4`.pat'), join('out', '.`touch pwned4`.pat.agility-pat.json'), 'seen.json'].sort(),
    );
  });
});

describe('the environment of a command sink', () => {
  it("has the token's name, generation and id, and not the OAuth credential the hook was given", async () => {
    const oauth = (await emulator().signIn('sink-env@example.com')).access_token!;
    const seen = join(tmp(), 'env.json');
    const record = "require('node:fs').writeFileSync(process.argv[1], JSON.stringify(process.env))";

    const run = await runHook(
      emulator(),
      'create',
      {
        credential: oauth,
        managedName: managed('ci'),
        declaredName: 'ci',
        generation: 5,
        sinks: [{ kind: 'command', argv: [process.execPath, '-e', record, seen] }],
      },
      tmp(),
    );

    expect(run.code).toBe(0);
    const env = JSON.parse(readFileSync(seen, 'utf8')) as Record<string, string>;
    expect(env).toMatchObject({ AGILITY_PAT_NAME: 'ci', AGILITY_PAT_MANAGED_NAME: managed('ci'), AGILITY_PAT_GENERATION: '5' });
    expect(env.AGILITY_PAT_TOKEN_ID).toMatch(/^[0-9a-f-]{36}$/);
    expect(env).not.toHaveProperty(CREDENTIAL_ENV);
    expect(Object.values(env)).not.toContain(oauth);
  });
});

describe('a command sink gets no credential at all', () => {
  it('not AGILITY_ACCESS_TOKEN or AGILITY_REFRESH_TOKEN when credentialEnv names another variable, and no copy of any of them, even when a hand-written sink spec lists them', async () => {
    const oauth = (await emulator().signIn('sink-creds@example.com')).access_token!;
    const other = (await emulator().signIn('sink-creds-other@example.com')).access_token!;
    const refresh = 'refresh-token-for-the-sink-test-0123456789';
    const seen = join(tmp(), 'env.json');
    const record = "require('node:fs').writeFileSync(process.argv[1], JSON.stringify(process.env))";
    const inputs = {
      credential: oauth,
      managedName: managed('ci'),
      declaredName: 'ci',
      generation: 5,
      // Synth refuses credentials in env; a sink spec written by hand (plain HCL) still gets none of them.
      sinks: [
        {
          kind: 'command' as const,
          argv: [process.execPath, '-e', record, seen],
          env: ['KEEP_ME', 'AGILITY_ACCESS_TOKEN', 'AGILITY_REFRESH_TOKEN', CREDENTIAL_ENV, 'COPY_OF_CREDENTIAL', 'TF_VAR_agility_token'],
        },
      ],
    };
    const env = {
      ...hookEnv(emulator(), inputs),
      AGILITY_ACCESS_TOKEN: other,
      AGILITY_REFRESH_TOKEN: refresh,
      COPY_OF_CREDENTIAL: oauth,
      TF_VAR_agility_token: other,
      KEEP_ME: 'kept',
    };

    const run = await runProgram(emulator(), ['hook', 'create'], { env, cwd: tmp() });

    expect(run.code).toBe(0);
    const got = JSON.parse(readFileSync(seen, 'utf8')) as Record<string, string>;
    for (const name of [CREDENTIAL_ENV, 'AGILITY_ACCESS_TOKEN', 'AGILITY_REFRESH_TOKEN', 'COPY_OF_CREDENTIAL', 'TF_VAR_agility_token']) {
      expect(got).not.toHaveProperty(name);
    }
    const values = Object.values(got);
    for (const secret of [oauth, other, refresh]) expect(values.some((v) => v.includes(secret))).toBe(false);
    expect(got).toMatchObject({ KEEP_ME: 'kept', AGILITY_PAT_NAME: 'ci' });
  });
});
