/**
 * What the GitHub and Vault stand-ins share, in the emulator's style: a node:http server on a loopback port, a
 * request log without headers or bodies, injected faults, and validation of every request against the facts-only
 * fixture of the vendor's API (test/fixtures). A request that breaks the fixture is answered 422 and recorded in
 * `violations`, which tests expect to stay empty.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Ajv, { type ValidateFunction } from 'ajv';

export interface Fixture {
  source: string;
  requestHeaders: Record<string, string>;
  schemas: Record<string, object>;
  routes: Array<{ method: string; path: string; requestBody?: string; responses: Record<string, string> }>;
}

export interface StandInRequest {
  method: string;
  /** Path without the query string, percent-decoded per segment. */
  path: string;
  segments: string[];
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: unknown;
  /** The fixture route it matched and its path parameters. */
  route: Fixture['routes'][number];
  params: Record<string, string>;
}

export interface StandInReply {
  status: number;
  body?: unknown;
}

export interface LogEntry {
  method: string;
  path: string;
  status: number;
}

export interface StandInFault {
  method?: string;
  /** A prefix of the path. */
  pathPrefix?: string;
  status: number;
  body?: unknown;
  /** @default 1 */
  times?: number;
}

export class StandInServer {
  readonly log: LogEntry[] = [];
  readonly violations: string[] = [];
  private readonly faults: Array<Required<Omit<StandInFault, 'body'>> & { body?: unknown }> = [];
  private server: Server | undefined;
  private readonly bodySchemas = new Map<string, ValidateFunction>();
  url = '';
  /**
   * Milliseconds a request spends "on the network" before the vendor acts on it (by method and path, and the
   * `authorization` header: each caller may have its own latency). A write lands when its latency has passed.
   */
  requestLatencyMs: (method: string, path: string, authorization: string | undefined) => number = () => 0;
  /** Called as each request arrives, before its latency (tests wait for a write to be on its way). */
  onArrive: (method: string, path: string, authorization: string | undefined) => void = () => undefined;
  /** Milliseconds between answering a request and sending the answer: a slow network, so that writers overlap. */
  latencyMs = 0;

  constructor(
    readonly fixture: Fixture,
    /** Path templates hold `{param}` segments; a `{path}` param takes every remaining segment up to the template's tail. */
    private readonly handle: (req: StandInRequest) => StandInReply,
  ) {
    const ajv = new Ajv({ strict: false, allErrors: true });
    for (const [name, schema] of Object.entries(fixture.schemas)) this.bodySchemas.set(name, ajv.compile(schema));
  }

  /** The validator of one of the fixture's schemas (tests check the stand-in's own answers with them too). */
  schema(name: string): ValidateFunction {
    const v = this.bodySchemas.get(name);
    if (!v) throw new Error(`the fixture has no schema ${name}`);
    return v;
  }

  fail(fault: StandInFault): void {
    this.faults.push({
      method: fault.method ?? '',
      pathPrefix: fault.pathPrefix ?? '',
      status: fault.status,
      body: fault.body,
      times: fault.times ?? 1,
    });
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const path = new URL(req.url ?? '/', 'http://stand-in.invalid').pathname;
        this.onArrive(req.method ?? 'GET', path, req.headers.authorization);
        const latency = this.requestLatencyMs(req.method ?? 'GET', path, req.headers.authorization);
        setTimeout(() => {
          const reply = this.dispatch(req, Buffer.concat(chunks).toString('utf8'));
          const send = (): void => {
            res.statusCode = reply.status;
            if (reply.body === undefined || reply.status === 204) {
              res.end();
            } else {
              res.setHeader('content-type', 'application/json; charset=utf-8');
              res.end(JSON.stringify(reply.body));
            }
          };
          if (this.latencyMs > 0) setTimeout(send, this.latencyMs);
          else send();
        }, latency);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    if (!this.server) return;
    await new Promise<void>((resolve) => {
      this.server!.close(() => resolve());
      this.server!.closeAllConnections();
    });
  }

