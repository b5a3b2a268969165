/**
 * One HTTP exchange, body read in full: the seam under `HttpTransport` (docs/design.md, "The hook starts fast"). Two
 * implementations: {@link nodeExchange}, node's own http/https client, what every hook process uses; and undici's
 * `request` on a given dispatcher (`./undici-request`), which tests use to mock the wire with `MockAgent`. The
 * transport's deadline, retries and error mapping sit above this seam and are the same for both.
 */
import type { IncomingHttpHeaders } from 'node:http';

/** What one exchange sends. */
export interface ExchangeRequest {
  readonly method: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
  /** Aborts connecting, sending and reading the body; the exchange then rejects with `signal.reason`. */
  readonly signal: AbortSignal;
  /** The time left, ms: a bound on idle waits for transports that have their own (undici's header and body timeouts). */
  readonly remainingMs: number;
}

/** What one exchange answers. */
export interface ExchangeAnswer {
  readonly statusCode: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly bodyText: string;
}

/** Sends one request to an absolute URL and reads the whole answer. Rejects with the transport's own error otherwise. */
export type Exchange = (url: string, request: ExchangeRequest) => Promise<ExchangeAnswer>;

/**
 * {@link Exchange} over `node:http` / `node:https` with their global agents (keep-alive; TLS trusts the system store
 * plus `NODE_EXTRA_CA_CERTS`). Loads only the client module its URL's scheme needs.
 */
export const nodeExchange: Exchange = (url, request) =>
  new Promise<ExchangeAnswer>((resolve, reject) => {
    const target = new URL(url);
    /* eslint-disable @typescript-eslint/no-require-imports */
    const client = (target.protocol === 'https:' ? require('node:https') : require('node:http')) as typeof import('node:http');
    /* eslint-enable @typescript-eslint/no-require-imports */
    const { signal } = request;
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const headers: Record<string, string> = { ...request.headers };
    if (request.body !== undefined) headers['content-length'] = String(Buffer.byteLength(request.body));
    const req = client.request(target, { method: request.method, headers });
    let settled = false;
    const fail = (e: unknown): void => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      req.destroy();
      reject(e);
    };
    const onAbort = (): void => fail(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    req.on('error', fail);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', fail);
      // A close before 'end': the connection dropped mid-answer (settled already when the answer was complete).
      res.on('close', () => fail(Object.assign(new Error('the connection closed before the answer ended'), { code: 'ECONNRESET' })));
      res.on('end', () => {
        if (settled) return;
        settled = true;
        signal.removeEventListener('abort', onAbort);
        resolve({
          statusCode: res.statusCode ?? 0,
          headers: res.headers as IncomingHttpHeaders,
          bodyText: Buffer.concat(chunks).toString('utf8'),
        });
      });
    });
    req.end(request.body);
  });
