/**
 * Connection ramp, memory per idle connection, soak and a reconnect storm, on ONE node (routed,
 * heartbeat every `heartbeatMs`), as loadtest/k6/connection-soak.ts runs them. Client sockets live
 * in `workers` child processes (workers/idle-clients.ts), each connection a distinct user.
 *
 * 1. The node's RSS and V8 heap are read from its /metrics at rest (`process_resident_memory_bytes`,
 *    `nodejs_heap_size_used_bytes`; three reads 1 s apart: median RSS, lowest heap, as a GC may
 *    or may not have run).
 * 2. Ramp to each of `levels` connections; after `settleMs`, read again. Per connection =
 *    (now - at rest) / connections. The ramp rate and connect-to-welcome times are recorded.
 * 3. Soak: hold the last level for `soakMs` (several heartbeats); count connections the server
 *    dropped and the RSS drift.
 * 4. Storms, one after the other, for each of `storms`: cut that many connections at once without
 *    a close frame (a network blip, or a node's clients moving) and reconnect them all at once,
 *    resuming their sessions: time until all are welcomed again, failures, and how many resumed
 *    (a storm that does not resume every session is not the storm the target is about).
 */
import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { CpuWatch } from '../lib/cpu.ts';
import { type Infra, startCluster } from '../lib/infra.ts';
import { sample, scrape } from '../lib/prom.ts';
import { type LatencySummary, ms, round, summarize } from '../lib/stats.ts';

export interface MemoryLevel {
  connections: number;
  rssBytes: number;
  heapBytes: number;
  /** (RSS now - RSS at rest) / connections, in KB (1000 bytes, as the target is stated) */
  rssPerConnectionKB: number;
  heapPerConnectionKB: number;
  /** RSS growth per connection since the previous level (or since rest), KB: the marginal cost */
  rssMarginalKB: number;
  openFds: number;
  /** connections opened per second during the ramp to this level */
  rampPerSecond: number;
  welcomeMs: LatencySummary;
  failed: number;
}

export interface IdleMemoryResult {
  heartbeatMs: number;
  atRest: { rssBytes: number; heapBytes: number };
  levels: MemoryLevel[];
  soak: { seconds: number; dropped: number; open: number; rssDriftKB: number };
  storms: Storm[];
}

export interface Storm {
  count: number;
  ok: number;
  failed: number;
  resumed: number;
  /** sessions not resumed, by the reason their welcome gave */
  notResumed: Record<string, number>;
  /** from the first reconnect to the last welcome */
  seconds: number;
  welcomeMs: LatencySummary;
  /** cores each kind of process used over the storm, cut included */
  cores: Record<string, number>;
}

interface Reply {
  ok: number;
  failed: number;
  welcomeMs: number[];
  elapsedMs: number;
  resumed?: number;
  /** storms: sessions not resumed, by the welcome's reason */
  notResumed?: Record<string, number>;
  open?: number;
  dropped?: number;
}

class Worker {
  readonly child: ChildProcess;
  constructor() {
    this.child = fork(new URL('../workers/idle-clients.ts', import.meta.url).pathname, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  }
  async ready(): Promise<void> {
    await once(this.child, 'message');
  }
  async ask(command: object): Promise<Reply> {
    const answer = once(this.child, 'message') as Promise<[Reply]>;
    this.child.send(command);
    return (await answer)[0];
  }
  async close(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = once(this.child, 'exit');
    this.child.send({ cmd: 'close' });
    await exited;
  }
}

async function memory(url: string): Promise<{ rssBytes: number; heapBytes: number; openFds: number }> {
  const reads = [];
  for (let i = 0; i < 3; i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, 1_000)); // spacing between reads, not a sync
    reads.push(await scrape(url));
  }
  const rss = reads.map((t) => sample(t, 'process_resident_memory_bytes')).sort((a, b) => a - b)[1]!;
  const heap = Math.min(...reads.map((t) => sample(t, 'nodejs_heap_size_used_bytes')));
  return { rssBytes: rss, heapBytes: heap, openFds: sample(reads[2]!, 'process_open_fds') };
}

function rounded(values: number[]): LatencySummary {
  const s = summarize(values);
  return { count: s.count, p50: ms(s.p50), p99: ms(s.p99), p999: ms(s.p999), max: ms(s.max) };
}

