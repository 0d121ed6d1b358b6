import { type Server as HttpServer } from 'node:http';
import { type Server, createServer } from 'node:net';

/**
 * More accept queues for one node. A listening socket queues at most `net.core.somaxconn`
 * connections (4096 on current Linux) until the process accepts them; a reconnect storm of
 * 18,000 clients arrives within a fraction of a second, and every SYN beyond the queue is dropped
 * and retried by the client's TCP only after 1 s, then 3 s, 7 s. With SO_REUSEPORT the kernel
 * spreads incoming connections over several sockets bound to the same port, each with a queue of
 * its own, so `count` sockets hold `count` times as many.
 *
 * The node's HTTP server must already listen with `reusePort: true` on `host:port`; this opens
 * `count - 1` more sockets there and hands each connection they accept to that server, which
 * serves it as one of its own. Linux and the BSDs only (Node raises an error elsewhere).
 */
export async function addAcceptQueues(server: HttpServer, host: string, port: number, count: number, backlog: number): Promise<Server[]> {
  const extra: Server[] = [];
  try {
    for (let i = 1; i < count; i++) {
      // as http.Server makes its own sockets: half-open allowed (HTTP decides), no Nagle delay
      const listener = createServer({ allowHalfOpen: true, noDelay: true }, (socket) => server.emit('connection', socket));
      extra.push(listener);
      await new Promise<void>((resolve, reject) => {
        listener.once('error', reject);
        listener.listen({ host, port, backlog, reusePort: true }, () => {
          listener.off('error', reject);
          resolve();
        });
      });
    }
  } catch (error) {
    closeAcceptQueues(extra);
    throw error;
  }
  return extra;
}

/**
 * Rejects with EADDRINUSE when something already listens on `host:port`. SO_REUSEPORT would let
 * a second node of the same user join the first one's port silently and take half its
 * connections (a node started twice, a rolling restart on one host); a node that listens on
 * several sockets checks first, with a plain socket, so that still fails as it did with one.
 * Port 0 needs no check: the kernel picks a free one.
 */
export async function assertPortFree(host: string, port: number): Promise<void> {
  if (port === 0) return;
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject);
    probe.listen({ host, port }, () => resolve());
  });
  await new Promise<void>((resolve) => probe.close(() => resolve()));
}

/**
 * Stops accepting on the extra sockets, at once. Connections they handed over stay with the HTTP
 * server, which ends them; `net.Server#close`'s callback would wait for those too, so it is not
 * awaited.
 */
export function closeAcceptQueues(listeners: readonly Server[]): void {
  for (const listener of listeners) if (listener.listening) listener.close();
}
