import { Agent, request } from 'undici';
import { startEmulator, type RunningEmulator } from '../lib/emulator';
import { makeLoopbackCertificate } from './loopback-tls';

/** An emulator for a measurement, over HTTPS when asked, and what a client needs to reach it. */
export interface BenchEmulator {
  readonly emulator: RunningEmulator;
  /** `NODE_EXTRA_CA_CERTS` for child processes when the emulator speaks TLS; empty otherwise. */
  readonly childEnv: NodeJS.ProcessEnv;
  /** A request from this process (the bench), trusting the loopback certificate. */
  call(method: 'GET' | 'POST', path: string, opts?: { bearer?: string; json?: unknown }): Promise<{ status: number; body: unknown }>;
  close(): Promise<void>;
}

/**
 * Starts an emulator on 127.0.0.1, port 0. With `tls`, it serves HTTPS with a fresh self-signed loopback certificate
 * written to `dir`, as the real API is HTTPS: a TLS handshake is part of what each hook pays.
 */
export async function startBenchEmulator(dir: string, opts: { tls: boolean; now?: string }): Promise<BenchEmulator> {
  const cert = opts.tls ? await makeLoopbackCertificate(dir) : undefined;
  const emulator = await startEmulator({ host: '127.0.0.1', port: 0, now: opts.now, tls: cert && { key: cert.key, cert: cert.cert } });
  const dispatcher = new Agent(cert ? { connect: { ca: cert.cert } } : {});
  return {
    emulator,
    childEnv: cert ? { NODE_EXTRA_CA_CERTS: cert.caFile } : {},
    call: async (method, path, o = {}) => {
      const headers: Record<string, string> = {};
      if (o.bearer) headers.authorization = `Bearer ${o.bearer}`;
      if (o.json !== undefined) headers['content-type'] = 'application/json';
      const res = await request(`${emulator.url}${path}`, {
        method,
        headers,
        body: o.json === undefined ? undefined : JSON.stringify(o.json),
        dispatcher,
      });
      const text = await res.body.text();
      return { status: res.statusCode, body: text ? (JSON.parse(text) as unknown) : undefined };
    },
    close: async () => {
      await dispatcher.close();
      await emulator.close();
    },
  };
}