export async function runIdleMemory(
  infra: Infra,
  options: {
    levels: number[];
    workers: number;
    settleMs: number;
    soakMs: number;
    /** connections cut and reconnected at once, per storm, run in this order after the soak */
    storms: number[];
    heartbeatMs: number;
    /** extra node environment (allocator experiments) */
    env?: Record<string, string>;
    /** Node flags instead of the launch flags (NODE_FLAGS in scripts/local-cluster.ts) */
    nodeFlags?: readonly string[];
    log: (line: string) => void;
  },
): Promise<IdleMemoryResult> {
  const cluster = await startCluster(infra, 1, 'routed', { ...options.env, HEARTBEAT_MS: String(options.heartbeatMs) }, options.nodeFlags);
  const url = cluster.nodeUrls[0]!;
  const workers = Array.from({ length: options.workers }, () => new Worker());
  try {
    await Promise.all(workers.map((w) => w.ready()));
    await new Promise((r) => setTimeout(r, options.settleMs)); // let the fresh node finish starting up
    const atRest = await memory(url);
    const levels: MemoryLevel[] = [];
    let held = 0;
    let previousRss = atRest.rssBytes;
    for (const level of options.levels) {
      const add = level - held;
      const t0 = performance.now();
      const replies = await Promise.all(
        workers.map((w, i) => w.ask({ cmd: 'connect', url, count: Math.floor(add / options.workers) + (i < add % options.workers ? 1 : 0) })),
      );
      const seconds = (performance.now() - t0) / 1000;
      const ok = replies.reduce((s, r) => s + r.ok, 0);
      const failed = replies.reduce((s, r) => s + r.failed, 0);
      held += ok;
      await new Promise((r) => setTimeout(r, options.settleMs)); // settle before measuring memory
      const m = await memory(url);
      const marginal = round((m.rssBytes - previousRss) / ok / 1000, 2);
      previousRss = m.rssBytes;
      const entry: MemoryLevel = {
        connections: held,
        rssBytes: m.rssBytes,
        heapBytes: m.heapBytes,
        rssPerConnectionKB: round((m.rssBytes - atRest.rssBytes) / held / 1000, 2),
        heapPerConnectionKB: round((m.heapBytes - atRest.heapBytes) / held / 1000, 2),
        rssMarginalKB: marginal,
        openFds: m.openFds,
        rampPerSecond: Math.round(ok / seconds),
        welcomeMs: rounded(replies.flatMap((r) => r.welcomeMs)),
        failed,
      };
      levels.push(entry);
      options.log(
        `  ${held} connections (+${ok} in ${seconds.toFixed(1)} s, ${failed} failed): RSS ${(m.rssBytes / 2 ** 20).toFixed(1)} MiB, ` +
          `${entry.rssPerConnectionKB} KB/conn (marginal ${marginal}); heap ${entry.heapPerConnectionKB} KB/conn; fds ${m.openFds}`,
      );
    }

    const soakStart = await memory(url);
    await new Promise((r) => setTimeout(r, options.soakMs)); // the soak itself: idle connections, heartbeats running
    const soakEnd = await memory(url);
    const statuses = await Promise.all(workers.map((w) => w.ask({ cmd: 'status' })));
    const soak = {
      seconds: Math.round(options.soakMs / 1000),
      dropped: statuses.reduce((s, r) => s + (r.dropped ?? 0), 0),
      open: statuses.reduce((s, r) => s + (r.open ?? 0), 0),
      rssDriftKB: Math.round((soakEnd.rssBytes - soakStart.rssBytes) / 1000),
    };
    options.log(`  soak ${soak.seconds} s: ${soak.open} open, ${soak.dropped} dropped by the server, RSS drift ${soak.rssDriftKB} KB`);

    const storms: Storm[] = [];
    for (const count of options.storms) {
      const share = (i: number): number => Math.floor(count / options.workers) + (i < count % options.workers ? 1 : 0);
      const watch = new CpuWatch();
      watch.start();
      const stormed = await Promise.all(workers.map((w, i) => w.ask({ cmd: 'storm', count: share(i) })));
      const cpu = watch.stop();
      const storm = {
        count: stormed.reduce((s, r) => s + r.ok + r.failed, 0),
        ok: stormed.reduce((s, r) => s + r.ok, 0),
        failed: stormed.reduce((s, r) => s + r.failed, 0),
        resumed: stormed.reduce((s, r) => s + (r.resumed ?? 0), 0),
        notResumed: stormed.reduce<Record<string, number>>((all, r) => {
          for (const [reason, n] of Object.entries(r.notResumed ?? {})) all[reason] = (all[reason] ?? 0) + n;
          return all;
        }, {}),
        // the workers start together: the storm lasts as long as the slowest of them
        seconds: round(Math.max(...stormed.map((r) => r.elapsedMs)) / 1000, 2),
        welcomeMs: rounded(stormed.flatMap((r) => r.welcomeMs)),
        cores: cpu.cores,
      };
      storms.push(storm);
      options.log(
        `  storm: ${storm.count} cut and reconnected at once: ${storm.ok} back (${storm.resumed} resumed${Object.keys(storm.notResumed).length ? `; not: ${JSON.stringify(storm.notResumed)}` : ''}) in ${storm.seconds} s, ${storm.failed} failed; ` +
          `cores: ${Object.entries(cpu.cores).map(([k, v]) => `${k} ${v}`).join(', ')}`,
      );
      await new Promise((r) => setTimeout(r, options.settleMs)); // the node finishes detaching the cut sessions
    }
    return { heartbeatMs: options.heartbeatMs, atRest: { rssBytes: atRest.rssBytes, heapBytes: atRest.heapBytes }, levels, soak, storms };
  } finally {
    await Promise.all(workers.map((w) => w.close()));
    await cluster.stop();
  }
}
