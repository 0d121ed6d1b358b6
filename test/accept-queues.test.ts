import { readFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { addAcceptQueues, closeAcceptQueues } from '../src/transport/listeners.ts';
import { type Cluster, startCluster } from './support/cluster.ts';
import { TestClient } from './support/client.ts';
import { freePort } from './support/free-port.ts';

/** Listening IPv4 TCP sockets on `port` right now (/proc/net/tcp: state 0A is LISTEN). */
function listeningSockets(port: number): number {
  const local = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  return readFileSync('/proc/net/tcp', 'utf8')
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((f) => f[1]?.endsWith(local) && f[3] === '0A').length;
}

describe('accept queues (LISTEN_SOCKETS)', () => {
  let cluster: Cluster | undefined;
  afterEach(async () => {
    await cluster?.stop();
    cluster = undefined;
  });

  it('hands what the extra sockets accept to the HTTP server, which answers it', async () => {
    const server = createHttpServer((_req, res) => res.end('served'));
    await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0, reusePort: true }, resolve));
    const { port } = server.address() as AddressInfo;
    const extra = await addAcceptQueues(server, '127.0.0.1', port, 4, 128);
    expect(listeningSockets(port)).toBe(4);
    let viaExtra = 0;
    for (const listener of extra) listener.on('connection', () => viaExtra++);

    // the kernel spreads connections by their address and port: from 32 source addresses, some
    // land on each socket
    const answers = await Promise.all(
      Array.from({ length: 32 }, (_, i) =>
        fetchFrom(port, `127.0.1.${i + 1}`).then((body) => body.endsWith('served')),
      ),
    );
    expect(answers.filter(Boolean)).toHaveLength(32);
    expect(viaExtra).toBeGreaterThan(0);

    closeAcceptQueues(extra);
    expect(listeningSockets(port)).toBe(1);
    server.close();
  });

  it('a node with LISTEN_SOCKETS=4 listens four times on its port, welcomes clients from many addresses, and closes them on shutdown', async () => {
    cluster = await startCluster(1, { config: { LISTEN_SOCKETS: 4 } });
    const port = cluster.nodes[0]!.port;
    expect(listeningSockets(port)).toBe(4);
    const clients = await Promise.all(
      Array.from({ length: 16 }, async (_, i) =>
        TestClient.connect(cluster!.url(), await cluster!.token({ sub: `storm-${i}` }), { localAddress: `127.0.2.${i + 1}` }),
      ),
    );
    expect(clients.map((c) => c.welcome.user.id).sort()).toEqual(Array.from({ length: 16 }, (_, i) => `storm-${i}`).sort());
    await Promise.all(clients.map((c) => c.close()));
    await cluster.stop();
    cluster = undefined;
    expect(listeningSockets(port)).toBe(0);
  });

  it('a second node on a port already in use fails to start, as with one socket, instead of sharing it', async () => {
    const port = await freePort();
    cluster = await startCluster(1, { config: { LISTEN_SOCKETS: 4, PORT: port } });
    const second = startCluster(1, { config: { LISTEN_SOCKETS: 4, PORT: port } });
    await expect(second).rejects.toMatchObject({ code: 'EADDRINUSE' });
    expect(listeningSockets(port)).toBe(4);
  });

  it('LISTEN_SOCKETS=1 listens once, without SO_REUSEPORT (nothing else can bind its port)', async () => {
    cluster = await startCluster(1, { config: { LISTEN_SOCKETS: 1 } });
    const port = cluster.nodes[0]!.port;
    expect(listeningSockets(port)).toBe(1);
    const intruder = createHttpServer();
    const bound = await new Promise<NodeJS.ErrnoException | null>((resolve) => {
      intruder.once('error', resolve);
      intruder.listen({ host: '127.0.0.1', port, reusePort: true }, () => resolve(null));
    });
    intruder.close();
    expect(bound?.code).toBe('EADDRINUSE');
  });
});

/** A plain HTTP/1.0 GET from `localAddress`; resolves with the whole response. */
function fetchFrom(port: number, localAddress: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, localAddress }, () => socket.end('GET / HTTP/1.0\r\n\r\n'));
    let response = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (response += chunk));
    socket.on('end', () => resolve(response));
    socket.on('error', reject);
  });
}
