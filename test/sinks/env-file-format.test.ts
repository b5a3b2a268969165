import * as dotenv from 'dotenv';
import { formatEnvValue, readEnvValueText, removeEnvLine, upsertEnvLine } from '../../lib/sinks/env-file-format';

describe('formatEnvValue', () => {
  it.each([
    ['eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.sig-_x', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.sig-_x'],
    ['abc+/=~', 'abc+/=~'],
    ['has space', "'has space'"],
    ['quote"and\\backslash', `'quote"and\\backslash'`],
    ['dollar$HOME#hash', "'dollar$HOME#hash'"],
    ['two\nlines\r', '"two\\nlines\\r"'],
    ["it's", '"it\'s"'],
    ['it\'s "x"', '`it\'s "x"`'],
    ['', "''"],
  ])('writes %j as %j, which dotenv reads back', (value, expected) => {
    expect(formatEnvValue(value)).toBe(expected);
    expect(dotenv.parse(`K=${expected}\n`).K).toBe(value);
  });

  it('has no form for a value dotenv could not read back', () => {
    expect(formatEnvValue('a\'b"c`d')).toBeUndefined();
    expect(formatEnvValue('a\'b"c\nd')).toBeUndefined();
  });
});

describe('upsertEnvLine', () => {
  it.each<[string, string, string]>([
    ['appends to empty text', '', 'TOKEN=new\n'],
    ['appends after the last line', 'A=1\n# note\n\nB=2\n', 'A=1\n# note\n\nB=2\nTOKEN=new\n'],
    ['adds a line break before appending to text without a final one', 'A=1', 'A=1\nTOKEN=new\n'],
    ['appends with CRLF to a CRLF text', 'A=1\r\nB=2\r\n', 'A=1\r\nB=2\r\nTOKEN=new\r\n'],
    ['appends with CRLF to a CRLF text without a final line break', 'A=1\r\nB=2', 'A=1\r\nB=2\r\nTOKEN=new\r\n'],
    ['replaces in place', 'A=1\nTOKEN=old\nB=2\n', 'A=1\nTOKEN=new\nB=2\n'],
    ['replaces a last line without a line break, adding none', 'A=1\nTOKEN=old', 'A=1\nTOKEN=new'],
    ['keeps the CRLF of the replaced line', 'A=1\r\nTOKEN=old\r\nB=2\r\n', 'A=1\r\nTOKEN=new\r\nB=2\r\n'],
    ['keeps an export prefix', 'export TOKEN=old\n', 'export TOKEN=new\n'],
    ['keeps indentation and export spacing', '  export\tTOKEN = "old value"\n', '  export\tTOKEN=new\n'],
    ['replaces the first duplicate and removes the others', 'TOKEN=a\nA=1\nexport TOKEN=b\nTOKEN=c', 'TOKEN=new\nA=1\n'],
    ['leaves comments that mention the key', '# TOKEN=commented\nTOKEN=old\n', '# TOKEN=commented\nTOKEN=new\n'],
    ['leaves keys that only start with the key', 'TOKEN_OLD=x\nMY_TOKEN=y\n', 'TOKEN_OLD=x\nMY_TOKEN=y\nTOKEN=new\n'],
    ['replaces a quoted value spanning lines as a whole', 'TOKEN="line1\nline2"\nB=2\n', 'TOKEN=new\nB=2\n'],
    ['treats an unclosed quote as a one-line value', "TOKEN='open\nB=2\n", 'TOKEN=new\nB=2\n'],
    ['replaces a key after a UTF-8 byte order mark on the first line', '\uFEFFTOKEN=old\n', '\uFEFFTOKEN=new\n'],
    ['replaces the colon form', 'TOKEN: old\n', 'TOKEN=new\n'],
    [
      'does not take a line inside a quoted value for an entry',
      'BUNDLE="line one\nTOKEN=x\nline three"\n',
      'BUNDLE="line one\nTOKEN=x\nline three"\nTOKEN=new\n',
    ],
    [
      'replaces the real entry after a quoted value holding the key',
      "PEM='-----BEGIN-----\r\nTOKEN=inside\r\n-----END-----'\r\nTOKEN=old # note\r\n",
      "PEM='-----BEGIN-----\r\nTOKEN=inside\r\n-----END-----'\r\nTOKEN=new # note\r\n",
    ],
    ['keeps a comment after a bare value, with a blank', 'TOKEN=old#c\n', 'TOKEN=new #c\n'],
  ])('%s', (_name, content, expected) => {
    expect(upsertEnvLine(content, 'TOKEN', 'new')).toBe(expected);
  });
});

describe('the issue scenario: a key inside a quoted multi-line value', () => {
  it('delivers to the real entry, as dotenv reads the file, and leaves the quoted value as it was', () => {
    const before = 'BUNDLE="line one\nCI_TOKEN=x\nline three"\n';
    const after = upsertEnvLine(before, 'CI_TOKEN', 'secret');
    expect(dotenv.parse(after)).toEqual({ BUNDLE: 'line one\nCI_TOKEN=x\nline three', CI_TOKEN: 'secret' });
    expect(readEnvValueText(after, 'CI_TOKEN')).toBe('secret');
    expect(removeEnvLine(after, 'CI_TOKEN')).toBe(before);
  });
});
