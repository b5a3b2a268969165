import { createSecretMinter } from '../../lib/emulator/jwt';
import { EmulatorState, RuleViolation, type UserRecord } from '../../lib/emulator/state';

/** The model without HTTP: a state on a clock the test moves by hand. */
function model(startIso = '2026-03-01T12:00:00.000Z') {
  let now = Date.parse(startIso);
  const state = new EmulatorState(() => now, createSecretMinter(Buffer.alloc(32, 1)));
  const session = state.signIn('x');
  const caller = state.authenticate(`Bearer ${session.access_token}`);
  return { state, user: caller.user as UserRecord, session, tick: (seconds: number) => (now += seconds * 1000) };
}

function violation(fn: () => unknown): RuleViolation {
  try {
    fn();
  } catch (e) {
    if (e instanceof RuleViolation) return e;
    throw e;
  }
  throw new Error('expected a RuleViolation');
}

describe('EmulatorState', () => {
  it.each<[string, object, string]>([
    ['missing name', {}, 'Name'],
    ['whitespace name', { name: '   ' }, 'Name'],
    ['number expiry', { name: 'a', expiryDate: 5 }, 'ExpiryDate'],
    ['expiry without time zone', { name: 'a', expiryDate: '2027-01-01T00:00:00' }, 'ExpiryDate'],
    ['expiry two years and 1 ms away', { name: 'a', expiryDate: '2028-03-01T12:00:00.001Z' }, 'ExpiryDate'],
  ])('refuses a create with %s as bad-request naming field %s', (_label, input, field) => {
    const { state, user } = model();
    const v = violation(() => state.createToken(user, input));
    expect(v.kind).toBe('bad-request');
    expect(v.extra.field).toBe(field);
    expect(state.listTokens(user).tokens).toEqual([]);
  });

  it('computes Retry-After from the oldest creation in the rolling hour, in whole seconds rounded up', () => {
    const { state, user, tick } = model();
    state.createToken(user, { name: '1' });
    tick(0.5);
    for (let i = 2; i <= 5; i++) state.createToken(user, { name: String(i) });
    tick(1000);
    const v = violation(() => state.createToken(user, { name: '6' }));
    expect(v).toMatchObject({ kind: 'rate-limited', extra: { limit: 'creations-per-hour', retryAfterSeconds: 2600 } });
    tick(2599);
    expect(violation(() => state.createToken(user, { name: '6' })).extra.retryAfterSeconds).toBe(1);
    tick(0.5);
    expect(() => state.createToken(user, { name: '6' })).not.toThrow();
  });

  it('identifies bearer values without side effects and authenticates PATs with a lastUsedDate stamp', () => {
    const { state, user, tick } = model();
    const created = state.createToken(user, { name: 'p' });
    expect(state.identify(undefined)).toEqual({ kind: 'none' });
    expect(state.identify('Bearer nope').kind).toBe('invalid');
    expect(state.identify(`Bearer ${created.token}`).kind).toBe('pat');
    expect(state.getToken(user, created.tokenID).lastUsedDate).toBeNull();
    tick(5);
    const before = state.revision;
    state.authenticate(`Bearer ${created.token}`);
    expect(state.revision).toBeGreaterThan(before);
    expect(state.getToken(user, created.tokenID).lastUsedDate).toBe('2026-03-01T12:00:05.000Z');
  });

  it('round-trips through a snapshot that holds hashes, not secrets', () => {
    const { state, user, session } = model();
    const created = state.createToken(user, { name: 'kept' });
    const snapshot = state.toSnapshot(undefined);
    const text = JSON.stringify(snapshot);
    for (const secret of [created.token!, session.access_token!, session.refresh_token!]) expect(text).not.toContain(secret);
    const restored = new EmulatorState(() => Date.parse('2026-03-01T12:00:00.000Z'), createSecretMinter(), snapshot);
    expect(restored.identify(`Bearer ${created.token}`).kind).toBe('pat');
    expect(restored.identify(`Bearer ${session.access_token}`).kind).toBe('oauth');
    expect(restored.listTokens(user).tokens!.map((t) => t.name)).toEqual(['kept']);
  });
});
