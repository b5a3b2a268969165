import { createHash } from 'node:crypto';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { Duration } from '../../lib/core/duration';
import { hasErrorCode } from '../../lib/core/errors';
import { StackManifest, buildManifest, canonicalJson, liveManagedNames, manifestHash, parseManifest } from '../../lib/core/manifest';
import { ResolvedTokenSpec, resolveTokenSpec } from '../../lib/core/token-spec';
import manifestSchema from '../../lib/schemas/manifest.schema.json';
import { validSinks } from '../helpers/deliver';
import { errorOf } from '../helpers/error-of';

const D = 86_400_000;
const NOW = Date.parse('2030-06-15T12:00:00Z');
const TAG = 'prod~3fa9c1';

function spec(declaredName: string, extra: Partial<Parameters<typeof resolveTokenSpec>[0]> = {}, now = NOW): ResolvedTokenSpec {
  return resolveTokenSpec(
    {
      declaredName,
      stackTag: TAG,
      sinks: [{ kind: 'file', path: `secrets/${declaredName}.jwt` }],
      constructPath: `prod/${declaredName}`,
      ...extra,
    },
    now,
  ).spec;
}

const base = { stackTag: TAG, apiUrl: 'https://mgmt.aglty.io', credentialEnv: 'AGILITY_ACCESS_TOKEN' };

function sample(now = NOW): StackManifest {
  return buildManifest({
    ...base,
    tokens: [
      spec('preview', { expiresAt: '2030-12-31T00:00:00Z' }, now),
      spec('ci-deploy', { rotation: { every: Duration.days(30) } }, now),
      spec('young', { rotation: { every: Duration.days(7), anchor: '2030-06-15T00:00:00Z' } }, now),
    ],
  });
}

describe('buildManifest', () => {
  it('lists tokens sorted by declared name with their live slots', () => {
    const m = sample();
    expect(m.version).toBe(1);
    expect(m.tokens.map((t) => t.declaredName)).toEqual(['ci-deploy', 'preview', 'young']);
    expect(m.tokens[0]).toEqual({
      declaredName: 'ci-deploy',
      constructPath: 'prod/ci-deploy',
      currentGeneration: 735,
      currentManagedName: 'ci-deploy [cdktf:prod~3fa9c1/g735]',
      expiryDate: '2030-08-23T10:21:00.000Z',
      nextRotation: '2030-06-24T10:21:00.000Z',
      live: [
        { managedName: 'ci-deploy [cdktf:prod~3fa9c1/g734]', generation: 734, role: 'retain', expiryDate: '2030-07-24T10:21:00.000Z' },
        { managedName: 'ci-deploy [cdktf:prod~3fa9c1/g735]', generation: 735, role: 'ensure', expiryDate: '2030-08-23T10:21:00.000Z' },
      ],
      sinks: [{ kind: 'file', path: 'secrets/ci-deploy.jwt' }],
      verify: true,
      retireEarly: null,
      replaces: null,
    });
    expect(m.tokens[1].nextRotation).toBeNull(); // a fixed expiry never rotates
    // The empty slot of generation −1 is not live.
    expect(m.tokens[2].live).toEqual([
      { managedName: 'young [cdktf:prod~3fa9c1/g0]', generation: 0, role: 'ensure', expiryDate: '2030-07-06T00:00:00.000Z' },
    ]);
  });

  it('gives the same manifest whatever order the tokens come in', () => {
    const a = spec('a');
    const b = spec('b');
    expect(buildManifest({ ...base, tokens: [a, b] })).toEqual(buildManifest({ ...base, tokens: [b, a] }));
  });

  it('refuses duplicate names and tokens of another stack', () => {
    expect(errorOf(() => buildManifest({ ...base, tokens: [spec('a'), spec('a', { constructPath: 'prod/again' })] })).message).toContain(
      'already used by prod/a',
    );
    const foreign = resolveTokenSpec({ declaredName: 'x', stackTag: 'dev~123456', sinks: [], constructPath: 'dev/x' }, NOW).spec;
    const e = errorOf(() => buildManifest({ ...base, tokens: [foreign] }));
    expect(hasErrorCode(e, 'INVALID_INPUT')).toBe(true);
    expect(e.message).toBe('dev/x: its stack tag "dev~123456" is not the manifest\'s "prod~3fa9c1".');
  });
});

