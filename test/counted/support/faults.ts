/**
 * The faults the counted-traffic scenarios put a running cluster through, each on real processes:
 * three Tether node processes (scripts/local-cluster.ts), a private RabbitMQ and a private Redis
 * (test/support/rabbitmq.ts, test/support/redis.ts) that nobody else uses, so stopping them
 * disturbs no other test.
 *
 * `inject` runs while traffic flows and resolves when the fault is over and the system says it
 * has recovered (the clients it cut are welcomed again, the nodes report their bus or store up),
 * with the problems it saw on the way (a recovery that missed its deadline, an unexpected close
 * code); `restore` brings the cluster back to three ready nodes for the next scenario.
 *
 * To add a fault: one more entry in FAULTS, with a bounded, event- or poll-driven recovery wait.
 */
import type { LocalCluster } from '../../../scripts/local-cluster.ts';
import type { RabbitMqInstance } from '../../support/rabbitmq.ts';
import type { RedisInstance } from '../../support/redis.ts';
import type { Party } from './party.ts';
import type { Traffic } from './traffic.ts';
import { poll, until } from './until.ts';

export interface World {
  cluster: LocalCluster;
  rabbit: RabbitMqInstance;
  redis: RedisInstance;
}

export interface Fault {
  name: string;
  /** what happens, for the test's name */
  title: string;
  /**
   * Error codes the contract allows for a send during this fault (docs/protocol.md 10, 11.5);
   * any other error answer is a breach. Such a send may or may not arrive: it is only counted.
   */
  allowedErrors: readonly string[];
  /** error codes allowed only for sends made after the timeline mark named (a recovery window) */
  allowedAfter?: { code: string; mark: string };
  inject(world: World, traffic: Traffic): Promise<string[]>;
  restore(world: World): Promise<void>;
}

/** The node every client-side fault hits. */
export const FAULTED_NODE = 0;
/** ms the clients a fault cut off get to be welcomed again */
const BACK_WITHIN_MS = 30_000;
/** ms the nodes get to report their bus or store back */
const RECOVERED_WITHIN_MS = 30_000;
/** ms Redis stays down in the outage: a timed fault */
export const REDIS_DOWN_MS = 3_000;
/** ms every other client cut off stays away before it may reconnect (its network is out): a timed fault */
export const AWAY_MS = 1_500;

export const FAULTS: readonly Fault[] = [
  {
    name: 'client-reconnect',
    title: 'the clients of one node lose their sockets and resume on another node',
    allowedErrors: [],
    async inject(_world, traffic) {
      const hit = traffic.on(FAULTED_NODE);
      const back = comeBack(traffic, hit);
      const away = keepAway(traffic, hit);
      traffic.mark(`sockets of node-${FAULTED_NODE}'s ${hit.length} clients cut`);
      for (const party of hit) party.cut();
      away();
      return [...(await back), ...closedWith(hit, 1006)];
    },
    restore: () => Promise.resolve(),
  },
  {
    name: 'drain',
    title: 'one node drains (SIGTERM): its clients get 1012 and resume on the others',
    allowedErrors: [],
    async inject({ cluster }, traffic) {
      const hit = traffic.on(FAULTED_NODE);
      const back = comeBack(traffic, hit);
      const away = keepAway(traffic, hit);
      traffic.mark(`node-${FAULTED_NODE} SIGTERM`);
      const exited = cluster.drain(FAULTED_NODE);
      away();
      const code = await exited;
      traffic.mark(`node-${FAULTED_NODE} exited`);
      const problems = await back;
      if (code !== 0) problems.push(`node-${FAULTED_NODE} exited with ${code} after SIGTERM, not 0`);
      return [...problems, ...closedWith(hit, 1012)];
    },
    restore: ({ cluster }) => startIfDown(cluster, FAULTED_NODE),
  },
  {
    name: 'kill-node',
    title: 'one node is SIGKILLed: its clients resume on the others',
    // a session attached to the dead node stays resumable, and signals are kept for it (11.5)
    allowedErrors: [],
    async inject({ cluster }, traffic) {
      const hit = traffic.on(FAULTED_NODE);
      const back = comeBack(traffic, hit);
      const away = keepAway(traffic, hit);
      traffic.mark(`node-${FAULTED_NODE} SIGKILL`);
      await cluster.kill(FAULTED_NODE);
      away();
      return [...(await back), ...closedWith(hit, 1006)];
    },
    restore: ({ cluster }) => startIfDown(cluster, FAULTED_NODE),
  },
  {
    name: 'rabbitmq-restart',
    title: 'RabbitMQ restarts (graceful stop, start): the nodes reconnect and re-bind',
    // sends fail fast while the bus is down (10); a recipient re-binding is kept for (queued)
    allowedErrors: ['BUS_UNAVAILABLE'],
    async inject({ cluster, rabbit }, traffic) {
      traffic.mark('rabbitmq stopping');
      await rabbit.down('graceful');
      traffic.mark('rabbitmq stopped');
      const problems = await nodesReport(cluster, (s) => s.bus !== 'up', 'bus down');
      traffic.mark('nodes report bus down; rabbitmq starting');
      await rabbit.up();
      traffic.mark('rabbitmq accepts connections');
      problems.push(...(await nodesReport(cluster, (s) => s.bus === 'up' && s.ready === true, 'bus up and ready')));
      traffic.mark('nodes report bus up');
      return problems;
    },
    // a no-op unless the scenario failed half-way
    restore: ({ rabbit }) => rabbit.up(),
  },
  {
    name: 'redis-outage',
    title: `Redis is killed, stays down ${REDIS_DOWN_MS / 1000} s and comes back empty`,
    // Every receiver stays connected, so signaling must simply keep working (DESIGN.md "Redis
    // down", protocol.md 10): a direct signal is relayed live, not kept, and acked once the bus
    // took it. No send to a connected user may be refused during the outage. When Redis answers
    // again, empty, a user whose node has not yet registered its sessions again is answered
    // PEER_UNAVAILABLE (retryable, protocol.md 10 "Redis restarted empty"): only then.
    allowedErrors: [],
    allowedAfter: { code: 'PEER_UNAVAILABLE', mark: 'redis answers again (empty)' },
    async inject({ cluster, redis }, traffic) {
      await redis.kill();
      traffic.mark('redis killed');
      const problems = await nodesReport(cluster, (s) => s.store !== 'up', 'store down');
      traffic.mark('nodes report store down');
      // the outage itself: a timed fault, not a synchronization
      await new Promise((resolve) => setTimeout(resolve, REDIS_DOWN_MS));
      await redis.start();
      traffic.mark('redis answers again (empty)');
      problems.push(...(await nodesReport(cluster, (s) => s.store === 'up', 'store up')));
      traffic.mark('nodes report store up');
      return problems;
    },
    restore: ({ redis }) => redis.start(),
  },
];

