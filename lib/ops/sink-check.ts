import type { PersonalAccessTokenResponse } from '../api/models';
import type { StackManifest } from '../core/manifest';
import { managedNameState } from '../core/token-state';
import { probeSinks, type ProbeOptions, type SinkProbe } from '../sinks/sink-probe';

/**
 * `status` reading the destinations (docs/design.md, "Many machines, one writer"): for each declared token whose
 * current generation has exactly one live, delivered token, whether each of its sinks still holds that token's
 * delivery. Tokens in any other state get no probe: their own verdicts (missing, undelivered, duplicate) already say
 * what a deploy does. Nothing here uses a token's secret, so no `lastUsedDate` moves.
 */

/** The probes of each declared token (by declared name); a token absent from the map was not probed. */
export type SinkChecks = ReadonlyMap<string, readonly SinkProbe[]>;

/** Probes the sinks of every declared token that has exactly one live, delivered token of its current generation. */
export async function checkStackSinks(
  manifest: StackManifest,
  listed: readonly PersonalAccessTokenResponse[],
  nowMs: number,
  options: ProbeOptions,
): Promise<Map<string, SinkProbe[]>> {
  const checks = new Map<string, SinkProbe[]>();
  await Promise.all(
    manifest.tokens.map(async (t) => {
      const { delivered } = managedNameState(listed, t.currentManagedName, nowMs);
      if (delivered.length !== 1 || t.sinks.length === 0) return;
      checks.set(t.declaredName, await probeSinks(t.sinks, delivered[0]!, options));
    }),
  );
  return checks;
}

/** The `sink-drift` note of a token whose probes found a destination holding something else; null when none did. */
export function sinkDriftNote(managedName: string, probes: readonly SinkProbe[] | undefined): string | null {
  const drifted = (probes ?? []).filter((p) => p.state === 'drift');
  if (drifted.length === 0) return null;
  return (
    `${drifted.map((p) => `${p.sink}: ${p.why}`).join('; ')}. Its consumers may be reading a secret that does not work: ` +
    `the stack's reconciler (a deploy that changes the stack, or the drift check) delivers a fresh "${managedName}" to every sink; ` +
    'agility-pat tokens rotate does it now.'
  );
}
