/**
 * undici's `request`, loaded from its own modules instead of its index. The index also loads fetch, WebSocket, the
 * cache API, cookies and the mocks: ~80 ms of start-up (`npm run bench`, "hook cold start"). Same function, same
 * default: undici's global dispatcher unless one is given.
 *
 * `HttpTransport` loads this module only when it is given a dispatcher (tests, with `MockAgent`): the hook program
 * speaks through `nodeExchange` (`./exchange`), and scripts/bundle.js packs this module so the hook never parses it.
 */
import type { Dispatcher } from 'undici';
import type { Exchange } from './exchange';

type RequestFn = (this: Dispatcher, options: Dispatcher.RequestOptions) => Promise<Dispatcher.ResponseData>;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const apiRequest = require('undici/lib/api/api-request') as RequestFn;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { getGlobalDispatcher } = require('undici/lib/global') as { getGlobalDispatcher(): Dispatcher };

/** What {@link request} takes: undici's request options, with the URL given separately. */
export type RequestOptions = Omit<Dispatcher.RequestOptions, 'origin' | 'path'> & { dispatcher?: Dispatcher };

/** `undici.request(url, options)`. */
export function request(url: string, options: RequestOptions): Promise<Dispatcher.ResponseData> {
  const { dispatcher = getGlobalDispatcher(), ...rest } = options;
  const target = new URL(url);
  return apiRequest.call(dispatcher, { ...rest, origin: target.origin, path: target.pathname + target.search });
}

/** The {@link Exchange} of undici's `request` on `dispatcher`; its own header and body timeouts are the time left. */
export function undiciExchange(dispatcher: Dispatcher): Exchange {
  return async (url, { method, headers, body, signal, remainingMs }) => {
    const res = await request(url, {
      method: method as Dispatcher.HttpMethod,
      headers,
      body,
      dispatcher,
      signal,
      headersTimeout: remainingMs,
      bodyTimeout: remainingMs,
    });
    return { statusCode: res.statusCode, headers: res.headers, bodyText: await res.body.text() };
  };
}
