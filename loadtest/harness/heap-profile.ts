/**
 * `scripts/node24 loadtest/harness/heap-profile.ts [--connections 2000] [--settle 3] [--env NAME=value ...] [--node-options=...] [--no-launch-flags] [--no-census] [--by-retainer]`
 *
 * Where an idle connection's memory goes, on one node: takes a heap snapshot (SIGUSR2 with
 * `--heapsnapshot-signal`) of a fresh node, opens `connections` idle connections (distinct users,
 * as scenarios/idle-memory.ts does), takes another, and prints the heap growth per connection by
 * object kind, with RSS and external (Buffer) memory from /metrics. Writes
 * loadtest/results/heap-profile.md. `--env` adds node environment, e.g. allocator experiments
 * (`GLIBC_TUNABLES=glibc.malloc.mmap_threshold=65536`, `LD_PRELOAD=...libjemalloc.so.2`).
 * Loopback only, bounded in time.
 */
import { readdir, stat, writeFile } from 'node:fs/promises';
import { mkdtemp } from 'node:fs/promises';
import { readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { type HeapCensus, heapCensus, perConnection } from './lib/heap-snapshot.ts';
import { startCluster, startInfra } from './lib/infra.ts';
import { NODE_FLAGS } from '../../scripts/local-cluster.ts';
import { sample, scrape } from './lib/prom.ts';
import { LoadClient, connectAll } from './lib/tether-client.ts';
import { devToken } from './lib/tokens.ts';

const { values } = parseArgs({
  options: {
    connections: { type: 'string', default: '2000' },
    env: { type: 'string', multiple: true, default: [] },
    'node-options': { type: 'string', default: '' },
    'no-launch-flags': { type: 'boolean', default: false },
    /** skip the heap snapshots: the snapshot writer's own malloc use would hide the node's in smaps */
    'no-census': { type: 'boolean', default: false },
    /** split each kind by what retains it (`array <- object:Session.subscriptions`) */
    'by-retainer': { type: 'boolean', default: false },
    /** seconds between the last connection and the second reading */
    settle: { type: 'string', default: '3' },
    out: { type: 'string', default: new URL('../results/heap-profile.md', import.meta.url).pathname },
  },
});
const count = Number(values.connections);
const dir = await mkdtemp(join(tmpdir(), 'tether-heap-'));
const infra = await startInfra();
const extraEnv = Object.fromEntries(values.env.map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
const cluster = await startCluster(infra, 1, 'routed', { ...extraEnv, NODE_OPTIONS: `--heapsnapshot-signal=SIGUSR2 --diagnostic-dir=${dir} ${values['node-options']}`.trim() }, values['no-launch-flags'] ? [] : undefined);

/** The node process we started: our only descendant running src/main.ts. */
function nodePid(): number {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (cmd.includes('src/main.ts') && ppid === process.pid) return Number(entry);
    } catch {
      // gone
    }
  }
  throw new Error('node process not found');
}

/** Signals a snapshot and waits until its file stops growing. */
async function snapshot(): Promise<string> {
  const before = new Set(await readdir(dir));
  process.kill(nodePid(), 'SIGUSR2');
  for (let last = -1; ; ) {
    await new Promise((r) => setTimeout(r, 500)); // polling a file another process writes
    const file = (await readdir(dir)).find((f) => f.endsWith('.heapsnapshot') && !before.has(f));
    if (!file) continue;
    const size = (await stat(join(dir, file))).size;
    if (size > 0 && size === last) return join(dir, file);
    last = size;
  }
}

/**
 * Resident memory of the node by kind of mapping (/proc/<pid>/smaps): the brk heap (glibc's main
 * malloc arena), anonymous mappings of 64 MiB reservations or more (other malloc arenas), other
 * anonymous mappings (the V8 heap, thread stacks), and file-backed mappings (code, libraries).
 */
