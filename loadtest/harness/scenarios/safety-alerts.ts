/**
 * Position in to alert delivered: `patients` patients on a 3-node cluster (RabbitMQ, Redis,
 * PostgreSQL) each publish a position every `periodMs` (1 Hz), walking in and out of a 150 m home
 * zone: `insideS` positions at home, then `outsideS` 400 m away, over and over. Patients are
 * spread over the cycle (patient p starts p positions into it, modulo the cycle), so exits arrive
 * at an even rate, as people leave home at different times; `synchronized` puts them all in step
 * instead: every patient leaves in the same second, the worst burst. Each patient's
 * caregiver, on another node than the patient, watches `alerts:<patient>` and acknowledges each
 * alert at once, so the next exit raises a new one. Open loop, as the location fan-out: position n
 * of patient p is due at base_p + n * period and carries that scheduled time as its `timestamp`;
 * the alert carries the position that confirmed the exit, so latency is the alert's arrival minus
 * that position's scheduled send time: the whole path (relay to the node, the rules' load and
 * compare-and-set in Redis, the announcement through RabbitMQ to the caregiver's node).
 *
 * The load must happen: every position is acked, and every exit walked raises exactly one alert
 * at its caregiver. `runSafetyAlerts` throws otherwise, failing the bench.
 */
import { offset } from '../../../src/safety/geo.ts';
import { type Infra, startCluster } from '../lib/infra.ts';
import { type LatencySummary, ms, summarize } from '../lib/stats.ts';
import { LoadClient, connectAll } from '../lib/tether-client.ts';
import { devToken } from '../lib/tokens.ts';

export interface SafetyAlertsResult {
  patients: number;
  periodMs: number;
  /** positions sent, and acked */
  published: number;
  acked: number;
  /** exits walked (each should raise one alert) */
  expected: number;
  /** distinct alerts received by the caregivers */
  delivered: number;
  lost: number;
  /** alert frames received again for an alert already seen (at least once) */
  duplicates: number;
  errors: number;
  latencyMs: LatencySummary;
}

const now = (): number => performance.timeOrigin + performance.now();
const SEOUL = { lat: 37.5665, lng: 126.978 };

