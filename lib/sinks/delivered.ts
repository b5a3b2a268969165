/** What a sink did with a secret: how to take it back if a later sink of the same token fails. */
export interface Delivered {
  /**
   * Puts back what this delivery replaced, touching nothing another delivery wrote since. Absent when the sink cannot
   * be undone (a program that already read the secret keeps it).
   */
  readonly undo?: () => Promise<void>;
}
