/**
 * The dotenv text edits of the `env-file` sink, as pure functions over a model of the file read the way the `dotenv`
 * package reads it (docs/sinks.md, "Env files"): `[export ]KEY=value` or `KEY: value`, `#` comments, `\n`, `\r\n` or
 * `\r` line endings, and values in `'`, `"` or backticks that may span lines. A line inside a quoted value belongs to
 * that value, never an entry. The edits touch the entries of one key and keep every other byte as it was.
 */

/** Characters written without quotes: JWTs use `[A-Za-z0-9._-]`, base64 adds `+/=`, and `~` is URL-safe. */
const BARE_VALUE = /^[A-Za-z0-9._~+/=-]+$/;

/**
 * How a value is written after `KEY=` so that dotenv reads back exactly the value, on one line:
 * - bare when every character is in `[A-Za-z0-9._~+/=-]`;
 * - else in single quotes (read as they are) when it has no `'`, no line break and does not end with `\`;
 * - else in double quotes, line breaks written `\n` / `\r` (which dotenv expands there), when it has no `"` and no `\`;
 * - else in backticks when it has no backtick, no line break and does not end with `\`.
 * @returns undefined when none of these fits (a value with `'`, `"` and a backtick or a line break and a `\`), which no
 *   secret Agility issues has: dotenv could not read it back.
 */
export function formatEnvValue(value: string): string | undefined {
  return formatEnvValues(value)[0];
}

