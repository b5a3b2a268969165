/**
 * undici's `request`, loaded from its own modules instead of its index. The index also loads fetch, WebSocket, the
 * cache API, cookies and the mocks: ~80 ms of start-up in every hook process Terraform spawns (`npm run bench`,
 * "hook cold start"). Same function, same default: undici's global dispatcher unless one is given.
 */
import type { Dispatcher } from 'undici';

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
