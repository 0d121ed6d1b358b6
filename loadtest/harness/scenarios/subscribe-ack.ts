/**
 * Subscribe-to-ack latency, as a client sees it (request sent to ack received), in one topology:
 * a 2-node cluster; one caregiver on node-1 subscribes, one at a time, to `count` fresh location
 * channels and `count` fresh rooms (each unsubscribed after its ack, so every subscribe is a new
 * channel for the node). Routed: each one waits for a broker-confirmed binding; fanout: no broker
 * round trip. Both also read Redis (last position, or join the roster). Also connect-to-welcome
 * for `count` sequential connections (token check, presence, the user channel made live).
 */
import { type Infra, startCluster } from '../lib/infra.ts';
import { type LatencySummary, ms, summarize } from '../lib/stats.ts';
import { LoadClient } from '../lib/tether-client.ts';
import { devToken } from '../lib/tokens.ts';

export interface SubscribeAckResult {
  topology: 'routed' | 'fanout';
  locationMs: LatencySummary;
  roomMs: LatencySummary;
  welcomeMs: LatencySummary;
}

function rounded(s: LatencySummary): LatencySummary {
  return { count: s.count, p50: ms(s.p50), p99: ms(s.p99), p999: ms(s.p999), max: ms(s.max) };
}

export async function runSubscribeAck(infra: Infra, topology: 'routed' | 'fanout', count: number): Promise<SubscribeAckResult> {
  const cluster = await startCluster(infra, 2, topology);
  try {
    const run = Math.random().toString(36).slice(2, 7);
    const patients = Array.from({ length: count }, (_, i) => `sp${i}`);
    const token = await devToken({ sub: `sc-${run}`, role: 'caregiver', patients, rooms: [`sr-${run}-*`] });
    const client = await LoadClient.connect(cluster.nodeUrls[1]!, token);
    const timed = async (channel: string): Promise<number> => {
      const t0 = performance.now();
      await client.ok({ type: 'subscribe', channel });
      const elapsed = performance.now() - t0;
      await client.ok({ type: 'unsubscribe', channel });
      return elapsed;
    };
    // one untimed round first: JIT and connection warm-up
    await timed(`location:${patients[0]}`);
    const location: number[] = [];
    for (const p of patients) location.push(await timed(`location:${p}`));
    const room: number[] = [];
    for (let i = 0; i < count; i++) room.push(await timed(`room:sr-${run}-${i}`));
    await client.close();

    const welcome: number[] = [];
    for (let i = 0; i < count; i++) {
      const t = await devToken({ sub: `sw-${run}-${i}`, role: 'patient' });
      const t0 = performance.now();
      const c = await LoadClient.connect(cluster.nodeUrls[i % 2]!, t);
      welcome.push(performance.now() - t0);
      await c.close();
    }
    return {
      topology,
      locationMs: rounded(summarize(location)),
      roomMs: rounded(summarize(room)),
      welcomeMs: rounded(summarize(welcome)),
    };
  } finally {
    await cluster.stop();
  }
}
