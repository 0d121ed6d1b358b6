/**
 * Location fan-out, as loadtest/k6/location-fanout.ts runs it: `patients` patients on a 3-node
 * cluster each publish a position every `periodMs` (1 Hz: a phone's usual rate), `watchers`
 * caregivers watch each, on different nodes. Open loop: position n of patient p is due at
 * base_p + n * period (bases spread over the period so the load is even), and that scheduled time
 * is the position's `timestamp`, so a watcher knows which position it got and how late: latency is
 * arrival minus scheduled time, and a missing n is a lost delivery.
 */
import { type Infra, startCluster } from '../lib/infra.ts';
import { type LatencySummary, ms, summarize } from '../lib/stats.ts';
import { LoadClient, connectAll } from '../lib/tether-client.ts';
import { devToken } from '../lib/tokens.ts';

export interface FanoutResult {
  patients: number;
  watchers: number;
  periodMs: number;
  published: number;
  expected: number;
  delivered: number;
  lost: number;
  duplicates: number;
  errors: number;
  latencyMs: LatencySummary;
}

/** Wall-clock ms with sub-ms precision. */
const now = (): number => performance.timeOrigin + performance.now();

export async function runLocationFanout(
  infra: Infra,
  options: { patients: number; watchers: number; periodMs: number; durationMs: number },
): Promise<FanoutResult> {
  const cluster = await startCluster(infra, 3);
  const n = cluster.nodeUrls.length;
  const run = Math.random().toString(36).slice(2, 7);
  const ids = Array.from({ length: options.patients }, (_, p) => `lp-${run}-${p}`);
  const rounds = Math.floor(options.durationMs / options.periodMs);
  /** patient p's first due time; set once everyone is connected and subscribed */
  const base: number[] = [];
  const latencies: number[] = [];
  const seen = ids.map(() => new Map<number, number>());
  let errors = 0;
  const clients: LoadClient[] = [];
  try {
    const watchers = await connectAll(options.patients * options.watchers, 50, async (i) => {
      const p = Math.floor(i / options.watchers);
      const token = await devToken({ sub: `lw-${run}-${i}`, role: 'caregiver', patients: [ids[p]!] });
      const c = await LoadClient.connect(cluster.nodeUrls[(p + 1 + (i % options.watchers)) % n]!, token);
      await c.ok({ type: 'subscribe', channel: `location:${ids[p]}` });
      c.onFrame = (f) => {
        if (f.type !== 'location') return;
        latencies.push(now() - f.position.timestamp);
        const k = Math.round((f.position.timestamp - base[p]!) / options.periodMs);
        seen[p]!.set(k, (seen[p]!.get(k) ?? 0) + 1);
      };
      return c;
    });
    clients.push(...watchers);
    const publishers = await connectAll(options.patients, 50, async (p) =>
      LoadClient.connect(cluster.nodeUrls[p % n]!, await devToken({ sub: ids[p]!, role: 'patient' })),
    );
    clients.push(...publishers);
    for (const c of publishers) {
      c.onFrame = (f) => void (f.type === 'error' && errors++);
    }
    const start = Math.ceil(now()) + 500;
    ids.forEach((_, p) => base.push(start + Math.floor((p * options.periodMs) / options.patients)));
    // one timer walks the schedule; a late tick sends what is due at once, keeping its timestamp
    const next = ids.map(() => 0);
    let published = 0;
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        const t = now();
        for (let p = 0; p < ids.length; p++) {
          while (next[p]! < rounds && base[p]! + next[p]! * options.periodMs <= t) {
            const timestamp = base[p]! + next[p]! * options.periodMs;
            const id = publishers[p]!.id();
            publishers[p]!.send(JSON.stringify({ type: 'location', id, position: { lat: 52.3731, lng: 4.8922, accuracy: 8, battery: 77, timestamp } }));
            next[p]!++;
            published++;
          }
        }
        if (published >= rounds * ids.length) {
          clearInterval(timer);
          resolve();
        }
      }, 5);
    });
    const expected = published * options.watchers;
    const deadline = performance.now() + 5_000;
    while (latencies.length < expected && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20)); // our own counter
    // each (patient, round) should have reached every one of its watchers exactly once
    let delivered = 0;
    let duplicates = 0;
    for (const rounds of seen) {
      for (const got of rounds.values()) {
        delivered += Math.min(got, options.watchers);
        duplicates += Math.max(0, got - options.watchers);
      }
    }
    const s = summarize(latencies);
    return {
      patients: options.patients,
      watchers: options.watchers,
      periodMs: options.periodMs,
      published,
      expected,
      delivered,
      lost: expected - delivered,
      duplicates,
      errors,
      latencyMs: { count: s.count, p50: ms(s.p50), p99: ms(s.p99), p999: ms(s.p999), max: ms(s.max) },
    };
  } finally {
    await Promise.all(clients.map((c) => c.close()));
    await cluster.stop();
  }
}
