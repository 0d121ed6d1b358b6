/**
 * A child process holding idle Tether connections for scenarios/idle-memory.ts, so that 18k
 * client sockets are spread over several processes (a process may hold at most 20,000 files
 * here). Driven over IPC, one command at a time, each answered with one reply:
 *
 * - `{ cmd: 'connect', url, count }`: opens `count` more connections (distinct users, at most
 *   CONCURRENCY handshakes in flight) -> `{ ok, failed, welcomeMs, elapsedMs }`
 * - `{ cmd: 'storm', count }`: cuts `count` connections without a close frame (a network blip)
 *   and reconnects them all at once, resuming their sessions -> `{ ok, failed, resumed, notResumed (by reason), welcomeMs, elapsedMs }`
 * - `{ cmd: 'status' }`: `{ open, dropped }`: sockets open now, and closed by the server so far
 * - `{ cmd: 'close' }`: cuts every connection and exits
 *
 * Connections are IdleSockets (lib/idle-socket.ts), not `ws` clients: a storm measures the node,
 * and `ws`'s client cost the load clients a whole core of the machine's two. They answer the
 * server's pings themselves.
 */
import { IdleSocket } from '../lib/idle-socket.ts';
import { devToken } from '../lib/tokens.ts';

const CONCURRENCY = 50;
/**
 * Connection i connects from source address `localAddress(i)`, one of 64 per worker in 127/8.
 * From one address, 18,000 connections plus the TIME_WAIT left by each storm's cut fill most of
 * the 28,000 ephemeral ports, and the kernel then spends its time searching for a free one (the
 * load clients burned a core in system time); real clients come from many addresses anyway.
 */
const octet = 1 + (process.pid % 254);
const localAddress = (i: number): string => `127.${octet}.0.${1 + (i % 64)}`;
const prefix = `im-${process.pid}-${Math.random().toString(36).slice(2, 6)}`;
const clients: IdleSocket[] = [];
const tokens: string[] = [];
let dropped = 0;
let stormActive = false;
/** the node's URL, from the first `connect` */
let nodeUrl = '';

type Command = { cmd: 'connect'; url: string; count: number } | { cmd: 'storm'; count: number } | { cmd: 'status' } | { cmd: 'close' };

function watch(client: IdleSocket): void {
  client.socket.once('close', () => {
    if (!stormActive) dropped++;
  });
}

/** Runs `count` jobs with at most `limit` in flight; returns per-job ms, or null for a failure. */
async function timedAll(count: number, limit: number, job: (i: number) => Promise<void>): Promise<Array<number | null>> {
  const times: Array<number | null> = new Array(count).fill(null);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      const t0 = performance.now();
      try {
        await job(i);
        times[i] = performance.now() - t0;
      } catch {
        times[i] = null;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, lane));
  return times;
}

async function connect(url: string, count: number): Promise<object> {
  nodeUrl = url;
  const from = clients.length;
  for (let i = from; i < from + count; i++) tokens[i] = await devToken({ sub: `${prefix}-${i}`, role: 'patient' });
  const t0 = performance.now();
  const times = await timedAll(count, CONCURRENCY, async (k) => {
    const client = await IdleSocket.connect(url, tokens[from + k]!, { timeoutMs: 60_000, localAddress: localAddress(from + k) });
    clients[from + k] = client;
    watch(client);
  });
  const ok = times.filter((t): t is number => t !== null);
  return { ok: ok.length, failed: count - ok.length, welcomeMs: ok, elapsedMs: performance.now() - t0 };
}

async function storm(count: number): Promise<object> {
  const victims = clients.slice(0, count).map((client, i) => ({ client, i }));
  stormActive = true;
  await Promise.all(victims.map(({ client }) => client.cut()));
  stormActive = false;
  let resumed = 0;
  const notResumed: Record<string, number> = {};
  const t0 = performance.now();
  const times = await timedAll(victims.length, victims.length, async (k) => {
    const { client, i } = victims[k]!;
    const token = client.welcome?.resume?.token;
    const resume = token ? { token, lastSeq: client.lastSeq } : undefined;
    const next = await IdleSocket.connect(nodeUrl, tokens[i]!, { timeoutMs: 60_000, localAddress: localAddress(i), ...(resume ? { resume } : {}) });
    const outcome = next.welcome?.resumed;
    if (outcome?.ok) resumed++;
    else {
      const reason = outcome?.reason ?? 'not asked';
      notResumed[reason] = (notResumed[reason] ?? 0) + 1;
    }
    clients[i] = next;
    watch(next);
  });
  const ok = times.filter((t): t is number => t !== null);
  return { ok: ok.length, failed: victims.length - ok.length, resumed, notResumed, welcomeMs: ok, elapsedMs: performance.now() - t0 };
}

process.on('message', (command: Command) => {
  const reply = (body: object): void => void process.send?.(body);
  switch (command.cmd) {
    case 'connect':
      void connect(command.url, command.count).then(reply);
      break;
    case 'storm':
      void storm(command.count).then(reply);
      break;
    case 'status':
      reply({ open: clients.filter((c) => c?.open).length, dropped });
      break;
    case 'close':
      for (const c of clients) c?.socket.destroy();
      process.exit(0);
  }
});
process.on('disconnect', () => process.exit(0)); // the harness died: do not outlive it
process.send?.({ ready: true });