function residentByMapping(): Record<string, number> {
  const out: Record<string, number> = { 'malloc (brk heap)': 0, 'malloc (thread arenas)': 0, 'anonymous (V8 heap, stacks)': 0, files: 0 };
  let kind = 'files';
  for (const line of readFileSync(`/proc/${nodePid()}/smaps`, 'utf8').split('\n')) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ (\d+)\s*(.*)$/.exec(line);
    if (head) {
      const size = parseInt(head[2]!, 16) - parseInt(head[1]!, 16);
      const path = head[4]!.trim();
      kind = path === '[heap]' ? 'malloc (brk heap)' : path !== '' && !path.startsWith('[') ? 'files' : size >= 60 * 2 ** 20 ? 'malloc (thread arenas)' : 'anonymous (V8 heap, stacks)';
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss) out[kind] = (out[kind] ?? 0) + Number(rss[1]) * 1024;
  }
  return out;
}

async function memory(): Promise<{ rss: number; external: number; heap: number; heapTotal: number; spaces: Record<string, number> }> {
  const text = await scrape(cluster.nodeUrls[0]!);
  const spaces: Record<string, number> = {};
  for (const m of text.matchAll(/^nodejs_heap_space_size_total_bytes\{space="([^"]+)"\} (\d+)/gm)) spaces[m[1]!] = Number(m[2]);
  return {
    rss: sample(text, 'process_resident_memory_bytes'),
    external: sample(text, 'nodejs_external_memory_bytes'),
    heap: sample(text, 'nodejs_heap_size_used_bytes'),
    heapTotal: sample(text, 'nodejs_heap_size_total_bytes'),
    spaces,
  };
}

const clients: LoadClient[] = [];
try {
  const m0 = await memory();
  const census = !values['no-census'];
  const s0 = census ? await heapCensus(await snapshot(), values['by-retainer']) : (new Map() as HeapCensus);
  const r0 = residentByMapping();
  const run = Math.random().toString(36).slice(2, 7);
  clients.push(
    ...(await connectAll(count, 50, async (i) => LoadClient.connect(cluster.nodeUrls[0]!, await devToken({ sub: `hp-${run}-${i}`, role: 'patient' })))),
  );
  await new Promise((r) => setTimeout(r, Number(values.settle) * 1000)); // let connection setup garbage become garbage
  const m1 = await memory();
  const s1 = census ? await heapCensus(await snapshot(), values['by-retainer']) : (new Map() as HeapCensus);
  const r1 = residentByMapping();
  const rows = perConnection(s0, s1, count);
  const total = rows.reduce((sum, r) => sum + r.bytes, 0);
  const kb = (bytes: number): string => (bytes / 1000).toFixed(2);
  const lines = [
    `# Heap per idle connection: ${count} connections on one node (${[values['no-launch-flags'] ? 'no launch flags' : NODE_FLAGS.join(' '), ...values.env, values['node-options']].filter(Boolean).join(' ')})`,
    '',
    `Live heap (after a full GC, from snapshots): ${kb(total)} KB per connection. From /metrics: RSS ${kb((m1.rss - m0.rss) / count)} KB, ` +
      `heap used ${kb((m1.heap - m0.heap) / count)} KB, heap committed ${kb((m1.heapTotal - m0.heapTotal) / count)} KB, ` +
      `external (Buffers) ${kb((m1.external - m0.external) / count)} KB per connection. Committed heap growth by space (KB per connection): ` +
      Object.keys(m1.spaces).map((k) => `${k} ${kb(((m1.spaces[k] ?? 0) - (m0.spaces[k] ?? 0)) / count)}`).join(', ') + '.',
    '',
    'Resident memory growth by mapping (KB per connection, /proc/<pid>/smaps, after the second snapshot\'s full GC): ' +
      Object.keys(r1).map((k) => `${k} ${kb(((r1[k] ?? 0) - (r0[k] ?? 0)) / count)}`).join(', ') + '.',
    '',
    '| object kind | objects per connection | bytes per connection |',
    '| --- | --- | --- |',
    ...rows.slice(0, values['by-retainer'] ? 80 : 30).map((r) => `| \`${r.kind}\` | ${r.objects} | ${r.bytes} |`),
  ];
  await writeFile(values.out, lines.join('\n') + '\n');
  console.log(lines.join('\n'));
} finally {
  for (const c of clients) c.ws.terminate();
  await cluster.stop();
  await infra.stop();
}
