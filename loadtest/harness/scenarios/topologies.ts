/**
 * `routed` vs `fanout` at 1, 2, 3 and 5 nodes. For each: the relay ladder (scenarios/relay.ts:
 * pairs split across neighbouring nodes, direct signals, so exactly one node has a subscriber for
 * each message) gives the highest sustained rate. Broker deliveries per message are the broker's
 * own counters (messages delivered from queues / messages published, read with `rabbitmqctl eval`)
 * over the ladder. Beside them, the nodes' view: `tether_bus_delivered_total` summed over the
 * nodes / `tether_bus_published_total`; it counts only messages a node handed on, so in fanout
 * it leaves out the deliveries a node received and dropped for want of a local subscriber.
 * Then a location stream watched from up to 2 nodes shows the ratio when more than one node has
 * subscribers: routed should deliver to exactly those nodes, fanout to all of them.
 */
import type { LocalCluster } from '../../../scripts/local-cluster.ts';
import { type Infra, startCluster } from '../lib/infra.ts';
import { type LadderOptions, Recorder, runLadder } from '../lib/open-loop.ts';
import { clusterSum } from '../lib/prom.ts';
import { round } from '../lib/stats.ts';
import { LoadClient } from '../lib/tether-client.ts';
import { devToken } from '../lib/tokens.ts';
import { tetherRelayTarget } from './relay.ts';

export interface TopologyResult {
  topology: 'routed' | 'fanout';
  nodes: number;
  /** highest sustained offered rate, direct signals, messages/s */
  maxSustained: number;
  /** broker deliveries per published message, direct signals (1 node has the subscriber) */
  deliveriesPerMessage: number;
  /** the nodes' view: messages handed on by a node's bus per message published */
  handledPerMessage: number;
  /** nodes with a watcher of the location stream, and deliveries per position published */
  streamNodes: number;
  streamDeliveriesPerMessage: number;
}

async function busCounters(cluster: LocalCluster): Promise<{ published: number; delivered: number }> {
  const [published, delivered] = await Promise.all([
    clusterSum(cluster.nodeUrls, 'tether_bus_published_total'),
    clusterSum(cluster.nodeUrls, 'tether_bus_delivered_total'),
  ]);
  return { published, delivered };
}

/** A patient on node-0 publishes `count` positions; caregivers watch from the first `watchers` nodes. */
async function streamRatio(infra: Infra, cluster: LocalCluster, watchers: number, count: number): Promise<number> {
  const run = Math.random().toString(36).slice(2, 7);
  const patient = `tp-${run}`;
  const watching = await Promise.all(
    Array.from({ length: watchers }, async (_, i) => {
      const c = await LoadClient.connect(cluster.nodeUrls[i]!, await devToken({ sub: `tw-${run}-${i}`, role: 'caregiver', patients: [patient] }));
      await c.ok({ type: 'subscribe', channel: `location:${patient}` });
      return c;
    }),
  );
  const publisher = await LoadClient.connect(cluster.nodeUrls[0]!, await devToken({ sub: patient, role: 'patient' }));
  const broker0 = await infra.brokerCounters();
  const before = await busCounters(cluster);
  const acks = [];
  for (let i = 0; i < count; i++) {
    acks.push(publisher.ok({ type: 'location', position: { lat: 52.37, lng: 4.89, accuracy: 10, timestamp: Date.now() } }));
  }
  await Promise.all(acks);
  // deliveries may trail the publisher's confirms by a moment: wait until every watcher node counted them
  const deadline = performance.now() + 5_000;
  let after = await busCounters(cluster);
  while (after.delivered - before.delivered < (after.published - before.published) * watchers && performance.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100)); // polling /metrics of processes we do not control
    after = await busCounters(cluster);
  }
  const broker1 = await infra.brokerCounters();
  await Promise.all([publisher, ...watching].map((c) => c.close()));
  return round((broker1.delivered - broker0.delivered) / (broker1.received - broker0.received), 2);
}

export async function runTopology(
  infra: Infra,
  topology: 'routed' | 'fanout',
  nodes: number,
  options: LadderOptions & { pairs: number },
): Promise<TopologyResult> {
  const cluster = await startCluster(infra, nodes, topology);
  try {
    const probe = new Recorder();
    const target = await tetherRelayTarget(cluster, options.pairs, probe);
    const broker0 = await infra.brokerCounters();
    const before = await busCounters(cluster);
    const ladder = await runLadder(target, probe, options);
    // let the last deliveries be counted before reading the counters
    await new Promise((r) => setTimeout(r, 500));
    const after = await busCounters(cluster);
    const broker1 = await infra.brokerCounters();
    await target.close();
    const streamNodes = Math.min(2, nodes);
    return {
      topology,
      nodes,
      maxSustained: ladder.maxSustained,
      deliveriesPerMessage: round((broker1.delivered - broker0.delivered) / (broker1.received - broker0.received), 2),
      handledPerMessage: round((after.delivered - before.delivered) / (after.published - before.published), 2),
      streamNodes,
      streamDeliveriesPerMessage: await streamRatio(infra, cluster, streamNodes, 200),
    };
  } finally {
    await cluster.stop();
  }
}