  private dispatch(req: IncomingMessage, text: string): StandInReply {
    const url = new URL(req.url ?? '/', 'http://stand-in.invalid');
    const method = req.method ?? 'GET';
    const entry: LogEntry = { method, path: url.pathname, status: 0 };
    this.log.push(entry);
    const reply = this.answer(req, method, url, text);
    entry.status = reply.status;
    return reply;
  }

  private answer(req: IncomingMessage, method: string, url: URL, text: string): StandInReply {
    const segments = url.pathname.split('/').slice(1).map(decodeURIComponent);
    const found = this.fixture.routes
      .filter((r) => r.method === method)
      .map((route) => ({ route, params: matchTemplate(route.path, segments) }))
      .find((m) => m.params !== undefined);
    if (!found) return this.violation(`${method} ${url.pathname} is not a route of the fixture`);
    for (const [name, rule] of Object.entries(this.fixture.requestHeaders)) {
      const value = req.headers[name];
      const ok = typeof value === 'string' && (rule.startsWith('^') ? new RegExp(rule).test(value) : value === rule);
      // Credentials are checked by the handler (a wrong one is the vendor's 401/403, not a contract violation).
      if (!ok && name !== 'authorization' && name !== 'x-vault-token') {
        return this.violation(`${method} ${url.pathname}: header ${name} is ${JSON.stringify(value)}, the fixture says ${rule}`);
      }
    }
    let body: unknown;
    if (found.route.requestBody) {
      if (!/^application\/json\b/.test(String(req.headers['content-type']))) {
        return this.violation(`${method} ${url.pathname}: the body must be application/json`);
      }
      try {
        body = JSON.parse(text);
      } catch {
        return this.violation(`${method} ${url.pathname}: the body is not JSON`);
      }
      const validate = this.schema(found.route.requestBody);
      if (!validate(body)) {
        return this.violation(`${method} ${url.pathname}: body breaks ${found.route.requestBody}: ${JSON.stringify(validate.errors)}`);
      }
    } else if (text !== '') {
      return this.violation(`${method} ${url.pathname}: the fixture has no request body for this route`);
    }
    const fault = this.faults.find((f) => (f.method === '' || f.method === method) && url.pathname.startsWith(f.pathPrefix));
    if (fault) {
      fault.times -= 1;
      if (fault.times <= 0) this.faults.splice(this.faults.indexOf(fault), 1);
      return { status: fault.status, body: fault.body };
    }
    const reply = this.handle({
      method,
      path: url.pathname,
      segments,
      query: url.searchParams,
      headers: req.headers,
      body,
      route: found.route,
      params: found.params!,
    });
    if (!(String(reply.status) in found.route.responses) && reply.status < 400) {
      this.violations.push(`the stand-in answered ${reply.status}, which the fixture does not list for ${method} ${found.route.path}`);
    }
    return reply;
  }

  private violation(message: string): StandInReply {
    this.violations.push(message);
    return { status: 422, body: { message: `stand-in: ${message}`, errors: [message] } };
  }
}

/** Matches `/a/{x}/b/{path}/c` against segments; `{path}` spans one or more segments. */
function matchTemplate(template: string, segments: string[]): Record<string, string> | undefined {
  const parts = template.split('/').slice(1);
  const params: Record<string, string> = {};
  const spanAt = parts.indexOf('{path}');
  if (spanAt >= 0) {
    const tail = parts.length - spanAt - 1;
    if (segments.length < parts.length) return undefined;
    const head = matchParts(parts.slice(0, spanAt), segments.slice(0, spanAt), params);
    const rest = matchParts(parts.slice(spanAt + 1), segments.slice(segments.length - tail), params);
    const span = segments.slice(spanAt, segments.length - tail);
    if (!head || !rest || span.some((s) => s === '')) return undefined;
    params.path = span.join('/');
    return params;
  }
  if (parts.length !== segments.length) return undefined;
  return matchParts(parts, segments, params) ? params : undefined;
}

function matchParts(parts: string[], segments: string[], params: Record<string, string>): boolean {
  return parts.every((p, i) => {
    const s = segments[i];
    if (s === undefined || s === '') return false;
    if (p.startsWith('{') && p.endsWith('}')) {
      params[p.slice(1, -1)] = s;
      return true;
    }
    return p === s;
  });
}
