/** Replaces every occurrence of each secret in `text` with `[redacted]`. Secrets shorter than 8 characters are ignored. */
export function redactSecrets(text: string, secrets: Iterable<string | undefined | null>): string {
  let out = text;
  for (const s of secrets) {
    if (s && s.length >= 8) out = out.split(s).join('[redacted]');
  }
  return out;
}

/** True when `text` contains any of the secrets. */
export function containsSecret(text: string, secrets: Iterable<string | undefined | null>): boolean {
  for (const s of secrets) if (s && s.length >= 8 && text.includes(s)) return true;
  return false;
}

/** Anything shaped like a JWT: PAT secrets and OAuth access tokens are JWTs. */
const JWT = /eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g;
/** `Bearer` and the run of RFC 6750 `b64token` characters after it (trailing dots are a sentence's, not the value's). */
const BEARER = /\b(Bearer)(\s+)([A-Za-z0-9\-._~+/]+=*)/gi;

/**
 * True when the word after `Bearer` is a credential value rather than prose: it has a character that is not a
 * letter (digits, `-._~+/=`), or it is at least 20 letters long. "The bearer token is not valid" keeps its words;
 * `Bearer 0f3c9a…` and `Bearer abcdefghijklmnopqrstu` lose their values.
 */
const looksLikeValue = (word: string): boolean => /[^A-Za-z]/.test(word) || word.length >= 20;

/**
 * Removes secrets from text that came from outside (a response body, a transport error): every known secret, and,
 * whatever their value, anything shaped like a JWT or a credential value following `Bearer `. Values, never words:
 * a sentence about a bearer token is left as it is.
 */
export function scrubText(text: string, secrets: Iterable<string | undefined | null>): string {
  return redactSecrets(text, secrets)
    .replace(JWT, '[redacted]')
    .replace(BEARER, (whole, bearer: string, space: string, run: string) => {
      const value = run.replace(/\.+$/, '');
      return looksLikeValue(value) ? `${bearer}${space}[redacted]${run.slice(value.length)}` : whole;
    });
}
