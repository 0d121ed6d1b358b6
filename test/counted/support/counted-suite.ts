/**
 * Counted traffic through faults (issue 11): for one bus topology, three real node processes on a
 * private RabbitMQ and a private Redis, and for each fault in faults.ts a fresh set of SDK clients
 * (27 sender/receiver pairs, 10 direct signals per second each) that send before, during and
 * after the fault. Then every send must be answered, and every acked or `queued` one must have
 * reached its receiver exactly once and in order (tally.ts). Each scenario annotates its test
 * with one summary line of numbers (`--reporter=verbose` shows it); a failure lists every breach
 * with the scenario's timeline, and annotates the nodes' warnings and errors.
 *
 * The brokers and nodes are shared by the scenarios of a file (the RabbitMQ boot alone takes
 * about 9 s); each scenario uses its own user ids, closes its clients with 1000 and leaves three
 * ready nodes behind (`Fault.restore`).
 *
 * To extend: add a fault in faults.ts, or a message kind in traffic.ts with its rule in tally.ts.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalCluster } from '../../../scripts/local-cluster.ts';
import { startRabbitMq } from '../../support/rabbitmq.ts';
import { startRedis } from '../../support/redis.ts';
import { FAULTS, type Fault, type World } from './faults.ts';
import { summaryLine, tally } from './tally.ts';
import { Traffic } from './traffic.ts';

/** sender/receiver pairs: every (sender node, receiver node) combination three times */
const PAIRS = 27;
/** ms between two sends of a sender: 10 per second */
const INTERVAL_MS = 100;
/** ms for every client to get its first welcome */
const READY_WITHIN_MS = 20_000;
/** ms of traffic before the fault, and after it is over: timed phases of the traffic */
const PHASE_MS = 2_000;
/** ms for every send to be answered once the traffic stopped (the SDK's worst case is 3 x 10 s) */
const ANSWERED_WITHIN_MS = 35_000;
/** ms for every owed message to arrive once every send is answered */
const ARRIVED_WITHIN_MS = 15_000;

export function describeCounted(topology: 'routed' | 'fanout'): void {
  describe(`counted direct signals through faults (${topology})`, () => {
    const world = {} as World;
    beforeAll(async () => {
      const [rabbit, redis] = await Promise.allSettled([startRabbitMq({ name: `counted-${topology}` }), startRedis({ name: `counted-${topology}` })]);
      // whichever started is stopped in afterAll, also when the other failed
      if (rabbit.status === 'fulfilled') world.rabbit = rabbit.value;
      if (redis.status === 'fulfilled') world.redis = redis.value;
      for (const started of [rabbit, redis]) if (started.status === 'rejected') throw started.reason;
      world.cluster = await startLocalCluster({
        nodes: 3,
        port: 0,
        topology,
        loadBalancer: false,
        rabbitmqUrl: world.rabbit.url,
        redisUrl: world.redis.url,
        env: { LOG_LEVEL: 'warn' },
      });
    }, 90_000);
    afterAll(async () => {
      await world.cluster?.stop();
      await Promise.all([world.rabbit?.stop(), world.redis?.stop()]);
    }, 60_000);

    for (const fault of FAULTS) {
      it(`${fault.name}: ${fault.title}; every acked signal arrives once, in order`, async ({ annotate }) => {
        const failures = await scenario(world, fault, `${topology}/${fault.name}`, annotate);
        expect(failures).toEqual([]);
      }, 150_000);
    }
  });
}

async function scenario(world: World, fault: Fault, label: string, annotate: (message: string) => Promise<unknown>): Promise<string[]> {
  const run = `${label.replace(/[^a-z]/g, '').slice(0, 12)}${Math.random().toString(36).slice(2, 7)}`;
  const traffic = new Traffic({ run, pairs: PAIRS, urls: world.cluster.nodeUrls, intervalMs: INTERVAL_MS });
  try {
    const problems = await traffic.ready(READY_WITHIN_MS);
    if (problems.length > 0) return problems;
    traffic.start();
    await phase(PHASE_MS);
    traffic.phase = 'during';
    problems.push(...(await fault.inject(world, traffic)));
    traffic.phase = 'after';
    await phase(PHASE_MS);
    traffic.stop();
    if (!(await traffic.answered(ANSWERED_WITHIN_MS))) problems.push(`sends still unanswered ${ANSWERED_WITHIN_MS} ms after the traffic stopped`);
    if (!(await traffic.arrived(ARRIVED_WITHIN_MS))) problems.push(`owed signals still missing ${ARRIVED_WITHIN_MS} ms after every send was answered`);
    const after = fault.allowedAfter && traffic.marks.find((m) => m.what === fault.allowedAfter!.mark);
    const verdict = tally(traffic.pairs, traffic.parties, fault.allowedErrors, after ? { code: fault.allowedAfter!.code, from: after.at } : undefined);
    await annotate(summaryLine(label, verdict.tally));
    if (verdict.notes.length > 0) await annotate(`[counted] ${label}: answered with an error, delivered all the same:\n${verdict.notes.slice(0, 20).join('\n')}`);
    const failures = [...problems, ...verdict.breaches];
    if (failures.length > 0) {
      failures.push(`timeline (ms): ${traffic.marks.map((m) => `@${m.at} ${m.what}`).join('; ')}`);
      await annotate(`[counted] ${label}: the nodes' warnings and errors\n${await nodeLogs(world)}`);
    }
    return failures;
  } finally {
    traffic.close();
    await fault.restore(world);
  }
}

/** A timed phase of traffic (before the fault, after it): the traffic runs meanwhile. */
function phase(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The nodes' warn and error log lines (pino levels 40+), the last 10 of each node, for a failure's evidence. */
async function nodeLogs(world: World): Promise<string> {
  const parts = await Promise.all(
    world.cluster.nodeUrls.map(async (_, i) => {
      const text = await readFile(join(world.cluster.dir, `node-${i}.log`), 'utf8').catch(() => '');
      const lines = text.split('\n').filter((line) => /"level":(4|5|6)\d/.test(line));
      return `node-${i}: ${lines.length} lines\n${lines.slice(-10).map((line) => line.slice(0, 400)).join('\n')}`;
    }),
  );
  return parts.join('\n');
}