/** Resolves, with what went wrong, once every party in `hit` has been welcomed again and is open. */
function comeBack(traffic: Traffic, hit: readonly Party[]): Promise<string[]> {
  const before = new Map(hit.map((p) => [p, p.connections]));
  const backAgain = (p: Party): boolean => p.connections > before.get(p)! && p.open;
  return until(() => hit.every(backAgain), (f) => traffic.subscribe(f), BACK_WITHIN_MS).then((ok) => {
    if (ok) traffic.mark('every client cut off is welcomed again');
    return ok ? [] : [`not welcomed again within ${BACK_WITHIN_MS} ms: ${hit.filter((p) => !backAgain(p)).map((p) => p.name).join(', ')}`];
  });
}

/**
 * Holds every other party of `hit` back from reconnecting; the returned function starts their
 * `AWAY_MS` away (call it when the fault strikes), after which they may reconnect.
 */
function keepAway(traffic: Traffic, hit: readonly Party[]): () => void {
  const held = hit.filter((_, i) => i % 2 === 0);
  const releases = held.map((p) => p.hold());
  return () => {
    setTimeout(() => {
      traffic.mark(`${held.length} held clients may reconnect`);
      for (const release of releases) release();
    }, AWAY_MS);
  };
}

/** The parties' latest drop must carry `code`. */
function closedWith(hit: readonly Party[], code: number): string[] {
  const wrong = hit.filter((p) => p.drops.at(-1)?.closeCode !== code);
  return wrong.length === 0 ? [] : [`expected close ${code}: ${wrong.map((p) => `${p.name} got ${p.drops.at(-1)?.closeCode ?? 'no drop'}`).join(', ')}`];
}

/** Starts node `index` again unless it still answers (a scenario that failed before its fault). */
async function startIfDown(cluster: LocalCluster, index: number): Promise<void> {
  const answers = await nodeStatus(cluster, index).then(() => true, () => false);
  if (!answers) await cluster.start(index);
}

interface NodeStatus {
  ready: boolean;
  bus: string;
  store: string;
}

async function nodeStatus(cluster: LocalCluster, index: number): Promise<NodeStatus> {
  const http = cluster.nodeUrls[index]!.replace(/^ws/, 'http').replace(/\/ws$/, '');
  const response = await fetch(`${http}/readyz`);
  return (await response.json()) as NodeStatus;
}

/** Polls every node's /readyz until `ok` holds for all; a problem line if not within the deadline. */
async function nodesReport(cluster: LocalCluster, ok: (status: NodeStatus) => boolean, what: string): Promise<string[]> {
  const all = cluster.nodeUrls.map((_, i) => i);
  const reached = await poll(async () => (await Promise.all(all.map((i) => nodeStatus(cluster, i)))).every(ok), RECOVERED_WITHIN_MS);
  return reached ? [] : [`nodes did not all report ${what} within ${RECOVERED_WITHIN_MS} ms`];
}
