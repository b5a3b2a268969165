/**
 * Polls `check` every 25 ms until it is true, failing after `timeoutMs` with a message naming `what`: for tests that
 * wait on something they cannot get an event for, instead of a fixed sleep.
 */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
