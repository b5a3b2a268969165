/**
 * The dotenv text edits of the `env-file` sink, as pure functions. They read the format the way the `dotenv`
 * package does (`[export ]KEY=value`, `#` comments, quoted values that may span lines) and touch nothing but
 * the one entry they set.
 */

/** Characters written without quotes: JWTs use `[A-Za-z0-9._-]`, base64 adds `+/=`, and `~` is URL-safe. */
const BARE_VALUE = /^[A-Za-z0-9._~+/=-]+$/;

const ESCAPES: Readonly<Record<string, string>> = { '\\': '\\\\', '"': '\\"', '\n': '\\n', '\r': '\\r' };

/**
 * How a value is written after `KEY=`: bare when every character is in `[A-Za-z0-9._~+/=-]`, otherwise in
 * double quotes with `\` and `"` escaped. Line breaks become `\n` / `\r` (which dotenv expands in double
 * quotes) so that the entry stays on one line.
 */
export function formatEnvValue(value: string): string {
  if (BARE_VALUE.test(value)) return value;
  return `"${value.replace(/[\\"\n\r]/g, (c) => ESCAPES[c] ?? c)}"`;
}

/** A UTF-8 byte order mark, as UTF-16 (`\uFEFF`) or as one character per byte (latin1). */
const BOM = '(?:\\uFEFF|\\u00EF\\u00BB\\u00BF)?';
/** A byte order mark only counts at the very start of the text. */
const BOM_START = /^(?:\uFEFF|\u00EF\u00BB\u00BF)/;

/**
 * Sets `key` in the dotenv text `content` to `valueText` (already formatted, see {@link formatEnvValue}).
 *
 * - The first entry for `key` (`KEY=…`, `KEY = …`, `export KEY=…`, indented or not) is replaced in place by
 *   `KEY=<valueText>`, keeping its indentation, its `export ` prefix and its line ending (`\n`, `\r\n`, or
 *   none on a last line). A quoted value that spans several lines is replaced as a whole.
 * - Every later entry for `key` is removed.
 * - When there is none, `KEY=<valueText>` is appended, after a line break if the text did not end with one,
 *   using the text's line ending style (`\r\n` when its first line ends so, `\n` otherwise).
 * - Every other byte (comments, blank lines, other entries, their order and line endings) is kept.
 *
 * Works on any string whose line structure is ASCII, so callers may pass file bytes decoded as latin1 to
 * keep invalid UTF-8 byte for byte.
 */
export function upsertEnvLine(content: string, key: string, valueText: string): string {
  const pieces = envPieces(content, key);
  let replaced = false;
  const out = pieces.map((p) => {
    if (p.kind === 'other') return p.text;
    // Later duplicates are removed: dotenv keeps the first, a shell `source` keeps the last, so only one
    // entry makes every reader see the new secret.
    if (replaced) return '';
    replaced = true;
    return `${p.prefix}${key}=${valueText}${p.eol}`;
  });
  if (!replaced) {
    const eol = /^[^\n]*\r\n/.test(content) ? '\r\n' : '\n';
    if (content !== '' && !content.endsWith('\n')) out.push(eol);
    out.push(`${key}=${valueText}${eol}`);
  }
  return out.join('');
}

/**
 * The value text of the first entry for `key` in `content`, exactly as written after `KEY=` (leading blanks dropped;
 * a quoted value that spans lines keeps its line breaks), or `undefined` when there is none. Undoing a delivery puts
 * this text back with {@link upsertEnvLine}.
 */
export function readEnvValueText(content: string, key: string): string | undefined {
  const entry = envPieces(content, key).find((p) => p.kind === 'entry');
  return entry?.kind === 'entry' ? entry.valueText : undefined;
}

/** `content` without any entry for `key`; every other byte kept. */
export function removeEnvLine(content: string, key: string): string {
  return envPieces(content, key)
    .map((p) => (p.kind === 'other' ? p.text : ''))
    .join('');
}

/** `content` cut into the entries for one key and the text around them, in order. */
type EnvPiece =
  | { readonly kind: 'other'; readonly text: string }
  | { readonly kind: 'entry'; readonly prefix: string; readonly valueText: string; readonly eol: string };

function envPieces(content: string, key: string): EnvPiece[] {
  const entry = new RegExp(`^(${BOM}[ \\t]*(?:export[ \\t]+)?)${escapeRegExp(key)}(?:[ \\t]*=|:[ \\t])(.*)$`);
  const lines = splitLines(content);
  const pieces: EnvPiece[] = [];
  for (let i = 0; i < lines.length; i++) {
    const { body, eol } = lines[i]!;
    const match = entry.exec(body);
    if (!match || (i > 0 && BOM_START.test(match[1]!))) {
      pieces.push({ kind: 'other', text: body + eol });
      continue;
    }
    const last = lastLineOfValue(lines, i, match[2]!);
    const valueLines = [match[2]!.replace(/^[ \t]+/, ''), ...lines.slice(i + 1, last + 1).map((l) => l.body)];
    const inner = lines.slice(i, last).map((l) => l.eol);
    pieces.push({
      kind: 'entry',
      prefix: match[1]!,
      valueText: valueLines.map((text, j) => text + (inner[j] ?? '')).join(''),
      eol: lines[last]!.eol,
    });
    i = last;
  }
  return pieces;
}

interface Line {
  /** The line without its ending. */
  readonly body: string;
  /** `\r\n`, `\n`, or `''` for a last line without one. */
  readonly eol: string;
}

function splitLines(content: string): Line[] {
  return (content.match(/[^\n]*\n|[^\n]+$/g) ?? []).map((line) => {
    const eol = line.endsWith('\r\n') ? '\r\n' : line.endsWith('\n') ? '\n' : '';
    return { body: line.slice(0, line.length - eol.length), eol };
  });
}

/**
 * The index of the line where the value starting on line `first` ends. A value that opens a quote (`"`, `'`
 * or a backtick) not closed on its line runs to the line that closes it, as in dotenv; an unclosed quote
 * means a one-line value, as in dotenv.
 */
function lastLineOfValue(lines: readonly Line[], first: number, rest: string): number {
  const value = rest.replace(/^[ \t]+/, '');
  const quote = value[0];
  if (quote !== '"' && quote !== "'" && quote !== '`') return first;
  let text = value.slice(1);
  for (let i = first; i < lines.length; i++) {
    if (i > first) text = lines[i]!.body;
    for (let j = 0; j < text.length; j++) {
      if (text[j] === '\\') j++;
      else if (text[j] === quote) return i;
    }
  }
  return first;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
