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
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 0;
  const initialMs =
    options.now === undefined ? undefined : typeof options.now === 'number' ? validEpoch(options.now) : parseInstant(options.now, 'now');
  const clock = new EmulatorClock(initialMs);
  const minter = createSecretMinter();
  const snapshot = options.stateFile ? readStateFile(options.stateFile) : undefined;
  if (snapshot?.clock) clock.set(parseInstant(snapshot.clock, 'clock'));
  let state = new EmulatorState(clock.now, minter, snapshot);
  const faults = new FaultQueue();
  let log: RequestLogEntry[] = [];
  const shutdown = new AbortController();

  let persisted = { revision: state.revision, clock: clock.frozenAt() };
  const stateWriter = options.stateFile ? new StateFileWriter(options.stateFile) : undefined;
  const persist = async (force = false): Promise<void> => {
    if (!stateWriter) return;
    const current = { revision: state.revision, clock: clock.frozenAt() };
    if (!force && current.revision === persisted.revision && current.clock === persisted.clock) return;
    // Marked first: a failed write fails only the request that changed something, not every later read.
    persisted = current;
    await stateWriter.write(state.toSnapshot(current.clock));
  };

  const record = (entry: RequestLogEntry): void => {
    log.push(entry);
    if (log.length > MAX_LOG_ENTRIES) log = log.slice(-MAX_LOG_ENTRIES);
  };

  const admin = async (req: IncomingMessage, path: string, bytes: Buffer): Promise<Reply> => {
    const method = req.method ?? 'GET';
    const allow = (methods: string[]): Reply | undefined =>
      methods.includes(method)
        ? undefined
        : problem(405, `${path} accepts ${methods.join(', ')}, not ${method}.`, {}, { allow: methods.join(', ') });
    const body = (): { ok: true; value: unknown } | { ok: false; reply: Reply } => {
      const parsed = bytes.length === 0 ? { value: {} } : parseJson(bytes);
      return parsed ? { ok: true, value: parsed.value } : { ok: false, reply: problem(400, 'The body must be JSON.') };
    };
    switch (path) {
      case '/__emulator/clock': {
        const refused = allow(['GET', 'POST']);
        if (refused) return refused;
        if (method === 'POST') {
          const b = body();
          if (!b.ok) return b.reply;
          const v = b.value as { now?: unknown; advanceSeconds?: unknown } | null;
          const hasNow = typeof v === 'object' && v !== null && v.now !== undefined;
          const hasAdvance = typeof v === 'object' && v !== null && v.advanceSeconds !== undefined;
          if (hasNow === hasAdvance) return problem(400, 'Send exactly one of {"now": "<ISO-8601>"} or {"advanceSeconds": <number>}.');
          if (hasNow) {
            try {
              clock.set(parseInstant(v!.now as string, 'now'));
            } catch (e) {
              return problem(400, (e as Error).message);
            }
          } else {
            if (typeof v!.advanceSeconds !== 'number' || !Number.isFinite(v!.advanceSeconds)) {
              return problem(400, `advanceSeconds must be a number of seconds, got ${JSON.stringify(v!.advanceSeconds)}.`);
            }
            clock.advance(v!.advanceSeconds);
          }
        }
        return json({ now: new Date(clock.now()).toISOString() });
      }
      case '/__emulator/requests': {
        const refused = allow(['GET', 'DELETE']);
        if (refused) return refused;
        if (method === 'DELETE') {
          log = [];
          return { status: 204 };
        }
        return json(log);
      }
      case '/__emulator/faults': {
        const refused = allow(['GET', 'POST', 'DELETE']);
        if (refused) return refused;
        if (method === 'GET') return json(faults.list());
        if (method === 'DELETE') {
          faults.clear();
          return { status: 204 };
        }
        const b = body();
        if (!b.ok) return b.reply;
        const spec = parseFaultSpec(b.value);
        if (typeof spec === 'string') return problem(400, spec);
        return json(faults.add(spec), 201);
      }
      case '/__emulator/pat-activation': {
        const refused = allow(['GET', 'POST']);
        if (refused) return refused;
        if (method === 'POST') {
          const b = body();
          if (!b.ok) return b.reply;
          const seconds = (b.value as { seconds?: unknown } | null)?.seconds;
          if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0) {
            return problem(400, `Send {"seconds": <number >= 0>}: how long a new PAT is refused (401), got ${JSON.stringify(seconds)}.`);
          }
          state.patActivationSeconds = seconds;
        }
        return json({ seconds: state.patActivationSeconds });
      }
      case '/__emulator/reset': {
        const refused = allow(['POST']);
        if (refused) return refused;
        clock.reset();
        state = new EmulatorState(clock.now, minter);
        faults.clear();
        log = [];
        await persist(true);
        return json({ now: new Date(clock.now()).toISOString() });
      }
      default:
        return problem(404, `No emulator admin route ${path}; see /__emulator/clock, /requests, /faults, /pat-activation, /reset.`);
    }
  };

  const send = (res: ServerResponse, reply: Reply): void => {
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
  };

  const faultReply = (fault: Fault): Reply => {
    const status = fault.status ?? 500;
    const headers: Record<string, string> = fault.retryAfter !== undefined ? { 'retry-after': String(fault.retryAfter) } : {};
    return problem(status, `Injected fault ${fault.id}.`, {}, headers);
  };

  const wait = async (ms: number | undefined): Promise<boolean> => {
    if (!ms) return true;
    try {
      await sleep(ms, undefined, { signal: shutdown.signal });
      return true;
    } catch {
      return false;
    }
  };

  const serveApi = async (req: IncomingMessage, res: ServerResponse, url: URL, bytes: Buffer, entry: RequestLogEntry): Promise<void> => {
    const fault = faults.take(entry.method, entry.path);
    const drop = (): void => {
      entry.status = 0;
      req.socket.destroy();
    };
    if (fault && !fault.after) {
      if (!(await wait(fault.latencyMs))) return drop();
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
    let reply = await handleApiRequest(state, apiReq);
    await persist();
    if (apiReq.user && !entry.user) entry.user = apiReq.user;
    if (fault?.after) {
      if (!(await wait(fault.latencyMs))) return drop();
      if (fault.drop) return drop();
      reply = faultReply(fault);
    }
    entry.status = reply.status;
    send(res, reply);
  };

  const onRequest = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    let entry: RequestLogEntry | undefined;
    try {
      const url = new URL(req.url ?? '/', 'http://emulator.invalid');
      const path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, '') : url.pathname;
      const isAdmin = path.toLowerCase().startsWith('/__emulator/');
      if (!isAdmin) {
        const identity = state.identify(headerValue(req.headers.authorization));
        entry = { time: new Date(clock.now()).toISOString(), method: req.method ?? 'GET', path, status: 0, auth: identity.kind };
        if (identity.kind === 'oauth' || identity.kind === 'pat') entry.user = identity.user.emailAddress;
        record(entry);
      }
      const read = await readBody(req);
      if (read.tooLarge) {
        const reply = problem(413, 'The request body is larger than 1 MiB.', {}, { connection: 'close' });
        if (entry) entry.status = reply.status;
        return send(res, reply);
      }
      if (isAdmin) {
        const reply = await admin(req, path, read.bytes);
        await persist();
        return send(res, reply);
      }
      await serveApi(req, res, url, read.bytes, entry!);
    } catch (e) {
      // Whatever went wrong inside, answer 500 and keep serving; secrets are cut out of the message just in case.
      const message = e instanceof Error ? e.message.split('\n')[0] : String(e);
      const reply = problem(500, `The emulator failed: ${redactSecrets(message, minter.issued())}`);
      if (entry) entry.status = reply.status;
      if (!res.headersSent && !req.socket.destroyed) send(res, reply);
    }
  };

  const listener: RequestListener = (req, res) => {
    res.on('error', () => undefined);
    onRequest(req, res).catch(() => req.socket.destroy());
  };
  const server: Server = options.tls ? createTlsServer({ key: options.tls.key, cert: options.tls.cert }, listener) : createServer(listener);
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    else socket.destroy();
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', () => undefined);
  const address = server.address() as AddressInfo;
  const url = `${options.tls ? 'https' : 'http'}://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;

  let closing: Promise<void> | undefined;
  return {
    url,
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        shutdown.abort();
        server.close(() => resolve());
        server.closeAllConnections();
      }).then(() => stateWriter?.flushed()); // the state file is complete once close resolves
      return closing;
    },
    issuedSecrets: () => minter.issued(),
    signIn: async (email?: string) => {
      const session = state.signIn(email === undefined ? 'emulator-sign-in' : `user:${email}`);
      await persist();
      return session;
    },
  };
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function validEpoch(ms: number): number {
  if (!Number.isFinite(ms))
    throw new InvalidInputError(`now must be an ISO-8601 instant or epoch milliseconds, got ${ms}.`, { what: 'now' });
  return ms;
}
