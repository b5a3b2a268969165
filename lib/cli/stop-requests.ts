import { InterruptedError } from '../core/errors';

/**
 * SIGINT and SIGTERM, as the hooks honour them: stop at once, never inside a delivery and its record, and exit non-zero
 * (docs/design.md, "Hardening"). Sections that must not be cut run through {@link StopRequests.critical}; everything
 * else may be abandoned when a stop arrives, and the request in flight is aborted through {@link StopRequests.abortSignal}.
 */
export class StopRequests {
  #signal: NodeJS.Signals | null = null;
  #depth = 0;
  readonly #listeners: Array<() => void> = [];
  readonly #abort = new AbortController();

  /**
   * Aborted when a stop is requested outside a critical section, or when the critical section running at the request
   * ends: give it to the API client, so the request in flight is cut at once (its reason is the InterruptedError).
   */
  get abortSignal(): AbortSignal {
    return this.#abort.signal;
  }

  /** The signal that asked the program to stop, or null. */
  get signal(): NodeJS.Signals | null {
    return this.#signal;
  }

  /** Records a stop request (the first one counts) and tells every waiter. */
  request(signal: NodeJS.Signals): void {
    if (this.#signal !== null) return;
    this.#signal = signal;
    if (this.#depth === 0) this.#abort.abort(this.#interrupted());
    for (const listener of this.#listeners.splice(0)) listener();
  }

  /** Resolves when a stop is requested. */
  requested(): Promise<void> {
    return new Promise((resolve) => (this.#signal !== null ? resolve() : this.#listeners.push(resolve)));
  }

  /** Runs `fn` as a section a stop must not cut; refuses to start one once a stop was requested. */
  async critical<T>(fn: () => Promise<T>): Promise<T> {
    this.checkpoint();
    this.#depth++;
    try {
      return await fn();
    } finally {
      this.#depth--;
      if (this.#depth === 0 && this.#signal !== null) {
        this.#abort.abort(this.#interrupted());
        for (const listener of this.#listeners.splice(0)) listener();
      }
    }
  }

  /** A safe point: throws {@link InterruptedError} when a stop was requested. */
  checkpoint(): void {
    if (this.#signal !== null) throw this.#interrupted();
  }

  /**
   * Runs `fn`, but rejects with {@link InterruptedError} as soon as a stop is requested outside a critical section (or
   * a critical section that was running when it came ends). The abandoned work is then cut by the process's exit.
   */
  interruptible<T>(fn: () => Promise<T>): Promise<T> {
    const stopped = new Promise<never>((_, reject) => {
      const check = (): void => {
        if (this.#depth === 0) reject(this.#interrupted());
        else this.#listeners.push(check);
      };
      void this.requested().then(check);
    });
    return Promise.race([fn(), stopped]);
  }

  #interrupted(): InterruptedError {
    const signal = this.#signal ?? 'SIGTERM';
    return new InterruptedError(
      `stopped by ${signal} at a safe point: no token is half made (any token created was delivered or revoked first). Deploy again to carry on.`,
      { signal },
    );
  }
}
