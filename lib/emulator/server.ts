import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TokenResponseData } from '../api/models';
import { InvalidInputError } from '../core/errors';
import { redactSecrets } from '../core/redact';
import { parseInstant } from '../core/validation';
import { EmulatorClock } from './emulator-clock';
import { FaultQueue, parseFaultSpec, type Fault } from './faults';
import { mediaTypeOf, parseJson, readBody } from './http-body';
import { createSecretMinter } from './jwt';
import { json, problem, type Reply } from './problem';
import { handleApiRequest, type ApiRequest } from './routes';
import { EmulatorState } from './state';
import { StateFileWriter, readStateFile } from './state-file';

/**
 * A local stand-in for the Agility Management API over node:http or node:https (docs/design.md, "Contracts"): the token, user
 * and OAuth routes with Agility's rules ({@link EmulatorState}), plus `/__emulator` admin routes to set
 * the clock, read the request log, inject faults, delay the activation of new PATs and reset.
 */

/** How to start an emulator. */
export interface EmulatorOptions {
  /** Interface to listen on. @default '127.0.0.1' */
  host?: string;
  /** TCP port; 0 picks a free one. @default 0 */
  port?: number;
  /**
   * JSON file holding users, tokens (revoked ones too), creation times, hashes of access and refresh
   * tokens, and the clock if it was set. Loaded at start when present; rewritten atomically (mode 0600)
   * after every change. Never holds a secret.
   * @default - state lives in memory only
   */
  stateFile?: string;
  /**
   * The emulator clock's initial instant (ISO-8601 with a time zone, or epoch ms). The clock stays frozen
   * there until `POST /__emulator/clock` moves it; a clock saved in `stateFile` takes precedence.
   * @default - real time
   */
  now?: string | number;
  /**
   * Serve HTTPS with this key and certificate (PEM), as the real API does; the client must trust the certificate
   * (for a child process: `NODE_EXTRA_CA_CERTS`). The emulator makes no certificate itself.
   * @default - plain HTTP
   */
  tls?: { readonly key: string; readonly cert: string };
}

/** A started emulator. */
export interface RunningEmulator {
  /** Base URL without a trailing slash, e.g. `http://127.0.0.1:41234` (`https://` with {@link EmulatorOptions.tls}). */
  url: string;
  /** Stops listening, cuts open connections and pending injected delays. */
  close(): Promise<void>;
  /**
   * Every PAT secret, access token and refresh token this emulator issued (in memory only; never in the
   * state file), so tests can scan outputs for leaks.
   */
  issuedSecrets(): string[];
  /**
   * Signs a user in as `POST /oauth/token` with `code=user:<email>` would (the default user when omitted),
   * in process: not in the request log, and faults do not apply.
   */
  signIn(email?: string): Promise<TokenResponseData>;
}

/** One entry of `GET /__emulator/requests`: never a secret, header or body. */
export interface RequestLogEntry {
  /** Emulator time when the request arrived, ISO-8601. */
  time: string;
  method: string;
  /** The path without its query string. */
  path: string;
  /** The status sent; 0 when the connection was dropped. */
  status: number;
  /** What the `Authorization` header held. */
  auth: 'none' | 'oauth' | 'pat' | 'invalid';
  /** Email of the caller when known. */
  user?: string;
}

const MAX_LOG_ENTRIES = 10_000;

/** Starts an emulator and resolves once it listens. Throws ConfigError for an unusable state file, InvalidInputError for a bad `now`. */
export async function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const initialMs =
    options.now === undefined ? undefined : typeof options.now === 'number' ? validEpoch(options.now) : parseInstant(options.now, 'now');
  const emulator = new Emulator(initialMs, options.stateFile);
  const server = createHttpServer(options.tls, (req, res) => emulator.handle(req, res));
  const url = await listen(server, options.port ?? 0, options.host ?? '127.0.0.1', options.tls !== undefined);

  let closing: Promise<void> | undefined;
  return {
    url,
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        emulator.shutdown.abort();
        server.close(() => resolve());
        server.closeAllConnections();
      }).then(() => emulator.flushed()); // the state file is complete once close resolves
      return closing;
    },
    issuedSecrets: () => emulator.minter.issued(),
    signIn: async (email?: string) => {
      const session = emulator.state.signIn(email === undefined ? 'emulator-sign-in' : `user:${email}`);
      await emulator.persist();
      return session;
    },
  };
}

