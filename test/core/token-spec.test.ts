import { Duration } from '../../lib/core/duration';
import { hasErrorCode } from '../../lib/core/errors';
import { SinkSpec } from '../../lib/core/sink-spec';
import {
  ResolvedTokenSpec,
  TokenSpecInput,
  liveTokenCount,
  resolveTokenSpec,
  validateCredentialBudget,
  validateStackTokens,
} from '../../lib/core/token-spec';
import { errorOf } from '../helpers/error-of';

const D = 86_400_000;
const NOW = Date.parse('2030-06-15T12:00:00Z');
const TAG = 'prod~3fa9c1';
const FILE: SinkSpec = { kind: 'file', path: 'secrets/ci-deploy.jwt' };

function input(over: Partial<TokenSpecInput> = {}): TokenSpecInput {
  return { declaredName: 'ci-deploy', stackTag: TAG, sinks: [FILE], constructPath: 'prod/CiDeploy', ...over };
}

const ids = (r: { warnings: { id: string }[] }): string[] => r.warnings.map((w) => w.id);

describe('resolveTokenSpec: rotating tokens', () => {
  it('plans two slots holding G and G−1 with exact names and expiry dates (default anchor, 30-day period)', () => {
    // Default anchor of "prod~3fa9c1/ci-deploy" for 30 days: 1970-01-10T10:21:00Z, so G = 735 at NOW.
    const { spec, warnings } = resolveTokenSpec(input({ rotation: { every: Duration.days(30) } }), NOW);
    expect(warnings).toEqual([]);
    expect(spec.expiry).toEqual({
      kind: 'rotating',
      policy: { everyMs: 30 * D, lifetimeMs: 90 * D, anchorMs: 814_860_000, overlap: true },
    });
    expect(spec.currentGeneration).toBe(735);
    expect(spec.slots).toEqual([
      {
        slot: 0,
        generation: 734,
        role: 'retain',
        managedName: 'ci-deploy [cdktf:prod~3fa9c1/g734]',
        expiryDate: '2030-07-24T10:21:00.000Z',
      },
      {
        slot: 1,
        generation: 735,
        role: 'ensure',
        managedName: 'ci-deploy [cdktf:prod~3fa9c1/g735]',
        expiryDate: '2030-08-23T10:21:00.000Z',
      },
    ]);
    expect(spec.currentManagedName).toBe('ci-deploy [cdktf:prod~3fa9c1/g735]');
    expect(spec.currentExpiryDate).toBe('2030-08-23T10:21:00.000Z');
    expect(spec.nextRotation).toBe('2030-06-24T10:21:00.000Z');
    expect(spec.constructPath).toBe('prod/CiDeploy');
  });

  it('plans one slot without overlap', () => {
    const { spec } = resolveTokenSpec(input({ rotation: { every: Duration.days(30), overlap: false } }), NOW);
    expect(spec.slots).toEqual([
      {
        slot: 0,
        generation: 735,
        role: 'ensure',
        managedName: 'ci-deploy [cdktf:prod~3fa9c1/g735]',
        expiryDate: '2030-07-24T10:21:00.000Z',
      },
    ]);
  });

  it('uses a user anchor given as ISO text or Date, and leaves the slot of generation −1 empty', () => {
    const anchor = '2030-06-15T00:00:00Z';
    const { spec } = resolveTokenSpec(input({ rotation: { every: Duration.days(7), anchor } }), NOW);
    expect(spec.currentGeneration).toBe(0);
    expect(spec.slots).toEqual([
      { slot: 0, generation: 0, role: 'ensure', managedName: 'ci-deploy [cdktf:prod~3fa9c1/g0]', expiryDate: '2030-07-06T00:00:00.000Z' },
      { slot: 1, generation: -1, role: 'none', managedName: null, expiryDate: null },
    ]);
    expect(spec.nextRotation).toBe('2030-06-22T00:00:00.000Z');
    const again = resolveTokenSpec(input({ rotation: { every: Duration.days(7), anchor: new Date(anchor) } }), NOW);
    expect(again.spec).toEqual(spec);
  });

  it('derives the default anchor from the stack tag and declared name, so two tokens rotate at different times', () => {
    const a = resolveTokenSpec(input({ rotation: { every: Duration.days(30) } }), NOW).spec;
    const b = resolveTokenSpec(input({ declaredName: 'preview', rotation: { every: Duration.days(30) } }), NOW).spec;
    expect(a.nextRotation).not.toBe(b.nextRotation);
    expect(b.expiry.kind === 'rotating' && b.expiry.policy.anchorMs).toBe(2_554_020_000);
  });

  it('passes rotation errors through, naming the prop (the construct adds its path)', () => {
    const e = errorOf(() => resolveTokenSpec(input({ rotation: { every: Duration.hours(4) } }), NOW));
    expect(hasErrorCode(e, 'INVALID_INPUT')).toBe(true);
    expect(e.message).toMatch(/^rotation\.every must be at least 1 day, got 4 hours/);
  });

  it('refuses an anchor without a time zone', () => {
    const e = errorOf(() => resolveTokenSpec(input({ rotation: { every: Duration.days(1), anchor: '2030-01-01T00:00:00' } }), NOW));
    expect(e.message).toContain('rotation.anchor must be an ISO-8601 date-time with a time zone');
  });
});

