/**
 * What reading a destination back found (docs/design.md, "Many machines, one writer"): the results of
 * `lib/sinks/sink-probe.ts`, which `status` and the reconciler read. Types and the wording of the verdict only.
 */

/** What one probe found. */
export interface SinkProbe {
  /** The sink, as messages describe it (`describeSink`). */
  readonly sink: string;
  /** `holds`: proven to hold this token's delivery; `drift`: holds something else (or nothing); `unchecked`: cannot tell. */
  readonly state: 'holds' | 'drift' | 'unchecked';
  /** Why, in a few words (paths and names, never a value). */
  readonly why: string;
}

/** The delivered token a probe compares with. */
export interface ProbedToken {
  readonly tokenID: string;
  /** ISO-8601; null when the API left it out (the write-time checks then cannot judge). */
  readonly createdDate: string | null;
}

/** The probes of each declared token (by declared name); a token absent from the map was not probed. */
export type SinkChecks = ReadonlyMap<string, readonly SinkProbe[]>;

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