describe('liveManagedNames', () => {
  it('holds every live managed name of every token', () => {
    expect([...liveManagedNames(sample())].sort()).toEqual([
      'ci-deploy [cdktf:prod~3fa9c1/g734]',
      'ci-deploy [cdktf:prod~3fa9c1/g735]',
      'preview [cdktf:prod~3fa9c1/g0]',
      'young [cdktf:prod~3fa9c1/g0]',
    ]);
  });
});

describe('manifestHash', () => {
  it('is the sha256 of the canonical JSON, stable under key order', () => {
    const m = sample();
    const shuffled: StackManifest = {
      tokens: m.tokens.map((t) => Object.fromEntries(Object.entries(t).reverse()) as unknown as StackManifest['tokens'][number]),
      credentialEnv: m.credentialEnv,
      apiUrl: m.apiUrl,
      stackTag: m.stackTag,
      version: 1,
    };
    expect(JSON.stringify(shuffled)).not.toBe(JSON.stringify(m));
    expect(manifestHash(shuffled)).toBe(manifestHash(m));
    expect(manifestHash(m)).toMatch(/^[0-9a-f]{64}$/);
    expect(manifestHash(parseManifest(JSON.stringify(shuffled)))).toBe(manifestHash(m));
  });

  it('is pinned for a small manifest', () => {
    const m: StackManifest = {
      version: 1,
      stackTag: TAG,
      apiUrl: 'https://mgmt.aglty.io',
      credentialEnv: 'AGILITY_ACCESS_TOKEN',
      tokens: [],
    };
    expect(canonicalJson(m)).toBe(
      '{"apiUrl":"https://mgmt.aglty.io","credentialEnv":"AGILITY_ACCESS_TOKEN","stackTag":"prod~3fa9c1","tokens":[],"version":1}',
    );
    expect(manifestHash(m)).toBe(createHash('sha256').update(canonicalJson(m)).digest('hex'));
  });

  it('does not change within a generation and changes when a generation changes', () => {
    const h = manifestHash(sample(NOW));
    // Next rotation of ci-deploy is 2030-06-24T10:21Z; "young" (7 days from 2030-06-15T00:00Z) rotates on 2030-06-22.
    expect(manifestHash(sample(NOW + 6 * D))).toBe(h);
    const afterYoung = manifestHash(sample(Date.parse('2030-06-22T00:00:00Z')));
    expect(afterYoung).not.toBe(h);
    expect(manifestHash(sample(Date.parse('2030-06-24T10:21:00Z')))).not.toBe(afterYoung);
  });

  it('changes when a sink changes', () => {
    const m = sample();
    const changed: StackManifest = {
      ...m,
      tokens: m.tokens.map((t, i) => (i === 0 ? { ...t, sinks: validSinks([{ kind: 'file', path: 'other' }]) } : t)),
    };
    expect(manifestHash(changed)).not.toBe(manifestHash(m));
  });
});

describe('canonicalJson', () => {
  it('sorts keys recursively, keeps array order and drops undefined properties', () => {
    expect(canonicalJson({ b: 1, a: { d: [{ z: 1, y: 2 }, 3], c: undefined } })).toBe('{"a":{"d":[{"y":2,"z":1},3]},"b":1}');
  });
});

