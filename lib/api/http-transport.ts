import { setTimeout as sleepFor } from 'node:timers/promises';
import type { Dispatcher } from 'undici';
import {
  type AgilityPatError,
  type HttpErrorDetails,
  InvalidInputError,
  NetworkError,
  TimeoutError,
  isAgilityPatError,
} from '../core/errors';
import { HOOK_ENV } from '../core/hook-contract';
import { printable } from '../core/printable';
import { scrubText } from '../core/redact';
import {
  RETRYABLE_STATUSES,
  type ResolvedRetryOptions,
  type RetryOptions,
  backoffDelayMs,
  parseRetryAfter,
  resolveRetryOptions,
} from './retry';
import { type Exchange, nodeExchange } from './exchange';

/**
 * The HTTP layer under every API this package calls (Agility's Management API, GitHub, Vault): one exchange at a time
 * through node's http/https (or undici, given a dispatcher), one deadline per call, bounded retries of idempotent calls with backoff and `Retry-After`, and typed errors whose messages
 * never hold a credential or a secret.
 */

/** Options of {@link HttpTransport}. */
export interface HttpTransportOptions {
  /** Base URL, already checked and without a trailing slash; routes are appended to it. */
  baseUrl: string;
  /**
   * undici dispatcher (a `MockAgent` in tests): requests then go through undici's `request`, loaded only then.
   * @default - node's http/https global agents (`nodeExchange`)
   */
  dispatcher?: Dispatcher;
  /**
   * Milliseconds one call may take in all: every attempt from sending to the end of the body, and the waits between
   * retries. One deadline, not an idle timer: a server that trickles its answer a byte at a time still fails on
   * time. The `agility-pat` program reads it for the Agility API from `AGILITY_PAT_TIMEOUT_MS`. @default 30000
   */
  timeoutMs?: number;
  /** Retry policy of idempotent calls. @default {maxRetries: 3, baseDelayMs: 500, maxDelayMs: 30000} */
  retry?: RetryOptions;
  /** Waits between retries. @default - a `setTimeout` promise */
  sleep?: (ms: number) => Promise<void>;
  /** Jitter source in [0, 1). @default Math.random */
  random?: () => number;
}

/** Default deadline of one call, retries included: 30 s. */
export const DEFAULT_TIMEOUT_MS = 30_000;

/** One request. */
export interface HttpCall {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Route relative to the base URL, starting with `/` (a query string is allowed). */
  route: string;
  headers: Record<string, string>;
  body?: string;
  /** Retry on network errors, timeouts and 408/429/5xx. Only for calls that may safely run twice. */
  retryable: boolean;
  /** Values no error may contain (credentials, secrets). */
  secrets: readonly string[];
}

/** A complete answer, body read. */
export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  bodyText: string;
  json: unknown;
  isJson: boolean;
}

/** Maps a non-2xx answer to a typed error; `retryAfterSeconds` is the parsed `Retry-After`. */
export type ErrorMapper = (answer: HttpAnswer, retryAfterSeconds: number | undefined) => AgilityPatError;

/** A monotonic clock in ms, like `performance.now()` without loading node:perf_hooks into every hook process. */
function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** Marks our own deadline as the abort reason, to tell it apart from any other failure. */
class DeadlineReached extends Error {}

/** Sends {@link HttpCall}s to one base URL. */
export class HttpTransport {
  readonly baseUrl: string;
  readonly timeoutMs: number;
  readonly #exchange: Exchange;
  readonly #retry: ResolvedRetryOptions;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #random: () => number;

