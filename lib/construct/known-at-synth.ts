import { Token } from 'cdktf';
import { InvalidInputError } from '../core/errors';

/** An unresolved cdktf token found in a prop: where (`sinks[0].path`) and its placeholder (`${TfToken[TOKEN.0]}`). */
interface Unresolved {
  readonly prop: string;
  readonly placeholder: string;
}

/**
 * The first unresolved cdktf token in `value` (a prop, or a sink's spec) at prop path `path`; undefined when every
 * string and number is a plain value. Arrays and plain objects are searched; a Date is a plain value.
 */
export function firstUnresolved(value: unknown, path: string): Unresolved | undefined {
  if (typeof value === 'string' || typeof value === 'number') {
    return Token.isUnresolved(value) ? { prop: path, placeholder: String(value) } : undefined;
  }
  const entries: [string, unknown][] = Array.isArray(value)
    ? value.map((v, i) => [`${path}[${i}]`, v])
    : value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype
      ? Object.entries(value).map(([k, v]) => [`${path}.${k}`, v])
      : [];
  for (const [p, v] of entries) {
    const found = firstUnresolved(v, p);
    if (found) return found;
  }
  return undefined;
}

/**
 * Refuses a value Terraform knows only at apply (a `TerraformVariable`, a resource attribute, an `Fn.*` result) in
 * any of `props`: names, expiries, anchors, references and sink targets become managed names, manifest entries and
 * triggers at synth, where a token would be written as its placeholder (the manifest and the slot's triggers would
 * then disagree, and the reconciler would take the slot's own token for an orphan). The construct layer adds the
 * construct path.
 * @throws InvalidInputError `<prop> must be known at synth`, `details.prop` the prop path, e.g. `sinks[1].key`.
 */
export function requireKnownAtSynth(props: Readonly<Record<string, unknown>>): void {
  for (const [name, value] of Object.entries(props)) {
    const found = firstUnresolved(value, name);
    if (!found) continue;
    throw new InvalidInputError(
      `${found.prop} must be known at synth, but it is a token Terraform resolves only at apply (${found.placeholder}): ` +
        'give a plain value (read an environment variable or the cdktf context at synth, not a TerraformVariable or a resource attribute).',
      { prop: found.prop, value: found.placeholder },
    );
  }
}