export async function runSafetyAlerts(
  infra: Infra,
  options: { patients: number; periodMs: number; insideS: number; outsideS: number; cycles: number; synchronized?: boolean },
): Promise<SafetyAlertsResult> {
  // confirmation by 3 positions; no dwell, silence, stationarity or escalation during the run
  const cluster = await startCluster(infra, 3, 'routed', {
    SAFETY_CONFIRM_FIXES: '3',
    SAFETY_DWELL_MS: '0',
    SAFETY_SILENT_MS: '3600000',
    SAFETY_STATIONARY_MS: '3600000',
    SAFETY_ESCALATE_MAX: '0',
  });
  const n = cluster.nodeUrls.length;
  const run = Math.random().toString(36).slice(2, 7);
  const ids = Array.from({ length: options.patients }, (_, p) => `sp-${run}-${p}`);
  // each patient's home, 2 km apart on a grid, so no two share a zone
  const homes = ids.map((_, p) => offset(offset(SEOUL, 90, (p % 20) * 2_000), 0, Math.floor(p / 20) * 2_000));
  const cycle = options.insideS + options.outsideS;
  const rounds = cycle * options.cycles;
  const base: number[] = [];
  const latencies: number[] = [];
  const seen = new Map<string, number>();
  let errors = 0;
  let acked = 0;
  const clients: LoadClient[] = [];
  try {
    const caregivers = await connectAll(options.patients, 50, async (p) => {
      const token = await devToken({ sub: `sc-${run}-${p}`, role: 'caregiver', patients: [ids[p]!] });
      const c = await LoadClient.connect(cluster.nodeUrls[(p + 1) % n]!, token);
      await c.ok({ type: 'subscribe', channel: `alerts:${ids[p]}` });
      await c.ok({ type: 'zone_put', patientId: ids[p], zone: { zoneId: 'home', name: 'Home', shape: { kind: 'circle', center: homes[p], radius: 150 } } });
      c.onFrame = (f) => {
        if (f.type === 'error') errors++;
        if (f.type !== 'alert' || f.event !== 'raised') return;
        const count = (seen.get(f.alert.alertId) ?? 0) + 1;
        seen.set(f.alert.alertId, count);
        if (count > 1) return;
        latencies.push(now() - f.alert.position!.timestamp);
        c.request({ type: 'alert_ack', patientId: ids[p], alertId: f.alert.alertId }).then(
          (a) => void (a.type === 'error' && errors++),
          () => errors++,
        );
      };
      return c;
    });
    clients.push(...caregivers);
    const patients = await connectAll(options.patients, 50, async (p) => LoadClient.connect(cluster.nodeUrls[p % n]!, await devToken({ sub: ids[p]!, role: 'patient' })));
    clients.push(...patients);
    for (const c of patients) {
      c.onFrame = (f) => {
        if (f.type === 'ack') acked++;
        else if (f.type === 'error') errors++;
      };
    }
    const start = Math.ceil(now()) + 500;
    ids.forEach((_, p) => base.push(start + Math.floor((p * options.periodMs) / options.patients)));
    const next = ids.map(() => 0);
    let published = 0;
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        const t = now();
        for (let p = 0; p < ids.length; p++) {
          while (next[p]! < rounds && base[p]! + next[p]! * options.periodMs <= t) {
            const k = next[p]!;
            const timestamp = base[p]! + k * options.periodMs;
            const at = offset(homes[p]!, 90, awayAt(p, k, options, cycle) ? 400 : 0);
            patients[p]!.send(JSON.stringify({ type: 'location', id: patients[p]!.id(), position: { lat: at.lat, lng: at.lng, accuracy: 10, timestamp } }));
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
    // exits walked: each stretch away of at least the 3 positions that confirm it (the inside
    // stretches between are 3 or longer, so the patient is confirmed home again before each)
    const exits = (p: number): number => {
      const away = (k: number): boolean => awayAt(p, k, options, cycle);
      let count = 0;
      for (let k = 0; k < rounds; k++) {
        if (!away(k) || (k > 0 && away(k - 1))) continue;
        let length = 0;
        while (k + length < rounds && away(k + length)) length++;
        if (length >= 3) count++;
      }
      return count;
    };
    const expected = ids.reduce((sum, _, p) => sum + exits(p), 0);
    const deadline = performance.now() + 10_000;
    while ((latencies.length < expected || acked < published) && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20)); // our own counters
    const duplicates = [...seen.values()].reduce((sum, c) => sum + c - 1, 0);
    const s = summarize(latencies);
    const result: SafetyAlertsResult = {
      patients: options.patients,
      periodMs: options.periodMs,
      published,
      acked,
      expected,
      delivered: latencies.length,
      lost: expected - latencies.length,
      duplicates,
      errors,
      latencyMs: { count: s.count, p50: ms(s.p50), p99: ms(s.p99), p999: ms(s.p999), max: ms(s.max) },
    };
    if (published !== rounds * ids.length || acked !== published || result.delivered !== expected || errors > 0) {
      throw new Error(`safety load did not happen as planned: ${JSON.stringify({ ...result, latencyMs: undefined })}`);
    }
    return result;
  } finally {
    await Promise.all(clients.map((c) => c.close()));
    await cluster.stop();
  }
}

/** Whether patient p's position k is away from home. The first `insideS` are at home whatever the phase, so its side is known before the first exit. */
function awayAt(p: number, k: number, o: { insideS: number; synchronized?: boolean }, cycle: number): boolean {
  const phase = o.synchronized ? 0 : p % cycle;
  return k >= o.insideS && (k + phase) % cycle >= o.insideS;
}