describe('resolveTokenSpec: fixed expiry', () => {
  it('plans one slot at generation 0 with the given expiry', () => {
    const { spec, warnings } = resolveTokenSpec(input({ expiresAt: '2030-12-31T00:00:00Z' }), NOW);
    expect(warnings).toEqual([]);
    expect(spec.expiry).toEqual({ kind: 'fixed', expiresAtMs: Date.parse('2030-12-31T00:00:00Z') });
    expect(spec.currentGeneration).toBe(0);
    expect(spec.slots).toEqual([
      { slot: 0, generation: 0, role: 'ensure', managedName: 'ci-deploy [cdktf:prod~3fa9c1/g0]', expiryDate: '2030-12-31T00:00:00.000Z' },
    ]);
    expect(spec.currentExpiryDate).toBe('2030-12-31T00:00:00.000Z');
    expect(spec.nextRotation).toBeNull();
  });

  it('refuses an expiry more than 2 years away, and accepts exactly 2 years', () => {
    const e = errorOf(() => resolveTokenSpec(input({ expiresAt: '2032-06-15T12:00:00.001Z' }), NOW));
    expect(hasErrorCode(e, 'INVALID_INPUT')).toBe(true);
    expect(e.message).toBe(
      "expiresAt must be at most 2 years away (Agility's limit), got 2032-06-15T12:00:00.001Z; " +
        'the latest allowed now is 2032-06-15T12:00:00.000Z. Use an earlier date, or rotation to renew the token on a schedule.',
    );
    const ok = resolveTokenSpec(input({ expiresAt: new Date('2032-06-15T12:00:00Z') }), NOW);
    expect(ok.spec.currentExpiryDate).toBe('2032-06-15T12:00:00.000Z');
    expect(ids(ok)).toEqual(['agility-pat:long-expiry']);
  });

  it('warns, and does not fail, when the expiry has already passed', () => {
    const r = resolveTokenSpec(input({ expiresAt: '2030-06-15T12:00:00Z' }), NOW);
    expect(ids(r)).toEqual(['agility-pat:expired']);
    expect(r.warnings[0].message).toBe(
      'prod/CiDeploy: expiresAt 2030-06-15T12:00:00.000Z has already passed (now is 2030-06-15T12:00:00.000Z): ' +
        'no token will be created for "ci-deploy". Set a later expiresAt, or use rotation. [agility-pat:expired]',
    );
    expect(r.spec.slots[0].expiryDate).toBe('2030-06-15T12:00:00.000Z');
  });

  it('warns about an expiry more than a year away, but not about one exactly a year away', () => {
    expect(ids(resolveTokenSpec(input({ expiresAt: '2031-06-15T12:00:00.001Z' }), NOW))).toEqual(['agility-pat:long-expiry']);
    expect(ids(resolveTokenSpec(input({ expiresAt: '2031-06-15T12:00:00Z' }), NOW))).toEqual([]);
  });

  it.each<[string, string]>([
    ['2031-02-29T00:00:00Z', 'February 2031 has 28 days'],
    ['2031-02-30T00:00:00Z', 'February 2031 has 28 days'],
    ['2031-04-31T00:00:00Z', 'April 2031 has 30 days'],
    ['2031-01-00T00:00:00Z', 'January 2031 has 31 days'],
    ['2031-13-01T00:00:00Z', 'month 13 does not exist'],
    ['2031-00-10', 'month 00 does not exist'],
    ['2031-01-01T24:00:00Z', 'hours go from 00 to 23'],
    ['2031-01-01T10:60:00Z', 'minutes and seconds go from 00 to 59'],
    ['2031-01-01T10:00:60Z', 'minutes and seconds go from 00 to 59'],
    ['2031-01-01T10:00:00+24:00', 'hours go from 00 to 23'],
  ])('refuses the impossible calendar date %s instead of rolling it over, naming the prop', (expiresAt, why) => {
    const e = errorOf(() => resolveTokenSpec(input({ expiresAt }), NOW));
    expect(hasErrorCode(e, 'INVALID_INPUT')).toBe(true);
    expect(e.message).toBe(`expiresAt is not a real date: "${expiresAt}" (${why}). Give a date that exists, such as 2027-02-28T00:00:00Z.`);
  });

  it('accepts the real edges of the calendar: 29 February of a leap year, 23:59:59, an offset of +14:00', () => {
    expect(resolveTokenSpec(input({ expiresAt: '2032-02-29T00:00:00Z' }), NOW).spec.currentExpiryDate).toBe('2032-02-29T00:00:00.000Z');
    expect(resolveTokenSpec(input({ expiresAt: '2031-12-31T23:59:59.999999Z' }), NOW).spec.currentExpiryDate).toBe(
      '2031-12-31T23:59:59.999Z',
    );
    expect(resolveTokenSpec(input({ expiresAt: '2031-01-01T14:00:00+14:00' }), NOW).spec.currentExpiryDate).toBe(
      '2031-01-01T00:00:00.000Z',
    );
  });

  it('refuses an expiry that is not an ISO-8601 instant with a time zone', () => {
    const e = errorOf(() => resolveTokenSpec(input({ expiresAt: 'next year' }), NOW));
    expect(e.message).toContain('expiresAt must be an ISO-8601 date-time with a time zone');
  });
});

