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
