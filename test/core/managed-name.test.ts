import { hasErrorCode } from '../../lib/core/errors';
import {
  GENERATION_DIGITS_RESERVED,
  formatManagedName,
  isManagedByStack,
  maxDeclaredNameLength,
  parseManagedName,
  pendingNameOf,
  stackTag,
  validateDeclaredName,
} from '../../lib/core/managed-name';

const TAG = 'prod~3fa9c1';

function errorOf(fn: () => unknown): Error & { code?: string; details?: Record<string, unknown> } {
  try {
    fn();
  } catch (e) {
    return e as Error & { code?: string; details?: Record<string, unknown> };
  }
  throw new Error('expected an error, got none');
}

describe('stackTag', () => {
  it('is the stack name, a tilde and the first 6 hex digits of sha256(namespace)', () => {
    // sha256("my-project") starts with 1c7cd9.
    expect(stackTag('prod', 'my-project')).toBe('prod~1c7cd9');
  });

  it('is the same every time for the same stack and namespace', () => {
    expect(stackTag('prod', 'my-project')).toBe(stackTag('prod', 'my-project'));
  });

  it('differs between two namespaces that use the same stack name', () => {
    expect(stackTag('prod', 'other-project')).toBe('prod~e2704c');
    expect(stackTag('prod', 'other-project')).not.toBe(stackTag('prod', 'my-project'));
  });

  it.each(['', 'has space', 'a/b', 'x'.repeat(41), 'prod~1', 'dé'])('refuses the stack name %j', (name) => {
    const e = errorOf(() => stackTag(name, 'ns'));
    expect(hasErrorCode(e, 'INVALID_INPUT')).toBe(true);
    expect(e.message).toContain(`stack name must be 1–40 letters, digits, "_" or "-"`);
    expect(e.message).toContain(JSON.stringify(name));
  });

  it('accepts a 40-character stack name with underscores and dashes', () => {
    const name = 'A_b-9'.repeat(8);
    expect(stackTag(name, 'ns')).toMatch(new RegExp(`^${name}~[0-9a-f]{6}$`));
  });

  it.each(['', '   '])('refuses the empty namespace %j', (ns) => {
    const e = errorOf(() => stackTag('prod', ns));
    expect(hasErrorCode(e, 'INVALID_INPUT')).toBe(true);
    expect(e.message).toMatch(/^namespace must be a non-empty string/);
  });
});

describe('formatManagedName and parseManagedName', () => {
  it('formats the README example', () => {
    expect(formatManagedName({ declaredName: 'ci-deploy', stackTag: TAG, generation: 2931 })).toBe('ci-deploy [cdktf:prod~3fa9c1/g2931]');
  });

  it.each<[string, number]>([
    ['ci-deploy', 0],
    ['ci-deploy', 2931],
    ['deploy [blue] token', 7],
    ['a [cdktf:prod~3fa9c1/g1] b', 2],
    ['[x]', 1],
    ['Überprüfung 日本語', 12],
    ['rocket 🚀', 3],
    ['x', 9_999_999],
  ])('round-trips %j at generation %d', (declaredName, generation) => {
    const name = formatManagedName({ declaredName, stackTag: TAG, generation });
    expect(parseManagedName(name)).toEqual({ declaredName, stackTag: TAG, generation, pending: false });
    const pending = formatManagedName({ declaredName, stackTag: TAG, generation, pending: true });
    expect(pending).toBe(name.replace(/\]$/, '/pending]'));
    expect(parseManagedName(pending)).toEqual({ declaredName, stackTag: TAG, generation, pending: true });
    expect(pendingNameOf(name)).toBe(pending);
  });

  it('has no pending name for a pending name or for a name that is not managed', () => {
    expect(() => pendingNameOf('ci-deploy [cdktf:prod~3fa9c1/g1/pending]')).toThrow(/not a managed token name/);
    expect(() => pendingNameOf('ci-deploy')).toThrow(/not a managed token name/);
  });

  it.each([
    'ci-deploy',
    'ci-deploy [cdktf:prod~3fa9c1/g01]',
    'ci-deploy [cdktf:prod~3fa9c1/g-1]',
    'ci-deploy [cdktf:prod~3fa9c1/g]',
    'ci-deploy [cdktf:prod~3fa9c1/g1.5]',
    'ci-deploy [cdktf:prod~3fa9c1/g1] ',
    'ci-deploy [cdktf:prod~3fa9c1/g1]x',
    'ci-deploy[cdktf:prod~3fa9c1/g1]',
    'ci-deploy  [cdktf:prod~3fa9c1/g1]',
    ' [cdktf:prod~3fa9c1/g1]',
    '[cdktf:prod~3fa9c1/g1]',
    'ci-deploy [cdktf:prod/g1]',
    'ci-deploy [cdktf:prod~3FA9C1/g1]',
    'ci-deploy [cdktf:prod~3fa9c/g1]',
    'ci-deploy [cdktf:prod~3fa9c12/g1]',
    'ci-deploy [CDKTF:prod~3fa9c1/g1]',
    'ci-deploy [cdktf:prod~3fa9c1/G1]',
    'ci-deploy [cdktf:pr od~3fa9c1/g1]',
    'ci-deploy [cdktf:prod~3fa9c1/g1',
    'ci\ndeploy [cdktf:prod~3fa9c1/g1]',
    'a [cdktf:x~111111/g1] [cdktf:prod~3fa9c1/g2]',
    'ci-deploy [cdktf:prod~3fa9c1/g99999999999999999999]',
  ])('does not take %j for a managed name', (name) => {
    expect(parseManagedName(name)).toBeUndefined();
  });

  it('tells whether a name is managed by a given stack', () => {
    expect(isManagedByStack('ci-deploy [cdktf:prod~3fa9c1/g2]', TAG)).toBe(true);
    expect(isManagedByStack('ci-deploy [cdktf:prod~3fa9c2/g2]', TAG)).toBe(false);
    expect(isManagedByStack('ci-deploy [cdktf:staging~3fa9c1/g2]', TAG)).toBe(false);
    expect(isManagedByStack('ci-deploy', TAG)).toBe(false);
    expect(isManagedByStack('ci-deploy [cdktf:prod~3fa9c1/g02]', TAG)).toBe(false);
  });

  it.each<[string, number, RegExp]>([
    ['x', -1, /generation must be a non-negative whole number, got -1/],
    ['x', 1.5, /generation must be a non-negative whole number, got 1.5/],
    ['x', NaN, /generation must be a non-negative whole number, got NaN/],
    ['', 0, /must be a non-empty string/],
  ])('refuses to format %j at generation %d', (declaredName, generation, message) => {
    const e = errorOf(() => formatManagedName({ declaredName, stackTag: TAG, generation }));
    expect(hasErrorCode(e, 'INVALID_INPUT')).toBe(true);
    expect(e.message).toMatch(message);
  });

  it('refuses a malformed stack tag', () => {
    const e = errorOf(() => formatManagedName({ declaredName: 'x', stackTag: 'prod', generation: 0 }));
    expect(e.message).toContain('the stack tag must look like "prod~3fa9c1"');
  });
});