describe('resolveTokenSpec: other rules', () => {
  it("without rotation or expiry, plans generation 0 with Agility's default expiry and warns", () => {
    const r = resolveTokenSpec(input(), NOW);
    expect(r.spec.expiry).toEqual({ kind: 'default' });
    expect(r.spec.slots).toEqual([
      { slot: 0, generation: 0, role: 'ensure', managedName: 'ci-deploy [cdktf:prod~3fa9c1/g0]', expiryDate: null },
    ]);
    expect(r.spec.currentExpiryDate).toBeNull();
    expect(r.spec.nextRotation).toBeNull();
    expect(ids(r)).toEqual(['agility-pat:no-rotation']);
    expect(r.warnings[0].message).toMatch(
      /^prod\/CiDeploy: .*Agility's 2-year default expiry applies, and the token will simply stop working then\. Set rotation/,
    );
    expect(r.warnings[0].message).toMatch(/\[agility-pat:no-rotation\]$/);
  });

  it('refuses expiresAt together with rotation, naming both props', () => {
    const e = errorOf(() => resolveTokenSpec(input({ expiresAt: '2030-12-31T00:00:00Z', rotation: { every: Duration.days(30) } }), NOW));
    expect(hasErrorCode(e, 'INVALID_INPUT')).toBe(true);
    expect(e.message).toBe(
      "expiresAt and rotation cannot both be set: a rotating token's expiry comes from rotation.lifetime. Remove one of them.",
    );
  });

  it('warns when the token has no sink', () => {
    const r = resolveTokenSpec(input({ sinks: [], rotation: { every: Duration.days(30) } }), NOW);
    expect(ids(r)).toEqual(['agility-pat:no-sink']);
    expect(r.warnings[0].message).toContain('its secret would be created and never seen');
  });

  it('warns on a CI runner when every sink is a file or env file, and only then', () => {
    const rotation = { every: Duration.days(30) };
    const envFile = { kind: 'env-file' as const, path: '.env', key: 'TOKEN' };
    const command = { kind: 'command' as const, argv: ['gh', 'secret', 'set', 'TOKEN'] };
    const ci = resolveTokenSpec(input({ rotation, sinks: [FILE, envFile], ephemeralHost: true }), NOW);
    expect(ids(ci)).toEqual(['agility-pat:ephemeral-sink']);
    expect(ci.warnings[0].message).toMatch(
      /^prod\/CiDeploy: the token "ci-deploy" is delivered only to files, and this synth runs under CI/,
    );
    expect(ids(resolveTokenSpec(input({ rotation, sinks: [FILE, command], ephemeralHost: true }), NOW))).toEqual([]);
    expect(ids(resolveTokenSpec(input({ rotation, sinks: [FILE] }), NOW))).toEqual([]);
    // No sink at all is the no-sink warning alone.
    expect(ids(resolveTokenSpec(input({ rotation, sinks: [], ephemeralHost: true }), NOW))).toEqual(['agility-pat:no-sink']);
  });

  it('validates each sink, naming its index', () => {
    const e = errorOf(() => resolveTokenSpec(input({ sinks: [FILE, { kind: 'env-file', path: '.env', key: '1BAD' }] }), NOW));
    expect(hasErrorCode(e, 'INVALID_INPUT')).toBe(true);
    expect(e.message).toMatch(/^sinks\[1\]\.key must be a variable name/);
  });

  it('refuses a declared name too long for its marker', () => {
    const e = errorOf(() => resolveTokenSpec(input({ declaredName: 'n'.repeat(72) }), NOW));
    expect(e.message).toMatch(/^the token name "n+" is 72 characters.*at most 63 for the name/);
  });
});

