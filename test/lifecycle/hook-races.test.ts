/**
 * Races and interruptions of the real hook program (docs/design.md, "Concurrency and locks"): parallel deliveries into
 * one env file, two hooks for one managed name at once, bad input before any API call, and SIGTERM at and between safe
 * points.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pendingNameOf } from '../../lib/core/managed-name';
import { readEnvValueText } from '../../lib/sinks/env-file-format';
import { createToken } from '../emulator/support';
import {
  authenticates,
  ciInputs,
  clearRequests,
  injectFault,
  liveNamed,
  liveTokens,
  managed,
  requestLog,
  runHook,
  tokenCalls,
  useHookSuite,
  waitFor,
} from './hook-harness';

const { emulator, tmp, signIn } = useHookSuite();

describe('parallel deliveries into one env file', () => {
  it('five tokens sharing one env file keep every key, each holding its own live secret, round after round', async () => {
    for (const round of [1, 2, 3]) {
      // A user per round: Agility allows five creations per user per hour.
      const oauth = await signIn(`envfile-${round}@example.com`);
      const envFile = join(tmp(), `shared-${round}.env`);
      writeFileSync(envFile, '# kept\nOTHER=untouched\n', { mode: 0o600 });
      const keys = [0, 1, 2, 3, 4].map((i) => ({ i, key: `TOKEN_${i}`, name: managed(`env-${i}`) }));
      const runs = await Promise.all(
        keys.map(({ i, key, name }) =>
          runHook(
            emulator(),
            'create',
            {
              credential: oauth,
              managedName: name,
              declaredName: `env-${i}`,
              generation: 5,
              sinks: [{ kind: 'env-file', path: envFile, key }],
            },
            tmp(),
          ),
        ),
      );
      expect(runs.map((r) => r.code)).toEqual([0, 0, 0, 0, 0]);
      const text = readFileSync(envFile, 'utf8');
      expect(text.startsWith('# kept\nOTHER=untouched\n')).toBe(true);
      for (const { key, name } of keys) {
        const secret = readEnvValueText(text, key);
        expect(secret).toBeDefined();
        expect(await authenticates(emulator(), secret!)).toBe(true);
        expect(await liveNamed(emulator(), oauth, name)).toHaveLength(1);
      }
    }
  });
});

describe('two hooks for one managed name at once', () => {
  it('take turns: exactly one live token under the name, none pending, and the sink holds its secret', async () => {
    for (const attempt of [1, 2, 3]) {
      const oauth = await signIn(`same-name-${attempt}@example.com`);
      const name = managed(`twin-${attempt}`);
      const file = join(tmp(), `twin-${attempt}.pat`);
      const inputs = {
        credential: oauth,
        managedName: name,
        declaredName: `twin-${attempt}`,
        generation: 5,
        sinks: [{ kind: 'file' as const, path: file }],
      };
      const runs = await Promise.all([runHook(emulator(), 'create', inputs, tmp()), runHook(emulator(), 'create', inputs, tmp())]);
      expect(runs.map((r) => r.code)).toEqual([0, 0]);
      const live = await liveNamed(emulator(), oauth, name);
      expect(live).toHaveLength(1);
      expect(await liveNamed(emulator(), oauth, pendingNameOf(name))).toEqual([]);
      expect(await authenticates(emulator(), readFileSync(file, 'utf8'))).toBe(true);
      // One created it; the other found it delivered and kept it.
      expect(runs.map((r) => /kept, nothing created/.test(r.stdout)).sort()).toEqual([false, true]);
    }
  });
});

describe('hook create checks its inputs before any API call', () => {
  it.each(['not-a-date', '2027-13-01T00:00:00Z', '2027-01-01'.replace('-01-01', '-01-01T00:00:00')])(
    'an invalid AGILITY_PAT_EXPIRY (%s) fails with no request made, the existing token still live',
    async (expiry) => {
      const email = `bad-expiry-${expiry.length}-${expiry.charCodeAt(5)}@example.com`;
      const oauth = await signIn(email);
      const name = managed('ci');
      const existing = await createToken(emulator(), oauth, name);
      const pending = await createToken(emulator(), oauth, pendingNameOf(name));
      await clearRequests(emulator());
      const run = await runHook(emulator(), 'create', ciInputs(oauth, { expiry }), tmp());
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/AGILITY_PAT_EXPIRY/);
      expect(await tokenCalls(emulator(), email)).toEqual([]);
      expect(await authenticates(emulator(), existing.token)).toBe(true);
      expect(await authenticates(emulator(), pending.token)).toBe(true);
    },
  );

  it('a managed name that does not match the declared name and generation fails with no request made', async () => {
    const email = 'bad-name@example.com';
    const oauth = await signIn(email);
    await clearRequests(emulator());
    const run = await runHook(emulator(), 'create', ciInputs(oauth, { managedName: managed('ci', 4) }), tmp());
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/is not generation 5 of "ci"/);
    expect(await tokenCalls(emulator(), email)).toEqual([]);
  });
});

describe('SIGTERM and SIGINT', () => {
  it('between safe points: the hook exits 130 at once, before the request in flight answers, and creates nothing', async () => {
    const email = 'sigterm-list@example.com';
    const oauth = await signIn(email);
    await injectFault(emulator(), { method: 'GET', path: '/api/v1/tokens/list', latencyMs: 20_000 });
    const inFlight = async () =>
      (await requestLog(emulator())).some((r) => r.user === email && r.path === '/api/v1/tokens/list' && r.status === 0);
    const run = await runHook(emulator(), 'create', ciInputs(oauth), tmp(), {
      onSpawn: (child) => {
        void waitFor(inFlight, 10_000, 'the list request to be in flight').then(() => child.kill('SIGTERM'));
      },
    });
    expect(run.code).toBe(130);
    expect(run.stderr).toMatch(/\[INTERRUPTED\] stopped by SIGTERM at a safe point/);
    expect(await inFlight()).toBe(true); // it did not wait for the answer
    expect(await tokenCalls(emulator(), email)).not.toContain('POST /api/v1/tokens/create 201');
  });

  it('during a slow create, before any sink: aborts the request and exits 130 within 2 s; the token that lands is pending', async () => {
    const email = 'sigterm-create@example.com';
    const oauth = await signIn(email);
    const file = join(tmp(), 'never.pat');
    await injectFault(emulator(), { method: 'POST', path: '/api/v1/tokens/create', latencyMs: 9_000 });
    const inFlight = async () =>
      (await requestLog(emulator())).some((r) => r.user === email && r.path === '/api/v1/tokens/create' && r.status === 0);
    let killedAt = 0;
    const run = await runHook(emulator(), 'create', ciInputs(oauth, { sinks: [{ kind: 'file', path: file }] }), tmp(), {
      onSpawn: (child) => {
        void waitFor(inFlight, 10_000, 'the create request to be in flight').then(() => {
          killedAt = Date.now();
          child.kill('SIGTERM');
        });
      },
    });
    const stoppedWithinMs = Date.now() - killedAt;
    expect(run.code).toBe(130);
    expect(run.stderr).toMatch(/\[INTERRUPTED\] stopped by SIGTERM/);
    expect(stoppedWithinMs).toBeLessThan(2_000);
    expect(existsSync(file)).toBe(false);
    // The create lands after the hook is gone: under the pending name, which marks it undelivered.
    await waitFor(async () => (await liveTokens(emulator(), oauth)).length > 0, 20_000, 'the slow create to land');
    expect((await liveTokens(emulator(), oauth)).map((t) => t.name)).toEqual([`${managed('ci').slice(0, -1)}/pending]`]);
  });

  it('inside create-and-deliver: the hook finishes delivering and recording the token, then exits 130', async () => {
    const email = 'sigterm-deliver@example.com';
    const oauth = await signIn(email);
    const name = managed('ci');
    const file = join(tmp(), 'sigterm.pat');
    const started = join(tmp(), 'sink-started');
    const go = join(tmp(), 'sink-go');
    // A command sink that reads the secret, says it started, and waits for the test's go-ahead.
    const sink = `const fs=require('fs');process.stdin.resume();fs.writeFileSync(${JSON.stringify(started)},'');setInterval(()=>{if(fs.existsSync(${JSON.stringify(go)}))process.exit(0)},20);`;
    const run = await runHook(
      emulator(),
      'create',
      ciInputs(oauth, {
        sinks: [
          { kind: 'file', path: file },
          { kind: 'command', argv: [process.execPath, '-e', sink] },
        ],
      }),
      tmp(),
      {
        onSpawn: (child) => {
          void waitFor(() => existsSync(started), 20_000, 'the command sink to start').then(() => {
            child.kill('SIGTERM');
            setTimeout(() => writeFileSync(go, ''), 300);
          });
        },
      },
    );
    expect(run.code).toBe(130);
    expect(run.stdout).toMatch(/created "ci \[cdktf:prod~abcdef\/g5\]"/);
    const live = await liveNamed(emulator(), oauth, name);
    expect(live).toHaveLength(1);
    expect(await authenticates(emulator(), readFileSync(file, 'utf8'))).toBe(true);
    expect(await liveTokens(emulator(), oauth)).toHaveLength(1);
  });
});