  /** @throws InvalidInputError for a bad timeout or retry option. */
  constructor(options: HttpTransportOptions) {
    this.baseUrl = options.baseUrl;
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) {
      throw new InvalidInputError(`timeoutMs must be a positive whole number of milliseconds, got ${String(timeoutMs)}.`, {
        prop: 'timeoutMs',
      });
    }
    this.timeoutMs = timeoutMs;
    this.#exchange = options.dispatcher ? undiciExchangeOn(options.dispatcher) : nodeExchange;
    this.#retry = resolveRetryOptions(options.retry);
    this.#sleep = options.sleep ?? ((ms) => sleepFor(ms).then(() => undefined));
    this.#random = options.random ?? Math.random;
  }

  /** The URL path of a call, without host or query: what messages and details name. */
  path(call: Pick<HttpCall, 'route'>): string {
    return new URL(this.baseUrl + call.route).pathname;
  }

  details(call: Pick<HttpCall, 'method' | 'route'>, status?: number): HttpErrorDetails {
    return status === undefined ? { method: call.method, path: this.path(call) } : { method: call.method, path: this.path(call), status };
  }

  /**
   * Sends a call, retrying a retryable one on transient failures; returns a 2xx answer, or throws what `toError` makes
   * of the last non-2xx answer, or a NetworkError / TimeoutError.
   */
  async send(call: HttpCall, toError: ErrorMapper): Promise<HttpAnswer> {
    const deadline = monotonicMs() + this.timeoutMs;
    for (let attempt = 0; ; attempt++) {
      let failure: AgilityPatError;
      let retryAfterSeconds: number | undefined;
      let answer: HttpAnswer | undefined;
      try {
        answer = await this.#attempt(call, deadline);
      } catch (e) {
        if (!isAgilityPatError(e)) throw e;
        failure = e; // NetworkError or TimeoutError: worth another try
      }
      if (answer !== undefined) {
        if (answer.status >= 200 && answer.status < 300) return answer;
        retryAfterSeconds = parseRetryAfter(answer.headers['retry-after'], serverNow(answer.headers));
        failure = toError(answer, retryAfterSeconds);
        if (!RETRYABLE_STATUSES.has(answer.status)) throw failure;
      }
      if (!call.retryable || attempt >= this.#retry.maxRetries) throw failure!;
      let delay: number;
      if (retryAfterSeconds !== undefined) {
        // The server asked for a wait: honour it exactly, or give up when it is longer than we are willing to wait.
        delay = retryAfterSeconds * 1000;
        if (delay > this.#retry.maxDelayMs) throw failure!;
      } else {
        delay = backoffDelayMs(attempt, this.#retry, this.#random);
      }
      // No wait that would end past the deadline: the retry after it could not finish in time anyway.
      if (monotonicMs() + delay >= deadline) throw failure!;
      await this.#sleep(delay);
    }
  }

  /** One HTTP exchange, body read in full, before `deadline` (a `monotonicMs()` instant). Throws only NetworkError or TimeoutError. */
  async #attempt(call: HttpCall, deadline: number): Promise<HttpAnswer> {
    // The abort covers connecting, the headers and the whole body: a transport's own timeouts only bound idle time.
    const remaining = Math.max(1, Math.ceil(deadline - monotonicMs()));
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new DeadlineReached()), remaining);
    try {
      const res = await this.#exchange(this.baseUrl + call.route, {
        method: call.method,
        headers: call.headers,
        body: call.body,
        signal: controller.signal,
        remainingMs: remaining,
      });
      const contentType = String(res.headers['content-type'] ?? '').toLowerCase();
      const { json, isJson } = parseJsonBody(res.bodyText, /[/+]json\b/.test(contentType));
      return { status: res.statusCode, headers: res.headers, bodyText: res.bodyText, json, isJson };
    } catch (e) {
      throw this.#transportError(call, e, controller.signal);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Maps a failure to connect, send or read to NetworkError or TimeoutError, keeping only a redacted code and message. */
  #transportError(call: HttpCall, e: unknown, signal: AbortSignal): AgilityPatError {
    const code = typeof (e as { code?: unknown })?.code === 'string' ? (e as { code: string }).code : undefined;
    const what = `${call.method} ${this.path(call)}`;
    if (
      (signal.aborted && signal.reason instanceof DeadlineReached) ||
      code === 'UND_ERR_HEADERS_TIMEOUT' ||
      code === 'UND_ERR_BODY_TIMEOUT'
    ) {
      return new TimeoutError(
        `${what} timed out: no complete answer from ${this.baseUrl} within ${this.timeoutMs} ms (retries included); ` +
          `check the network, or allow more time with ${HOOK_ENV.timeoutMs} (the client's timeoutMs).`,
        { ...this.details(call), timeoutMs: this.timeoutMs },
      );
    }
    const rawMessage = e instanceof Error ? e.message : String(e);
    const message = printable(scrubText(rawMessage, secretForms(call.secrets))).slice(0, 300);
    // A fresh Error carrying only the code and message: undici errors can hold request options and headers.
    const cause = Object.assign(new Error(message), code ? { code } : {});
    return new NetworkError(
      `${what} could not reach ${this.baseUrl}: ${message}${code ? ` (${code})` : ''}; check the network and the base URL, then retry.`,
      { ...this.details(call), ...(code ? { errorCode: code } : {}) },
      { cause },
    );
  }
}

/** undici's exchange on `dispatcher`; undici loads here, on first use, never in a process that gives no dispatcher. */
function undiciExchangeOn(dispatcher: Dispatcher): Exchange {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('./undici-request') as typeof import('./undici-request')).undiciExchange(dispatcher);
}

/** Each secret, also as it looks inside a URL or a form body, where a transport error message might quote it. */
export function secretForms(secrets: Iterable<string | undefined | null>): string[] {
  const raw = [...secrets].filter((s): s is string => typeof s === 'string' && s !== '');
  return [...new Set(raw.flatMap((s) => [s, encodeURIComponent(s), new URLSearchParams({ s }).toString().slice(2)]))];
}

/** The server's own idea of now (the `Date` header), for an HTTP-date `Retry-After`; our wall clock otherwise. */
function serverNow(headers: HttpAnswer['headers']): number {
  const raw = headers.date;
  const parsed = Date.parse(Array.isArray(raw) ? raw[0] : (raw ?? ''));
  return Number.isNaN(parsed) ? Date.now() : parsed;
}

/** JSON when the content type says so or the text looks like a JSON object or array. */
function parseJsonBody(text: string, declaredJson: boolean): { json: unknown; isJson: boolean } {
  const trimmed = text.trim();
  if (trimmed === '' || !(declaredJson || trimmed.startsWith('{') || trimmed.startsWith('['))) return { json: undefined, isJson: false };
  try {
    return { json: JSON.parse(trimmed), isJson: true };
  } catch {
    return { json: undefined, isJson: false };
  }
}
