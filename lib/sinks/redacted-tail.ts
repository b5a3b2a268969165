import { StringDecoder } from 'node:string_decoder';
import { redactSecrets } from '../core/redact';

/** Shortest secret prefix worth hiding at the end of an output (matches `redactSecrets`' 8-character floor). */
const MIN_PARTIAL = 8;

/**
 * The last `limit` characters of a stream (a program's stdout or stderr), with every occurrence of the
 * secrets replaced by `[redacted]`.
 *
 * Redaction happens as the text arrives, before old text is dropped, and at least one secret's length is
 * kept, so that trimming the front can never leave the tail of a secret behind; a secret split across
 * chunks, or across a UTF-8 character boundary, is reassembled first. A program that stopped in the middle
 * of echoing a secret leaves a prefix of it at the end: {@link text} hides that too.
 */
export class RedactedTail {
  private buffer = '';
  private truncated = false;
  private readonly decoder = new StringDecoder('utf8');
  private readonly keep: number;
  private readonly secrets: readonly string[];

  /**
   * @param secrets the values that must never come out (shorter than 8 characters are ignored, as in `redactSecrets`).
   * @param limit how many characters of the end of the stream to keep.
   */
  constructor(
    secrets: readonly string[],
    readonly limit = 4096,
  ) {
    this.secrets = secrets.filter((s) => s.length >= MIN_PARTIAL);
    this.keep = Math.max(limit, ...this.secrets.map((s) => s.length));
  }

  /** Adds a chunk of the stream. */
  push(chunk: Buffer | string): void {
    const text = typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
    this.buffer = redactSecrets(this.buffer + text, this.secrets);
    if (this.buffer.length > this.keep) {
      this.buffer = this.buffer.slice(this.buffer.length - this.keep);
      this.truncated = true;
    }
  }

  /** The redacted end of the stream, trimmed; `…` in front when earlier output was dropped. */
  text(): string {
    let text = redactSecrets(this.buffer + this.decoder.end(), this.secrets);
    this.buffer = text;
    text = hidePartialSecretAtEnd(text, this.secrets);
    let truncated = this.truncated;
    if (text.length > this.limit) {
      text = text.slice(text.length - this.limit);
      truncated = true;
    }
    text = text.trim();
    return truncated && text !== '' ? `…${text}` : text;
  }
}

function hidePartialSecretAtEnd(text: string, secrets: readonly string[]): string {
  for (const secret of secrets) {
    for (let k = Math.min(secret.length - 1, text.length); k >= MIN_PARTIAL; k--) {
      if (text.endsWith(secret.slice(0, k))) return `${text.slice(0, text.length - k)}[redacted]`;
    }
  }
  return text;
}
