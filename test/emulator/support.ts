import { startEmulator, type EmulatorOptions, type RunningEmulator } from '../../lib/emulator';

/** What a test sees of one HTTP exchange with the emulator. */
export interface Exchange {
  status: number;
  headers: Headers;
  text: string;
  /** The body parsed as JSON; undefined when empty or not JSON. */
  body: any;
}

/** Options of {@link call}. */
export interface CallOptions {
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string | null;
  /** Sent as a JSON body (application/json). */
  json?: unknown;
  /** Sent as is (with `headers` giving its content type). */
  body?: string | Buffer | FormData | URLSearchParams;
  headers?: Record<string, string>;
}

/** One request to the emulator over loopback with Node's fetch. */
export async function call(emu: RunningEmulator | string, method: string, path: string, options: CallOptions = {}): Promise<Exchange> {
  const base = typeof emu === 'string' ? emu : emu.url;
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body: string | Buffer | FormData | URLSearchParams | undefined = options.body;
  if (options.json !== undefined) {
    body = JSON.stringify(options.json);
    headers['content-type'] ??= 'application/json';
  }
  const res = await fetch(`${base}${path}`, { method, headers, body });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: res.status, headers: res.headers, text, body: parsed };
}

/** Sets the emulator clock (frozen). */
export async function setClock(emu: RunningEmulator, iso: string): Promise<void> {
  const r = await call(emu, 'POST', '/__emulator/clock', { json: { now: iso } });
  if (r.status !== 200) throw new Error(`setting the clock failed: ${r.status} ${r.text}`);
}

/** Moves the emulator clock by `seconds`. */
export async function advance(emu: RunningEmulator, seconds: number): Promise<void> {
  const r = await call(emu, 'POST', '/__emulator/clock', { json: { advanceSeconds: seconds } });
  if (r.status !== 200) throw new Error(`advancing the clock failed: ${r.status} ${r.text}`);
}

/** Creates a token as `token` (an OAuth access token); fails the test unless the API answers 201. */
export async function createToken(emu: RunningEmulator, token: string, name: string, expiryDate?: string): Promise<any> {
  const r = await call(emu, 'POST', '/api/v1/tokens/create', { token, json: expiryDate === undefined ? { name } : { name, expiryDate } });
  if (r.status !== 201) throw new Error(`create "${name}" answered ${r.status}: ${r.text}`);
  return r.body;
}

/**
 * Starts an emulator per test file (frozen at `now` unless told otherwise) and resets it before each
 * test; closes it after all.
 */
export function useEmulator(options: EmulatorOptions = { now: '2026-03-01T12:00:00.000Z' }): () => RunningEmulator {
  let emu: RunningEmulator | undefined;
  beforeAll(async () => {
    emu = await startEmulator({ host: '127.0.0.1', port: 0, ...options });
  });
  beforeEach(async () => {
    const r = await call(emu!, 'POST', '/__emulator/reset');
    if (r.status !== 200) throw new Error(`reset failed: ${r.status}`);
  });
  afterAll(async () => {
    await emu?.close();
  });
  return () => emu!;
}