/** What one emulator holds (clock, rules, faults, request log, state file) and how it answers a request. */
class Emulator {
  readonly clock: EmulatorClock;
  readonly minter = createSecretMinter();
  readonly faults = new FaultQueue();
  /** Aborted on close: cuts pending injected delays. */
  readonly shutdown = new AbortController();
  state: EmulatorState;
  private log: RequestLogEntry[] = [];
  /** What the state file last received. */
  private persisted: { revision: number; clock: number | undefined };
  /** Writes the state file in order (docs/design.md, "Contracts"); absent without `--state`. */
  private readonly stateWriter: StateFileWriter | undefined;
  /** Set by reset: the next persist rewrites the state file even if nothing else changed. */
  private rewriteState = false;

  constructor(initialMs: number | undefined, stateFile: string | undefined) {
    this.clock = new EmulatorClock(initialMs);
    const snapshot = stateFile ? readStateFile(stateFile) : undefined;
    if (snapshot?.clock) this.clock.set(parseInstant(snapshot.clock, 'clock'));
    this.state = new EmulatorState(this.clock.now, this.minter, snapshot);
    this.persisted = { revision: this.state.revision, clock: this.clock.frozenAt() };
    this.stateWriter = stateFile ? new StateFileWriter(stateFile) : undefined;
  }

  /** Writes the state file when the state or the clock changed since the last write (always after a reset). */
  async persist(): Promise<void> {
    if (!this.stateWriter) return;
    const current = { revision: this.state.revision, clock: this.clock.frozenAt() };
    const force = this.rewriteState;
    this.rewriteState = false;
    if (!force && current.revision === this.persisted.revision && current.clock === this.persisted.clock) return;
    // Marked first: a failed write fails only the request that changed something, not every later read.
    this.persisted = current;
    await this.stateWriter.write(this.state.toSnapshot(current.clock));
  }

  /** Resolves once every queued state-file write is done. */
  flushed(): Promise<void> {
    return this.stateWriter?.flushed() ?? Promise.resolve();
  }

  /** The request listener: never throws; a connection it cannot answer is cut. */
  handle(req: IncomingMessage, res: ServerResponse): void {
    res.on('error', () => undefined);
    this.route(req, res).catch(() => req.socket.destroy());
  }

