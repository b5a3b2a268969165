import { randomInt } from 'node:crypto';
import type { TokenResponseData } from '../api/models';
import { InterruptedError, TimeoutError, isAgilityPatError } from '../core/errors';

/**
 * The browser sign-in of Agility's own CLI (docs/oauth.md, "The sign-in flow"), rebuilt: open
 * `{host}/oauth/Authorize?response_type=code&redirect_uri={host}/oauth/CliAuth&state=cli-code.<code>` in a browser, then
 * `POST {host}/oauth/CliPoll` with the form field `cliCode=<code>` every 2 s until the answer holds an access token.
 * Neither `/oauth/CliAuth` nor `/oauth/CliPoll` is in Agility's API document: this is what Agility's CLI does.
 */

/** How often `/oauth/CliPoll` is asked, as Agility's CLI does. */
export const CLI_POLL_INTERVAL_MS = 2000;
/** How long `auth login` waits for the browser sign-in unless `--timeout` says otherwise. */
export const DEFAULT_SIGN_IN_TIMEOUT_MS = 5 * 60_000;
/** The scope that asks for a refresh token, as Agility's .NET SDK sends it. */
export const OFFLINE_SCOPE = 'offline_access';

/**
 * A CLI code of the shape Agility's CLI makes: 6 base-36 characters (the server's accepted shape is undocumented),
 * from node:crypto rather than Math.random: whoever knows the code can collect the sign-in.
 */
export function newCliCode(): string {
  return randomInt(0, 36 ** 6)
    .toString(36)
    .padStart(6, '0');
}

/**
 * The sign-in URL. Without `offline` it is exactly what Agility's CLI opens (the dot of `cli-code.` sent as `%2e`,
 * as that CLI does); with it, `&scope=offline_access` is added to ask for a refresh token.
 */
export function authorizeUrl(apiUrl: string, cliCode: string, offline: boolean): string {
  const redirect = encodeURIComponent(`${apiUrl}/oauth/CliAuth`);
  const scope = offline ? `&scope=${OFFLINE_SCOPE}` : '';
  return `${apiUrl}/oauth/Authorize?response_type=code&redirect_uri=${redirect}&state=cli-code%2e${cliCode}${scope}`;
}

/** What {@link pollCliSignIn} needs. */
export interface CliPollOptions {
  /** `POST /oauth/CliPoll` for the code. */
  readonly poll: () => Promise<TokenResponseData>;
  /** How long to wait in all, in ms. */
  readonly timeoutMs: number;
  /** Resolves when the user asks to stop (SIGINT, SIGTERM). */
  readonly stopSignal?: Promise<unknown>;
  /** Pause between polls. @default CLI_POLL_INTERVAL_MS */
  readonly intervalMs?: number;
  /** Elapsed time source (real time: the hooks' simulated clock must not freeze a wait). @default Date.now */
  readonly now?: () => number;
}

/**
 * Polls until the answer holds an access token. Any refusal (a 4xx before the sign-in is done, a dropped connection)
 * means "not yet", as in Agility's CLI; the last one is named when the wait runs out.
 * @throws TimeoutError after `timeoutMs`; InterruptedError when asked to stop.
 */
export async function pollCliSignIn(options: CliPollOptions): Promise<TokenResponseData> {
  const now = options.now ?? Date.now;
  const interval = options.intervalMs ?? CLI_POLL_INTERVAL_MS;
  const deadline = now() + options.timeoutMs;
  let stopped = false;
  void options.stopSignal?.then(() => (stopped = true));
  let last = 'no answer yet';
  for (;;) {
    const wait = Math.min(interval, Math.max(0, deadline - now()));
    if (await pause(wait, options.stopSignal)) stopped = true;
    if (stopped) throw new InterruptedError('the sign-in was stopped before it completed: nothing was stored.', { signal: 'SIGINT' });
    try {
      const answer = await options.poll();
      if (answer.access_token) return answer;
      last = 'an answer without an access_token';
    } catch (e) {
      if (!isAgilityPatError(e) || e.code === 'INVALID_INPUT') throw e;
      const status = e.details.status;
      last = typeof status === 'number' ? `HTTP ${status}` : e.code;
    }
    if (now() >= deadline) {
      throw new TimeoutError(
        `the browser sign-in did not complete within ${Math.round(options.timeoutMs / 1000)} s (last answer of POST /oauth/CliPoll: ` +
          `${last}): open the printed URL in a browser and sign in, or run again with a longer --timeout.`,
        { method: 'POST', path: '/oauth/CliPoll', timeoutMs: options.timeoutMs },
      );
    }
  }
}

/** Waits `ms`; true when the stop signal came first. */
function pause(ms: number, stopSignal: Promise<unknown> | undefined): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    void stopSignal?.then(() => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}
