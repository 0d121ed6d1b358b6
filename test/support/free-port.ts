import { once } from 'node:events';
import { createServer } from 'node:net';

/**
 * A TCP port free on the loopback right now: bind port 0, read it, release it. For processes we
 * start that cannot report their own port (RabbitMQ, Redis, node processes, HAProxy).
 */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (!address || typeof address === 'string') throw new Error('no TCP address');
  return address.port;
}
