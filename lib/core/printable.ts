/**
 * Text that came from outside (Agility's error bodies, listed token names, anything quoted in an error) is printed
 * through {@link printable}, so that it cannot drive the terminal: an ESC starts an ANSI sequence that can recolour,
 * move the cursor, rewrite the title or hide what follows; a bidi override reorders what the reader sees; a
 * zero-width character makes two different names look the same.
 */

/**
 * Characters that never reach a terminal raw: controls (`Cc`: C0, DEL, C1 such as U+009B, the 8-bit CSI), format
 * characters (`Cf`: bidi embeddings, overrides and isolates, zero-width space and joiners, the BOM, soft hyphen),
 * line and paragraph separators (`Zl`, `Zp`), and lone surrogates (`Cs`: only unpaired halves match with the `u` flag).
 */
const UNPRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/gu;

/** `\uXXXX` for each UTF-16 unit: the JSON escape, so that escaped JSON text stays JSON with the same value. */
const escapeUnits = (s: string): string =>
  [...Array(s.length).keys()].map((i) => `\\u${s.charCodeAt(i).toString(16).padStart(4, '0')}`).join('');

/**
 * `text` with every character of {@link UNPRINTABLE} written as its `\uXXXX` escape (ESC becomes the six visible
 * characters `\u001b`), so what it says stays readable and nothing in it acts on the terminal. Backslashes are left
 * as they are, so `printable(JSON.stringify(v))` is still JSON for the same value.
 *
 * @param options.multiline keep line feeds (for multi-line output such as indented JSON); by default they are
 *   escaped too, so one message is one line and outside text cannot forge a line of its own.
 */
export function printable(text: string, options: { readonly multiline?: boolean } = {}): string {
  return String(text).replace(UNPRINTABLE, (c) => (options.multiline && c === '\n' ? c : escapeUnits(c)));
}

/**
 * The first character of `text` that {@link printable} would escape, described for a message, e.g.
 * `U+202E at position 4`; `undefined` when there is none.
 */
export function firstUnprintable(text: string): string | undefined {
  const m = new RegExp(UNPRINTABLE.source, 'u').exec(text);
  if (!m) return undefined;
  return `U+${m[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')} at position ${[...text.slice(0, m.index)].length + 1}`;
}