/** Every form of {@link formatEnvValue} that dotenv reads back as `value`, in that order of preference. */
export function formatEnvValues(value: string): string[] {
  if (BARE_VALUE.test(value)) return [value];
  const forms: string[] = [];
  // A `\` before the closing quote would escape it in dotenv's reading; dotenv trims what is outside quotes only.
  const plain = !/[\r\n]/.test(value) && !value.endsWith('\\');
  if (plain && !value.includes("'")) forms.push(`'${value}'`);
  if (!/["\\]/.test(value)) forms.push(`"${value.replace(/\n/g, '\\n').replace(/\r/g, '\\r')}"`);
  if (plain && !value.includes('`')) forms.push(`\`${value}\``);
  return forms;
}

/**
 * One entry as dotenv reads it, by offsets into the text: `lineStart` (the start of the line holding the key; from
 * there to `keyStart` are the indentation and `export `), the key, and the value's extent (`valueStart` after any
 * blanks following `=`, `valueEnd` where the value ends: before the blanks and comment that may follow it).
 */
export interface EnvEntry {
  readonly key: string;
  readonly lineStart: number;
  readonly keyStart: number;
  readonly valueStart: number;
  readonly valueEnd: number;
  /** The value as dotenv gives it: trimmed, its quotes taken off, `\n` and `\r` expanded in double quotes. */
  readonly value: string;
}

/**
 * One `dotenv` entry: the line start, optional `export`, the key, `=` (or `: `), then a value in quotes (which may
 * span lines) or bare up to a `#` or the end of the line, then blanks and a comment. The same grammar as the `dotenv`
 * package's parser, which runs it over the text with every `\r\n` or `\r` made `\n`.
 */
const ENTRY =
  /(?:^|^)\s*(?:export\s+)?([\w.-]+)(?:\s*=\s*?|:\s+?)(\s*'(?:\\'|[^'])*'|\s*"(?:\\"|[^"])*"|\s*`(?:\\`|[^`])*`|[^#\r\n]+)?\s*(?:#.*)?(?:$|$)/dgm;

/** Every entry of `content`, in order, as dotenv finds them (when a key repeats, dotenv keeps the last). */
export function envEntries(content: string): EnvEntry[] {
  const { text, offsets } = normalizeLineEndings(content);
  const entries: EnvEntry[] = [];
  for (const match of text.matchAll(ENTRY)) {
    const [keyStart, keyEnd] = match.indices![1]!;
    const value = match.indices![2];
    let valueStart: number;
    let valueEnd: number;
    if (value) {
      valueStart = value[0] + /^\s*/.exec(match[2]!)![0].length;
      valueEnd = value[1];
    } else {
      valueStart = keyEnd + /^(?:\s*=|:\s)/.exec(text.slice(keyEnd))![0].length;
      valueEnd = valueStart;
    }
    const lineStart = text.lastIndexOf('\n', keyStart - 1) + 1;
    entries.push({
      key: match[1]!,
      value: dotenvValue(match[2] ?? ''),
      lineStart: offsets[lineStart]!,
      keyStart: offsets[keyStart]!,
      valueStart: offsets[valueStart]!,
      valueEnd: offsets[valueEnd]!,
    });
  }
  return entries;
}

/** What dotenv makes of a value's text. */
function dotenvValue(raw: string): string {
  const trimmed = raw.trim();
  const unquoted = trimmed.replace(/^(['"`])([\s\S]*)\1$/gm, '$2');
  return trimmed[0] === '"' ? unquoted.replace(/\\n/g, '\n').replace(/\\r/g, '\r') : unquoted;
}

/** The variables of a dotenv text as dotenv reads them (the last entry of a key counts). */
export function envValues(content: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const e of envEntries(content)) values[e.key] = e.value;
  return values;
}

/**
 * `content` with `key` set to `value` ({@link upsertEnvLine}), in the first of the forms {@link formatEnvValues} gives
 * after which dotenv reads `value` for `key` and every other variable as before. An earlier value whose quote is
 * never closed can take a quote of the new line as its end; then another form is tried.
 * @returns the new text and the value text written, or undefined when no form works.
 */
export function setEnvValue(content: string, key: string, value: string): { text: string; valueText: string } | undefined {
  const expected = { ...envValues(content), [key]: value };
  for (const valueText of formatEnvValues(value)) {
    const text = upsertEnvLine(content, key, valueText);
    if (sameVariables(envValues(text), expected)) return { text, valueText };
  }
  return undefined;
}

/**
 * Undoes {@link setEnvValue} of `key` in `content` (as it is now, maybe with other keys changed since): the key gets
 * back what dotenv read before, `previous.value`, or is removed when `previous` is undefined. The previous value text is
 * put back as it was written when dotenv then reads it so, else the value in another form; every other variable keeps
 * what it reads now.
 * @returns the new text, or undefined when no form gives dotenv that reading.
 */
export function restoreEnvValue(content: string, key: string, previous: { text: string; value: string } | undefined): string | undefined {
  const now = envValues(content);
  if (previous === undefined) {
    const text = removeEnvLine(content, key);
    const expected = Object.fromEntries(Object.entries(now).filter(([k]) => k !== key));
    return sameVariables(envValues(text), expected) ? text : undefined;
  }
  const asWritten = upsertEnvLine(content, key, previous.text);
  if (sameVariables(envValues(asWritten), { ...now, [key]: previous.value })) return asWritten;
  return setEnvValue(content, key, previous.value)?.text;
}

function sameVariables(a: Record<string, string>, b: Record<string, string>): boolean {
  const names = Object.keys(a);
  return names.length === Object.keys(b).length && names.every((n) => Object.hasOwn(b, n) && a[n] === b[n]);
}

/**
 * Sets `key` in the dotenv text `content` to `valueText` (already formatted, see {@link formatEnvValue}).
 *
 * - The first entry for `key` (`KEY=…`, `KEY = …`, `export KEY=…`, `KEY: …`, indented or not) becomes
 *   `KEY=<valueText>`, keeping its indentation, its `export ` prefix, and what follows its value on its line (blanks,
 *   a comment, the line ending). A quoted value that spans several lines is replaced as a whole.
 * - Every later entry for `key` is removed with its line(s): dotenv reads the last, a shell `source` too, a person the
 *   first; one entry makes every reader see the new secret.
 * - When there is none, `KEY=<valueText>` is appended, after a line break if the text did not end with one, using
 *   the text's line ending style (`\r\n` when its first line ends so, `\n` otherwise).
 * - Every other byte (comments, blank lines, other entries, lines inside quoted values, their order and line
 *   endings) is kept.
 *
 * Works on any string whose line structure is ASCII, so callers may pass file bytes decoded as latin1 to keep invalid
 * UTF-8 byte for byte.
 */
export function upsertEnvLine(content: string, key: string, valueText: string): string {
  const mine = envEntries(content).filter((e) => e.key === key);
  if (mine.length === 0) {
    const eol = /^[^\n]*\r\n/.test(content) ? '\r\n' : '\n';
    const lead = content !== '' && !/[\r\n]$/.test(content) ? eol : '';
    return `${content}${lead}${key}=${valueText}${eol}`;
  }
  const [first, ...later] = mine as [EnvEntry, ...EnvEntry[]];
  // A bare value ends at a `#`: keep a blank between the new value and a comment that followed it.
  let out = `${content.slice(0, first.keyStart)}${key}=${valueText}${content.startsWith('#', first.valueEnd) ? ' ' : ''}`;
  let at = first.valueEnd;
  for (const e of later) {
    out += content.slice(at, e.lineStart);
    at = endOfLine(content, e.valueEnd);
  }
  return out + content.slice(at);
}

/**
 * The value text of the first entry for `key` in `content`, exactly as written after `KEY=` (leading blanks dropped;
 * a quoted value that spans lines keeps its line breaks), or `undefined` when there is none. Undoing a delivery puts
 * this text back with {@link upsertEnvLine}.
 */
export function readEnvValueText(content: string, key: string): string | undefined {
  const entry = envEntries(content).find((e) => e.key === key);
  return entry && content.slice(entry.valueStart, entry.valueEnd);
}

/** `content` without any entry for `key` (each removed with its line or lines); every other byte kept. */
export function removeEnvLine(content: string, key: string): string {
  let out = '';
  let at = 0;
  for (const e of envEntries(content).filter((x) => x.key === key)) {
    out += content.slice(at, e.lineStart);
    at = endOfLine(content, e.valueEnd);
  }
  return out + content.slice(at);
}

/** The offset after the line break that ends the line holding `offset` (`\r\n`, `\n` or `\r`), or the text's end. */
function endOfLine(content: string, offset: number): number {
  const m = /\r\n?|\n/.exec(content.slice(offset));
  return m ? offset + m.index + m[0].length : content.length;
}

/**
 * `content` with every `\r\n` and `\r` made `\n`, as dotenv reads it, and for each offset of that text the offset in
 * `content` it came from (one more entry, for the end).
 */
function normalizeLineEndings(content: string): { text: string; offsets: number[] } {
  let text = '';
  const offsets: number[] = [];
  for (let i = 0; i < content.length; i++) {
    offsets.push(i);
    if (content[i] === '\r') {
      text += '\n';
      if (content[i + 1] === '\n') i++;
    } else {
      text += content[i];
    }
  }
  offsets.push(content.length);
  return { text, offsets };
}
