import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/**
 * A TCP port free on the loopback right now: bind port 0, read it, release it. For processes we
 * start that cannot report their own port (RabbitMQ, Redis, node processes, HAProxy).
 */
export async function freePort(): Promise<number> {
  return (await tryListen(0))!;
}

/** tries of `freeStablePort` before it gives up */
const STABLE_TRIES = 50;

/**
 * A free TCP port below the kernel's ephemeral range, for a process that is stopped and started
 * again on the same port (a broker restart, a node killed and started again). A port from
 * `freePort` is an ephemeral one: while nothing listens on it, any outgoing connection on the
 * machine may get it as its source port (even a client reconnecting to it, by TCP self-connect),
 * and the restart then fails with EADDRINUSE. Ports below the range are never handed out that way.
 */
export async function freeStablePort(): Promise<number> {
  const [low] = ephemeralRange();
  const floor = 10_000;
  for (let i = 0; i < STABLE_TRIES && low > floor; i++) {
    const port = await tryListen(floor + Math.floor(Math.random() * (low - floor)));
    if (port !== null) return port;
  }
  return freePort();
}

function ephemeralRange(): [number, number] {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (low && high) return [low, high];
  } catch {
    // not Linux: the IANA range
  }
  return [49_152, 65_535];
}

/** Binds `port` on the loopback and releases it: the port, or null if it is taken. */
async function tryListen(port: number): Promise<number | null> {
  const server = createServer();
  server.listen(port, '127.0.0.1');
  try {
    await once(server, 'listening');
  } catch {
    return null;
  }
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (!address || typeof address === 'string') throw new Error('no TCP address');
  return address.port;
}