  /** Logs an API request, reads its body, and sends it to the admin routes or the API. */
  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let entry: RequestLogEntry | undefined;
    try {
      const url = new URL(req.url ?? '/', 'http://emulator.invalid');
      const path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, '') : url.pathname;
      const isAdmin = path.toLowerCase().startsWith('/__emulator/');
      if (!isAdmin) entry = this.record(req, path);
      const read = await readBody(req);
      if (read.tooLarge) {
        const reply = problem(413, 'The request body is larger than 1 MiB.', {}, { connection: 'close' });
        if (entry) entry.status = reply.status;
        return send(res, reply);
      }
      if (isAdmin) {
        const reply = this.admin(req.method ?? 'GET', path, read.bytes);
        await this.persist();
        return send(res, reply);
      }
      await this.serveApi(req, res, url, read.bytes, entry!);
    } catch (e) {
      // Whatever went wrong inside, answer 500 and keep serving; secrets are cut out of the message just in case.
      const message = e instanceof Error ? e.message.split('\n')[0] : String(e);
      const reply = problem(500, `The emulator failed: ${redactSecrets(message, this.minter.issued())}`);
      if (entry) entry.status = reply.status;
      if (!res.headersSent && !req.socket.destroyed) send(res, reply);
    }
  }

  /** Adds an API request to the log (status 0 until it is answered), keeping the last {@link MAX_LOG_ENTRIES}. */
  private record(req: IncomingMessage, path: string): RequestLogEntry {
    const identity = this.state.identify(headerValue(req.headers.authorization));
    const entry: RequestLogEntry = {
      time: new Date(this.clock.now()).toISOString(),
      method: req.method ?? 'GET',
      path,
      status: 0,
      auth: identity.kind,
    };
    if (identity.kind === 'oauth' || identity.kind === 'pat') entry.user = identity.user.emailAddress;
    this.log.push(entry);
    if (this.log.length > MAX_LOG_ENTRIES) this.log = this.log.slice(-MAX_LOG_ENTRIES);
    return entry;
  }

  /** Serves an API or OAuth request, applying the first matching injected fault before or after the rules. */
  private async serveApi(req: IncomingMessage, res: ServerResponse, url: URL, bytes: Buffer, entry: RequestLogEntry): Promise<void> {
    const fault = this.faults.take(entry.method, entry.path);
    const drop = (): void => {
      entry.status = 0;
      req.socket.destroy();
    };
    if (fault && !fault.after) {
      if (!(await this.wait(fault.latencyMs))) return drop();
      if (fault.drop) return drop();
      if (fault.status !== undefined) {
        const reply = faultReply(fault);
        entry.status = reply.status;
        return send(res, reply);
      }
    }
    const apiReq: ApiRequest = {
      method: entry.method,
      path: entry.path,
      query: url.searchParams,
      headers: req.headers,
      body: bytes,
      mediaType: mediaTypeOf(req),
    };
    let reply = await handleApiRequest(this.state, apiReq);
    await this.persist();
    if (apiReq.user && !entry.user) entry.user = apiReq.user;
    if (fault?.after) {
      if (!(await this.wait(fault.latencyMs))) return drop();
      if (fault.drop) return drop();
      reply = faultReply(fault);
    }
    entry.status = reply.status;
    send(res, reply);
  }

  /** Waits an injected latency; false when the emulator closed meanwhile. */
  private async wait(ms: number | undefined): Promise<boolean> {
    if (!ms) return true;
    try {
      await sleep(ms, undefined, { signal: this.shutdown.signal });
      return true;
    } catch {
      return false;
    }
  }

  /** The `/__emulator` admin routes. */
  private admin(method: string, path: string, bytes: Buffer): Reply {
    const route = ADMIN_ROUTES.get(path);
    if (!route) return problem(404, `No emulator admin route ${path}; see /__emulator/clock, /requests, /faults, /pat-activation, /reset.`);
    if (!route.methods.includes(method)) {
      return problem(405, `${path} accepts ${route.methods.join(', ')}, not ${method}.`, {}, { allow: route.methods.join(', ') });
    }
    return route.serve(this, method, bytes);
  }

  /** `/__emulator/clock`: GET reads it, POST sets `now` or advances by `advanceSeconds`. */
  clockRoute(method: string, bytes: Buffer): Reply {
    if (method === 'POST') {
      const b = adminBody(bytes);
      if (!b.ok) return b.reply;
      const v = b.value as { now?: unknown; advanceSeconds?: unknown } | null;
      const hasNow = typeof v === 'object' && v !== null && v.now !== undefined;
      const hasAdvance = typeof v === 'object' && v !== null && v.advanceSeconds !== undefined;
      if (hasNow === hasAdvance) return problem(400, 'Send exactly one of {"now": "<ISO-8601>"} or {"advanceSeconds": <number>}.');
      if (hasNow) {
        try {
          this.clock.set(parseInstant(v!.now as string, 'now'));
        } catch (e) {
          return problem(400, (e as Error).message);
        }
      } else {
        if (typeof v!.advanceSeconds !== 'number' || !Number.isFinite(v!.advanceSeconds)) {
          return problem(400, `advanceSeconds must be a number of seconds, got ${JSON.stringify(v!.advanceSeconds)}.`);
        }
        this.clock.advance(v!.advanceSeconds);
      }
    }
    return json({ now: new Date(this.clock.now()).toISOString() });
  }

  /** `/__emulator/requests`: GET reads the log, DELETE empties it. */
  requestsRoute(method: string): Reply {
    if (method === 'DELETE') {
      this.log = [];
      return { status: 204 };
    }
    return json(this.log);
  }

  /** `/__emulator/faults`: GET lists the pending faults, POST adds one, DELETE clears them. */
  faultsRoute(method: string, bytes: Buffer): Reply {
    if (method === 'GET') return json(this.faults.list());
    if (method === 'DELETE') {
      this.faults.clear();
      return { status: 204 };
    }
    const b = adminBody(bytes);
    if (!b.ok) return b.reply;
    const spec = parseFaultSpec(b.value);
    if (typeof spec === 'string') return problem(400, spec);
    return json(this.faults.add(spec), 201);
  }

  /** `/__emulator/pat-activation`: how long a new PAT is refused; GET reads it, POST sets it. */
  patActivationRoute(method: string, bytes: Buffer): Reply {
    if (method === 'POST') {
      const b = adminBody(bytes);
      if (!b.ok) return b.reply;
      const seconds = (b.value as { seconds?: unknown } | null)?.seconds;
      if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0) {
        return problem(400, `Send {"seconds": <number >= 0>}: how long a new PAT is refused (401), got ${JSON.stringify(seconds)}.`);
      }
      this.state.patActivationSeconds = seconds;
    }
    return json({ seconds: this.state.patActivationSeconds });
  }

  /** `POST /__emulator/reset`: the initial clock, a fresh state, no faults, an empty log, and the state file rewritten. */
  resetRoute(): Reply {
    this.clock.reset();
    this.state = new EmulatorState(this.clock.now, this.minter);
    this.faults.clear();
    this.log = [];
    this.rewriteState = true; // written by the request's persist, before the reply

    return json({ now: new Date(this.clock.now()).toISOString() });
  }
}

