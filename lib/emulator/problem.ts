import { STATUS_CODES } from 'node:http';

/**
 * Replies of the emulator's HTTP layer, and RFC 7807 ProblemDetails error bodies as ASP.NET Core writes
 * them (`type`, `title`, `status`, `detail`; the only error schema Agility documents, on 401).
 */

/** A response to send: status, extra headers, and a JSON body (omitted for 204 and the like). */
export interface Reply {
  status: number;
  headers?: Record<string, string>;
  /** Serialised as JSON; undefined sends no body. */
  body?: unknown;
  /** Overrides the `application/json` content type (problems use `application/problem+json`). */
  contentType?: string;
}

const RFC9110 = 'https://tools.ietf.org/html/rfc9110#section-';
const PROBLEM_TYPES: Record<number, string> = {
  400: `${RFC9110}15.5.1`,
  401: `${RFC9110}15.5.2`,
  403: `${RFC9110}15.5.4`,
  404: `${RFC9110}15.5.5`,
  405: `${RFC9110}15.5.6`,
  413: `${RFC9110}15.5.14`,
  415: `${RFC9110}15.5.16`,
  429: 'https://tools.ietf.org/html/rfc6585#section-4',
  500: `${RFC9110}15.6.1`,
  502: `${RFC9110}15.6.3`,
  503: `${RFC9110}15.6.4`,
  504: `${RFC9110}15.6.5`,
};

/** A ProblemDetails reply. `detail` must never contain a secret. `extensions` are extra members (e.g. `errors`). */
export function problem(
  status: number,
  detail: string,
  extensions: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Reply {
  return {
    status,
    headers,
    contentType: 'application/problem+json; charset=utf-8',
    body: { type: PROBLEM_TYPES[status] ?? 'about:blank', title: STATUS_CODES[status] ?? 'Error', status, detail, ...extensions },
  };
}

/** A 200 (or `status`) JSON reply. */
export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Reply {
  return { status, body, headers };
}
