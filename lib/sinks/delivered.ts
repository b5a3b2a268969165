/** What a sink did with a secret: how to take it back if a later sink of the same token fails. */
export interface Delivered {
  /**
   * Puts back what this delivery replaced, touching nothing another delivery wrote since. Absent when the sink cannot
   * be undone (a program that already read the secret keeps it).
   */
  readonly undo?: () => Promise<void>;
}

/**
 * What a whole delivery left, for a writer that learns afterwards that it lost the race for its managed name
 * (docs/design.md, "Many machines, one writer"): it takes back what it can and says what it could not.
 */
export interface DeliveryReceipt {
  /**
   * Takes back the restorable sinks (file, env-file, vault), last first, each only while it still holds this
   * delivery's secret. Resolves to the sinks (described) whose undo failed; never throws.
   */
  undo(): Promise<string[]>;
  /** The sinks (described) that took the secret and cannot be taken back (command, github-actions). */
  readonly unrestorable: readonly string[];
}