describe('validateStackTokens', () => {
  const spec = (declaredName: string, constructPath: string): ResolvedTokenSpec =>
    resolveTokenSpec(input({ declaredName, constructPath, rotation: { every: Duration.days(30) } }), NOW).spec;

  it('accepts distinct names', () => {
    expect(() => validateStackTokens([spec('a', 'prod/A'), spec('b', 'prod/B')])).not.toThrow();
  });

  it('refuses a declared name used twice, naming both construct paths', () => {
    const e = errorOf(() => validateStackTokens([spec('a', 'prod/A'), spec('b', 'prod/B'), spec('a', 'prod/Other/A')]));
    expect(hasErrorCode(e, 'INVALID_INPUT')).toBe(true);
    expect(e.message).toBe(
      'prod/Other/A: the token name "a" is already used by prod/A in the same stack; each token of a stack needs its own name, ' +
        'because the managed name is how hooks find the token. Rename one of them.',
    );
    expect(hasErrorCode(e, 'INVALID_INPUT') && e.details).toMatchObject({ constructPath: 'prod/Other/A', other: 'prod/A', value: 'a' });
  });

  it('refuses specs of two stack tags', () => {
    const other = resolveTokenSpec(input({ stackTag: 'prod~000000', constructPath: 'x/B', declaredName: 'b' }), NOW).spec;
    expect(errorOf(() => validateStackTokens([spec('a', 'prod/A'), other])).message).toContain('differs from "prod~3fa9c1"');
  });
});

