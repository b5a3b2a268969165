/**
 * `deliverSecret` behind the parse every real caller makes at its boundary (the hook's `AGILITY_PAT_SINKS`, the
 * manifest read, the construct): the sinks tests write specs as plain objects, and `deliverSecret` takes only
 * `ValidSinkSpec`s, which it does not check again.
 */
import { type SinkSpec, type ValidSinkSpec, validateSinkSpec } from '../../lib/core/sink-spec';
import { deliverSecret as deliverValid } from '../../lib/sinks';
import type { DeliveryReceipt } from '../../lib/sinks/delivered';

/** Plain specs parsed as the boundaries parse them, labelled `sinks[i]`. */
export function validSinks(sinks: readonly SinkSpec[]): ValidSinkSpec[] {
  return sinks.map((s, i) => validateSinkSpec(s, `sinks[${i}]`));
}

/** Parses `sinks` (an invalid one throws INVALID_INPUT before anything is delivered), then delivers. */
export async function deliverSecret(
  secret: string,
  sinks: readonly SinkSpec[],
  ...rest: Parameters<typeof deliverValid> extends [unknown, unknown, ...infer R] ? R : never
): Promise<DeliveryReceipt> {
  return deliverValid(secret, validSinks(sinks), ...rest);
}
