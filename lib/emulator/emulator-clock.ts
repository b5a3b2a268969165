import type { Clock } from '../core/clock';

/**
 * The emulator's own clock. It follows the real clock until someone sets it; once set (by the `now`
 * option or `POST /__emulator/clock`) it stays frozen at that instant and moves only when set or advanced
 * again, so tests can step over an access token's hour or a token's expiry exactly.
 */
export class EmulatorClock {
  private frozenAtMs: number | undefined;

  /**
   * @param initialMs where {@link reset} returns to: a frozen instant, or undefined for real time.
   * @param realClock the wall clock followed while unset. @default Date.now
   */
  constructor(
    private readonly initialMs: number | undefined,
    private readonly realClock: Clock = Date.now,
  ) {
    this.frozenAtMs = initialMs;
  }

  /** Emulator time, epoch milliseconds. */
  readonly now: Clock = () => this.frozenAtMs ?? this.realClock();

  /** Freezes the clock at `ms`. */
  set(ms: number): void {
    this.frozenAtMs = ms;
  }

  /** Moves the clock by `seconds` (may be negative) from its current reading and freezes it there. */
  advance(seconds: number): void {
    this.frozenAtMs = this.now() + seconds * 1000;
  }

  /** Back to the initial instant (the `now` option), or to real time when there was none. */
  reset(): void {
    this.frozenAtMs = this.initialMs;
  }

  /** The frozen instant, or undefined while the clock follows real time (what the state file keeps). */
  frozenAt(): number | undefined {
    return this.frozenAtMs;
  }
}