describe('validateCredentialBudget', () => {
  const rotating = (i: number, overlap = true): ResolvedTokenSpec =>
    resolveTokenSpec(input({ declaredName: `t${i}`, constructPath: `prod/T${i}`, rotation: { every: Duration.days(30), overlap } }), NOW)
      .spec;
  const fixed = (i: number, expiresAt: string): ResolvedTokenSpec =>
    resolveTokenSpec(input({ declaredName: `f${i}`, constructPath: `prod/F${i}`, expiresAt }), NOW).spec;
  const plain = (i: number): ResolvedTokenSpec => resolveTokenSpec(input({ declaredName: `p${i}`, constructPath: `prod/P${i}` }), NOW).spec;

  it('counts 2 live tokens for rotation with overlap and 1 otherwise, even when a fixed expiry has passed', () => {
    expect(liveTokenCount(rotating(1))).toBe(2);
    expect(liveTokenCount(rotating(1, false))).toBe(1);
    expect(liveTokenCount(fixed(1, '2030-12-31T00:00:00Z'))).toBe(1);
    expect(liveTokenCount(fixed(1, '2020-01-01T00:00:00Z'))).toBe(1);
    expect(liveTokenCount(plain(1))).toBe(1);
  });

  it('counts generation 0 of a rotating token as 2, so the synth does not start failing one period later', () => {
    const young = resolveTokenSpec(input({ rotation: { every: Duration.days(7), anchor: '2030-06-15T00:00:00Z' } }), NOW).spec;
    expect(young.slots.filter((s) => s.role !== 'none')).toHaveLength(1);
    expect(liveTokenCount(young)).toBe(2);
  });

  const US = 'https://mgmt.aglty.io';
  const EU = 'https://mgmt-ca.aglty.io';
  const group = (credentialEnv: string, specs: ResolvedTokenSpec[], apiUrl = US) => ({ apiUrl, credentialEnv, specs });

  it('accepts exactly 10 live tokens for one credential', () => {
    const specs = [1, 2, 3, 4].map((i) => rotating(i)).concat([plain(1), fixed(1, '2030-12-31T00:00:00Z')]);
    expect(() => validateCredentialBudget([group('AGILITY_ACCESS_TOKEN', specs)])).not.toThrow();
  });

  it('refuses 11, naming the variable, the API, the count and the limit', () => {
    const specs = [1, 2, 3, 4, 5].map((i) => rotating(i)).concat([plain(1)]);
    const e = errorOf(() => validateCredentialBudget([group('AGILITY_ACCESS_TOKEN', specs)]));
    expect(hasErrorCode(e, 'INVALID_INPUT')).toBe(true);
    expect(e.message).toMatch(
      /^the credential in AGILITY_ACCESS_TOKEN for https:\/\/mgmt\.aglty\.io would hold 11 live tokens at once, but Agility allows 10 active tokens per user/,
    );
    expect(e.message).toContain('prod/T1 (2), prod/T2 (2)');
    expect(e.message).toContain('prod/P1 (1)');
    expect(hasErrorCode(e, 'INVALID_INPUT') && e.details).toMatchObject({ prop: 'credentialEnv', apiUrl: US, count: 11, limit: 10 });
  });

  it('counts each credential on its own', () => {
    const a = [1, 2, 3, 4, 5].map((i) => rotating(i));
    const b = [6, 7, 8, 9, 10].map((i) => rotating(i));
    expect(() => validateCredentialBudget([group('AGILITY_A', a), group('AGILITY_B', b)])).not.toThrow();
    expect(errorOf(() => validateCredentialBudget([group('AGILITY_A', a), group('AGILITY_B', [...b, plain(1)])])).message).toContain(
      'AGILITY_B for https://mgmt.aglty.io would hold 11',
    );
  });

  it('keys a credential by the API URL and the variable together: one variable against two APIs is two users', () => {
    const a = [1, 2, 3, 4, 5].map((i) => rotating(i));
    const b = [6, 7, 8].map((i) => rotating(i));
    // The same variable name against two APIs: counted apart (5 + 3 rotating tokens, 10 and 6 live).
    expect(() => validateCredentialBudget([group('AGILITY_ACCESS_TOKEN', a, US), group('AGILITY_ACCESS_TOKEN', b, EU)])).not.toThrow();
    // The same pair in two groups (two stacks): counted together, 16 live.
    expect(
      errorOf(() => validateCredentialBudget([group('AGILITY_ACCESS_TOKEN', a, EU), group('AGILITY_ACCESS_TOKEN', b, EU)])).message,
    ).toContain(`AGILITY_ACCESS_TOKEN for ${EU} would hold 16`);
  });
});
