import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { AgilityClient } from '../../lib/api';
import { hasErrorCode } from '../../lib/core/errors';

/**
 * A loopback server that answers like a slowloris: one byte every 200 ms, for ever, so no idle timer ever fires.
 * `headers`: the status line and headers trickle; `body`: the headers come at once, then the body trickles.
 */
async function slowloris(part: 'headers' | 'body'): Promise<{ url: string; requests: () => number; close: () => Promise<void> }> {
  let requests = 0;
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const trickle = (write: () => void): void => {
    const t = setInterval(write, 200);
    timers.add(t);
  };
  const server: Server = createServer((req, res) => {
    requests++;
    if (part === 'headers') {
      const text = `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Slow: ${'a'.repeat(100_000)}`;
      let i = 0;
      trickle(() => {
        if (!req.socket.destroyed) req.socket.write(text[i++ % text.length]);
      });
    } else {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100000' });
      trickle(() => {
        if (!res.destroyed) res.write(' ');
      });
    }
  });
  server.on('connection', (s) => sockets.add(s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests: () => requests,
    close: async () => {
      for (const t of timers) clearInterval(t);
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

describe('one deadline bounds a whole call', () => {
  test.each(['headers', 'body'] as const)(
    'a server that trickles its %s a byte every 200 ms fails the call with a TimeoutError after one attempt',
    async (part) => {
      const server = await slowloris(part);
      try {
        // Default retries (3): before the deadline covered the whole call, each of 4 attempts got the full timeout.
        const client = new AgilityClient({ baseUrl: server.url, accessToken: 'oauth-access-0123456789', timeoutMs: 800 });
        const error = await client.listTokens().then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(hasErrorCode(error, 'TIMEOUT')).toBe(true);
        expect((error as { details: unknown }).details).toEqual({ method: 'GET', path: '/api/v1/tokens/list', timeoutMs: 800 });
        expect(server.requests()).toBe(1);
      } finally {
        await server.close();
      }
    },
  );
});