describe('parseManifest', () => {
  it('reads back what buildManifest wrote', () => {
    const m = sample();
    expect(parseManifest(JSON.stringify(m))).toEqual(m);
  });

  it('refuses text that is not JSON with a ConfigError', () => {
    const e = errorOf(() => parseManifest('{"version": 1,'));
    expect(hasErrorCode(e, 'CONFIG')).toBe(true);
    expect(e.message).toMatch(/^the stack manifest is not valid JSON \(.*\)\. It is written by synth: run cdktf synth again\.$/);
  });

  type Json = any;
  const good = (): Record<string, Json> => JSON.parse(JSON.stringify(sample()));
  it.each<[string, (m: Record<string, Json>) => unknown, string]>([
    ['an array', () => [], 'manifest must be an object, got []'],
    ['version 2', (m) => ({ ...m, version: 2 }), 'version must be 1 (this agility-pat reads manifest version 1), got 2'],
    ['no stackTag', (m) => ({ ...m, stackTag: undefined }), 'stackTag must be a non-empty string, got nothing'],
    ['a bad stackTag', (m) => ({ ...m, stackTag: 'prod' }), 'stackTag must look like "prod~3fa9c1", got "prod"'],
    ['no apiUrl', (m) => ({ ...m, apiUrl: '' }), 'apiUrl must be a non-empty string, got ""'],
    ['tokens not an array', (m) => ({ ...m, tokens: {} }), 'tokens must be an array, got {}'],
    [
      'a negative generation',
      (m) => ((m.tokens[0].currentGeneration = -1), m),
      'tokens[0].currentGeneration must be a non-negative whole number, got -1',
    ],
    [
      'a string generation',
      (m) => ((m.tokens[0].live[1].generation = '735'), m),
      'tokens[0].live[1].generation must be a non-negative whole number, got "735"',
    ],
    ['a bad role', (m) => ((m.tokens[0].live[0].role = 'none'), m), 'tokens[0].live[0].role must be "ensure" or "retain", got "none"'],
    [
      'a bad expiry',
      (m) => ((m.tokens[1].expiryDate = 'soon'), m),
      'tokens[1].expiryDate must be an ISO-8601 date-time or null, got "soon"',
    ],
    [
      'a managed name of another stack',
      (m) => ((m.tokens[0].currentManagedName = 'ci-deploy [cdktf:dev~3fa9c1/g735]'), m),
      'tokens[0].currentManagedName must be a managed name of "ci-deploy" in stack prod~3fa9c1, got "ci-deploy [cdktf:dev~3fa9c1/g735]"',
    ],
    [
      'a live name of another token',
      (m) => ((m.tokens[0].live[0].managedName = 'preview [cdktf:prod~3fa9c1/g0]'), m),
      'tokens[0].live[0].managedName must be a managed name of "ci-deploy" in stack prod~3fa9c1, got "preview [cdktf:prod~3fa9c1/g0]"',
    ],
    [
      'no next rotation',
      (m) => (delete m.tokens[0].nextRotation, m),
      'tokens[0].nextRotation must be an ISO-8601 date-time or null, got nothing',
    ],
    ['no live list', (m) => (delete m.tokens[2].live, m), 'tokens[2].live must be an array, got nothing'],
  ])('refuses %s with a ConfigError naming the field', (_label, mutate, message) => {
    const e = errorOf(() => parseManifest(JSON.stringify(mutate(good()))));
    expect(hasErrorCode(e, 'CONFIG')).toBe(true);
    expect(e.message).toBe(`the stack manifest is not valid: ${message}. It is written by synth: run cdktf synth again.`);
  });

  it('refuses a bad sink with a ConfigError naming it', () => {
    const m = good();
    m.tokens[1].sinks = [{ kind: 'ftp', path: 'x' }];
    const e = errorOf(() => parseManifest(JSON.stringify(m)));
    expect(hasErrorCode(e, 'CONFIG')).toBe(true);
    expect(e.message).toContain('tokens[1].sinks[0].kind must be "file", "env-file", "command", "github-actions" or "vault", got "ftp"');
  });
});

describe('the manifest schema (lib/schemas/manifest.schema.json)', () => {
  // The documented schema, compiled here by full ajv: what synth writes must match it, not only what the hook reads.
  const ajv = new Ajv({ allErrors: true, strict: true });
  ajv.addKeyword({ keyword: 'x-rule', schemaType: 'string' });
  addFormats(ajv);
  const validate = ajv.compile(manifestSchema);

  it('accepts what buildManifest writes', () => {
    const m = JSON.parse(canonicalJson(sample()));
    expect(validate(m) ? [] : validate.errors).toEqual([]);
    expect(m.tokens.some((t: { live: unknown[] }) => t.live.length > 0)).toBe(true);
  });

  it('refuses what parseManifest refuses for its shape', () => {
    const m = JSON.parse(canonicalJson(sample()));
    m.tokens[0].live[0].generation = 1.5;
    expect(validate(m)).toBe(false);
    expect(() => parseManifest(JSON.stringify(m))).toThrow(
      /tokens\[0\]\.live\[0\]\.generation must be a non-negative whole number, got 1\.5/,
    );
  });
});