/** The admin routes by path, with the methods each accepts. */
interface AdminRoute {
  readonly methods: readonly string[];
  readonly serve: (emulator: Emulator, method: string, bytes: Buffer) => Reply;
}
const ADMIN_ROUTES: ReadonlyMap<string, AdminRoute> = new Map<string, AdminRoute>([
  ['/__emulator/clock', { methods: ['GET', 'POST'], serve: (e, m, b) => e.clockRoute(m, b) }],
  ['/__emulator/requests', { methods: ['GET', 'DELETE'], serve: (e, m) => e.requestsRoute(m) }],
  ['/__emulator/faults', { methods: ['GET', 'POST', 'DELETE'], serve: (e, m, b) => e.faultsRoute(m, b) }],
  ['/__emulator/pat-activation', { methods: ['GET', 'POST'], serve: (e, m, b) => e.patActivationRoute(m, b) }],
  ['/__emulator/reset', { methods: ['POST'], serve: (e) => e.resetRoute() }],
]);

/** The JSON body of an admin request (`{}` when empty), or a 400. */
function adminBody(bytes: Buffer): { ok: true; value: unknown } | { ok: false; reply: Reply } {
  const parsed = bytes.length === 0 ? { value: {} } : parseJson(bytes);
  return parsed ? { ok: true, value: parsed.value } : { ok: false, reply: problem(400, 'The body must be JSON.') };
}

function send(res: ServerResponse, reply: Reply): void {
  if (res.destroyed || res.headersSent) return;
  res.statusCode = reply.status;
  for (const [k, v] of Object.entries(reply.headers ?? {})) res.setHeader(k, v);
  res.setHeader('cache-control', 'no-store');
  if (reply.body === undefined || reply.status === 204 || reply.status === 304) {
    res.end();
    return;
  }
  res.setHeader('content-type', reply.contentType ?? 'application/json; charset=utf-8');
  res.end(JSON.stringify(reply.body));
}

function faultReply(fault: Fault): Reply {
  const status = fault.status ?? 500;
  const headers: Record<string, string> = fault.retryAfter !== undefined ? { 'retry-after': String(fault.retryAfter) } : {};
  return problem(status, `Injected fault ${fault.id}.`, {}, headers);
}

/** An HTTP server, or HTTPS with `tls`, answering a malformed request with a bare 400. */
function createHttpServer(tls: EmulatorOptions['tls'], listener: RequestListener): Server {
  const server: Server = tls ? createTlsServer({ key: tls.key, cert: tls.cert }, listener) : createServer(listener);
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    else socket.destroy();
  });
  return server;
}

/** Listens and resolves with the base URL; rejects when the port cannot be bound. */
async function listen(server: Server, port: number, host: string, tls: boolean): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', () => undefined);
  const address = server.address() as AddressInfo;
  return `${tls ? 'https' : 'http'}://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function validEpoch(ms: number): number {
  if (!Number.isFinite(ms))
    throw new InvalidInputError(`now must be an ISO-8601 instant or epoch milliseconds, got ${ms}.`, { prop: 'now' });
  return ms;
}
