import { printable } from '../../lib/core/printable';
import { scrubText } from '../../lib/core/redact';
import { unsafeNameCharacter } from '../../lib/core/validation';

describe('printable', () => {
  it.each<[string, string, string]>([
    ['an ANSI colour and clear-screen sequence', '\u001b[2J\u001b[31mred\u001b[0m', '\\u001b[2J\\u001b[31mred\\u001b[0m'],
    ['an OSC title change ended by BEL', '\u001b]0;pwned\u0007', '\\u001b]0;pwned\\u0007'],
    ['the 8-bit CSI (C1)', '\u009b2J', '\\u009b2J'],
    ['DEL and backspace', 'a\u007fb\bc', 'a\\u007fb\\u0008c'],
    ['a carriage return that would overwrite the line', 'ok\rFAIL', 'ok\\u000dFAIL'],
    ['a line feed that would forge a line', 'name\nagility-pat: ok', 'name\\u000aagility-pat: ok'],
    ['a right-to-left override', 'invoice\u202Etxt.exe', 'invoice\\u202etxt.exe'],
    ['isolates and marks', '\u2066a\u2069\u200Fb', '\\u2066a\\u2069\\u200fb'],
    ['zero-width characters and the BOM', 'a\u200Bb\u200Dc\uFEFF', 'a\\u200bb\\u200dc\\ufeff'],
    ['line and paragraph separators', 'a\u2028b\u2029', 'a\\u2028b\\u2029'],
    ['a lone surrogate', 'x\uD83D', 'x\\ud83d'],
    ['an astral format character (a tag)', 'a\u{E0001}', 'a\\udb40\\udc01'],
  ])('escapes %s', (_what, raw, shown) => {
    expect(printable(raw)).toBe(shown);
  });

  it.each(['plain ascii [cdktf:prod~3fa9c1/g12]', 'accents: élan, 東京, emoji 🚀', 'a back\\slash and "quotes"', ''])(
    'leaves %j as it is',
    (text) => {
      expect(printable(text)).toBe(text);
    },
  );

  it('keeps line feeds when asked (multi-line output), and still escapes the rest', () => {
    expect(printable('a\nb\u001b[0m\r\n', { multiline: true })).toBe('a\nb\\u001b[0m\\u000d\n');
  });

  it('keeps JSON valid and equal in value when it escapes JSON text', () => {
    const value = { name: 'x\u009b\u202E\u2028\uD800y', list: ['\u200B'] };
    const escaped = printable(JSON.stringify(value, null, 2), { multiline: true });
    expect(escaped).not.toMatch(/[\u0080-\u009f\u2028\u202e\u200b]/);
    expect(JSON.parse(escaped)).toEqual(value);
  });
});

describe('unsafeNameCharacter', () => {
  it.each<[string, string | undefined]>([
    ['ci-deploy', undefined],
    ['deploy [blue] 🚀 東京', undefined],
    ['ci\u202Edeploy', 'U+202E at position 3'],
    ['🚀\u200Bx', 'U+200B at position 2'],
    ['ci\uDC00', 'U+DC00 at position 3'],
    ['ci\u0007', 'U+0007 at position 3'],
  ])('%j → %p', (name, expected) => {
    expect(unsafeNameCharacter(name)).toBe(expected);
  });
});

describe('scrubText: values are redacted, words are not', () => {
  const SECRET = 'known-secret-value-123';
  it.each<[string, string]>([
    ['The bearer token is not valid', 'The bearer token is not valid'],
    ['Missing Bearer token.', 'Missing Bearer token.'],
    ['Bearer authentication failed: use a Bearer token', 'Bearer authentication failed: use a Bearer token'],
    ['Authorization: Bearer abc123def456', 'Authorization: Bearer [redacted]'],
    ['Authorization: bearer 0f3c9a77.', 'Authorization: bearer [redacted].'],
    ['Bearer a-b_c.d~e+f/g==, then', 'Bearer [redacted], then'],
    ['Bearer abcdefghijklmnopqrstuvwxyz', 'Bearer [redacted]'],
    ['header "Bearer Zm9vYmFy" refused', 'header "Bearer [redacted]" refused'],
    ['Bearer [redacted] twice', 'Bearer [redacted] twice'],
    ['jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig-nature here', 'jwt [redacted] here'],
    [`raw ${SECRET} and Bearer ${SECRET}`, 'raw [redacted] and Bearer [redacted]'],
  ])('%j → %j', (text, expected) => {
    expect(scrubText(text, [SECRET])).toBe(expected);
  });
});
