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
 * Heartbeats need nothing here: `ws` answers the server's pings by itself.
 */
import { LoadClient } from '../lib/tether-client.ts';
import { devToken } from '../lib/tokens.ts';

const CONCURRENCY = 50;
const prefix = `im-${process.pid}-${Math.random().toString(36).slice(2, 6)}`;
const clients: LoadClient[] = [];
const tokens: string[] = [];
let dropped = 0;
let stormActive = false;

type Command = { cmd: 'connect'; url: string; count: number } | { cmd: 'storm'; count: number } | { cmd: 'status' } | { cmd: 'close' };

function watch(client: LoadClient): void {
  client.ws.once('close', () => {
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
  const from = clients.length;
  for (let i = from; i < from + count; i++) tokens[i] = await devToken({ sub: `${prefix}-${i}`, role: 'patient' });
  const t0 = performance.now();
  const times = await timedAll(count, CONCURRENCY, async (k) => {
    const client = await LoadClient.connect(url, tokens[from + k]!, { timeoutMs: 60_000 });
    clients[from + k] = client;
    watch(client);
  });
  const ok = times.filter((t): t is number => t !== null);
  return { ok: ok.length, failed: count - ok.length, welcomeMs: ok, elapsedMs: performance.now() - t0 };
}

async function storm(count: number): Promise<object> {
  const victims = clients.slice(0, count).map((client, i) => ({ client, i }));
  stormActive = true;
  await Promise.all(
    victims.map(({ client }) => {
      const closed = new Promise((resolve) => client.ws.once('close', resolve));
      client.ws.terminate();
      return closed;
    }),
  );
  stormActive = false;
  const url = victims[0]!.client.ws.url.split('?')[0]!;
  let resumed = 0;
  const notResumed: Record<string, number> = {};
  const t0 = performance.now();
  const times = await timedAll(victims.length, victims.length, async (k) => {
    const { client, i } = victims[k]!;
    const resume = client.welcome.resume ? { token: client.welcome.resume.token, lastSeq: client.lastSeq } : undefined;
    const next = await LoadClient.connect(url, tokens[i]!, { timeoutMs: 60_000, ...(resume ? { resume } : {}) });
    if (next.welcome.resumed?.ok) resumed++;
    else {
      const reason = next.welcome.resumed?.reason ?? 'not asked';
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
      reply({ open: clients.filter((c) => c?.ws.readyState === c?.ws.OPEN).length, dropped });
      break;
    case 'close':
      for (const c of clients) c?.ws.terminate();
      process.exit(0);
  }
});
process.on('disconnect', () => process.exit(0)); // the harness died: do not outlive it
process.send?.({ ready: true });
