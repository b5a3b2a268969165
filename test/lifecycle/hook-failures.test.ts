import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { advance, createToken } from '../emulator/support';
import {
  ciInputs,
  clearRequests,
  liveNamed,
  liveTokens,
  managed,
  runHook,
  tokenCalls,
  useHookSuite,
  type ProgramRun,
} from './hook-harness';

const { emulator, tmp, signIn } = useHookSuite();

/** The single error line of a failed run. */
function errorLines(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l.startsWith('agility-pat: error ['));
}

/** Runs `hook create` for `ci [cdktf:prod~abcdef/g5]`, with no sink, as `credential`. */
function createCi(credential: string) {
  return runHook(emulator(), 'create', ciInputs(credential), tmp());
}

/** Checks that the run exited with `exitCode` and printed exactly one error line, of `code`; returns that line. */
function onlyErrorLine(run: ProgramRun, exitCode: number, code: string): string {
  expect(run.code).toBe(exitCode);
  const lines = errorLines(run.stderr);
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(new RegExp(`^agility-pat: error \\[${code}\\] `));
  return lines[0];
}

describe('a failed delivery', () => {
  it('exits 13 and revokes the new token when a command sink exits non-zero', async () => {
    const email = 'sink-command@example.com';
    const oauth = await signIn(email);
    const name = managed('ci');
    await clearRequests(emulator());

    const run = await runHook(
      emulator(),
      'create',
      {
        credential: oauth,
        managedName: name,
        declaredName: 'ci',
        generation: 5,
        sinks: [{ kind: 'command', argv: [process.execPath, '-e', 'process.exit(3)'] }],
      },
      tmp(),
    );

    expect(run.code).toBe(13);
    expect(errorLines(run.stderr)).toEqual([expect.stringMatching(/^agility-pat: error \[SINK_FAILED\] .*"ci \[cdktf:prod~abcdef\/g5\]"/)]);
    expect(await tokenCalls(emulator(), email)).toEqual([
      'GET /api/v1/tokens/list 200',
      'POST /api/v1/tokens/create 201',
      'DELETE /api/v1/tokens/{id}/delete 204',
    ]);
    expect(await liveNamed(emulator(), oauth, name)).toEqual([]);
  });

  it('exits 13 and revokes the new token when a file sink cannot be written because its parent is a regular file', async () => {
    const oauth = await signIn('sink-file@example.com');
    const name = managed('ci');
    writeFileSync(join(tmp(), 'blocker'), 'not a directory');

    const run = await runHook(
      emulator(),
      'create',
      {
        credential: oauth,
        managedName: name,
        declaredName: 'ci',
        generation: 5,
        sinks: [{ kind: 'file', path: join(tmp(), 'blocker', 'ci.pat') }],
      },
      tmp(),
    );

    expect(run.code).toBe(13);
    expect(errorLines(run.stderr)).toEqual([expect.stringMatching(/^agility-pat: error \[SINK_FAILED\] .*blocker/)]);
    expect(await liveTokens(emulator(), oauth)).toEqual([]);
  });
});

describe('a Personal Access Token given as the credential', () => {
  it('is refused with exit 5 and a message that says it is a Personal Access Token', async () => {
    const oauth = await signIn('pat-credential@example.com');
    const pat = await createToken(emulator(), oauth, 'used-as-credential');

    const line = onlyErrorLine(await createCi(pat.token), 5, 'PAT_NOT_ALLOWED');
    expect(line).toMatch(/Personal Access Token/);
    expect((await liveTokens(emulator(), oauth)).map((t) => t.name)).toEqual(['used-as-credential']);
  });
});

describe("Agility's limits", () => {
  it('exits 8 naming the limit when the user already has 10 active tokens', async () => {
    const email = 'limit-active@example.com';
    for (let i = 0; i < 5; i++) await createToken(emulator(), await signIn(email), `first-${i}`);
    // Past the creations-per-hour window, with a fresh access token (they last an hour).
    await advance(emulator(), 3601);
    const oauth = await signIn(email);
    for (let i = 0; i < 5; i++) await createToken(emulator(), oauth, `second-${i}`);
    await advance(emulator(), 3601);
    const fresh = await signIn(email);
    expect(await liveTokens(emulator(), fresh)).toHaveLength(10);

    const line = onlyErrorLine(await createCi(fresh), 8, 'RATE_LIMITED');
    expect(line).toMatch(/at most 10 active tokens/);
    expect(await liveNamed(emulator(), fresh, managed('ci'))).toEqual([]);
  });

  it('exits 8 naming the hourly limit and when to retry on the 6th creation within an hour', async () => {
    const email = 'limit-hourly@example.com';
    const oauth = await signIn(email);
    for (let i = 0; i < 5; i++) await createToken(emulator(), oauth, `burst-${i}`);
    await clearRequests(emulator());

    const line = onlyErrorLine(await createCi(oauth), 8, 'RATE_LIMITED');
    expect(line).toMatch(/at most 5 token creations per hour/);
    expect(line).toMatch(/retry in (\d+) seconds/);
    const seconds = Number(/retry in (\d+) seconds/.exec(line)![1]);
    expect(seconds).toBeGreaterThan(3500);
    expect(seconds).toBeLessThanOrEqual(3600);
    // A refused create is not retried.
    expect(await tokenCalls(emulator(), email)).toEqual(['GET /api/v1/tokens/list 200', 'POST /api/v1/tokens/create 429']);
  });
});