describe('declared name budget', () => {
  it('reserves 7 generation digits, the pending mark and the closing bracket', () => {
    expect(GENERATION_DIGITS_RESERVED).toBe(7);
    // " [cdktf:prod~3fa9c1/g" is 21 characters: 100 - 21 - 7 - 8 ("/pending") - 1.
    expect(maxDeclaredNameLength(TAG)).toBe(63);
    const longestTag = `${'s'.repeat(40)}~abcdef`;
    expect(maxDeclaredNameLength(longestTag)).toBe(100 - 57 - 7 - 8 - 1);
  });

  it('keeps every managed and pending name of a name at the budget within 100 characters', () => {
    const name = 'n'.repeat(maxDeclaredNameLength(TAG));
    expect(validateDeclaredName(name, TAG)).toBe(name);
    expect(formatManagedName({ declaredName: name, stackTag: TAG, generation: 9_999_999 })).toHaveLength(92);
    expect(formatManagedName({ declaredName: name, stackTag: TAG, generation: 9_999_999, pending: true })).toHaveLength(100);
  });

  it('refuses one character more, naming the rule, the length and the budget', () => {
    const name = 'n'.repeat(64);
    const e = errorOf(() => validateDeclaredName(name, TAG));
    expect(hasErrorCode(e, 'INVALID_INPUT')).toBe(true);
    expect(e.message).toBe(
      `the token name "${name}" is 64 characters, but with its marker " [cdktf:prod~3fa9c1/g…/pending]" ` +
        `(up to 7 generation digits, and the pending mark a token carries until it is delivered) the name must fit Agility's 100 characters, which leaves at most 63 for the name ` +
        `(counted in UTF-16 code units, as .NET does). Shorten the name.`,
    );
    expect(e.details).toMatchObject({ prop: 'name', length: 64, max: 63 });
  });

  it('counts UTF-16 code units, as .NET does: an emoji counts twice', () => {
    const fits = `${'n'.repeat(61)}🚀`; // 61 + 2 = 63 code units
    expect(fits.length).toBe(63);
    expect(validateDeclaredName(fits, TAG)).toBe(fits);
    const tooLong = `${'n'.repeat(62)}🚀`; // 63 code points, 64 code units
    expect([...tooLong].length).toBe(63);
    expect(errorOf(() => validateDeclaredName(tooLong, TAG)).message).toContain('is 64 characters');
  });

  it.each<[string, RegExp]>([
    ['', /must be a non-empty string/],
    ['   ', /must be a non-empty string/],
    [' ci', /must not start or end with whitespace/],
    ['ci\t', /must not start or end with whitespace/],
    ['ci\ndeploy', /control characters or line breaks/],
    ['ci\u0007deploy', /control characters or line breaks/],
    ['ci\u2028deploy', /control characters or line breaks/],
    ['ci [cdktf:prod~3fa9c1/g1]', /must not end with a "\[cdktf:…\]" marker/],
    ['ci [cdktf:prod/g1]', /must not end with a "\[cdktf:…\]" marker/],
    ['ci [CDKTF: anything]', /must not end with a "\[cdktf:…\]" marker/],
    ['invoice\u202Etxt.exe', /invisible or direction-changing characters, got U\+202E at position 8\. Remove it\.$/],
    ['ci\u2066deploy\u2069', /got U\+2066 at position 3/],
    ['ci\u200Bdeploy', /got U\+200B at position 3/],
    ['ci\u200Ddeploy', /got U\+200D at position 3/],
    ['c\uFEFFi', /got U\+FEFF at position 2/],
    ['ci\u00ADdeploy', /got U\+00AD at position 3/],
    ['ci-\uD83D', /got U\+D83D at position 4/],
    ['\uDE80ci', /got U\+DE80 at position 1/],
  ])('refuses the declared name %j', (name, message) => {
    const e = errorOf(() => validateDeclaredName(name, TAG));
    expect(hasErrorCode(e, 'INVALID_INPUT')).toBe(true);
    expect(e.message).toMatch(/^the token name /);
    expect(e.message).toMatch(message);
  });

  it('accepts brackets and spaces inside a declared name', () => {
    expect(validateDeclaredName('deploy [blue] (ci)', TAG)).toBe('deploy [blue] (ci)');
    expect(validateDeclaredName('a [cdktf:x] b', TAG)).toBe('a [cdktf:x] b');
  });
});
