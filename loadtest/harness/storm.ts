/**
 * `scripts/node24 loadtest/harness/storm.ts [--connections N] [--storms 5000,18000] [--soak ms] [--profile dir]`
 *
 * Only the reconnect storms of the idle-connection scenario (scenarios/idle-memory.ts), for
 * working on them: one node on a private RabbitMQ and Redis, N connections, then each storm in
 * turn, with the cores every process used. `npm run bench` runs them as part of the memory
 * scenario, after a 25 s soak (`--soak 25000` here; storms after it were slower: 1.54 and 5.22 s
 * against 1.2 to 1.5 and 3.9 to 4.4 s without); this is the quick loop.
 */
import { parseArgs } from 'node:util';
import { NODE_FLAGS } from '../../scripts/local-cluster.ts';
import { startInfra } from './lib/infra.ts';
import { runIdleMemory } from './scenarios/idle-memory.ts';

const { values } = parseArgs({
  options: { connections: { type: 'string', default: '5000' }, storms: { type: 'string', default: '5000' }, soak: { type: 'string', default: '0' }, profile: { type: 'string' } },
});
/** `--profile dir`: the node writes a V8 CPU profile there when it stops (summarize it with lib/cpuprofile.ts) */
const profileFlags = values.profile ? ['--cpu-prof', `--cpu-prof-dir=${values.profile}`] : [];
const infra = await startInfra();
try {
  await runIdleMemory(infra, {
    levels: [Number(values.connections)],
    workers: 4,
    settleMs: 2_000,
    soakMs: Number(values.soak),
    storms: values.storms.split(',').map(Number),
    heartbeatMs: 10_000,
    nodeFlags: [...NODE_FLAGS, ...profileFlags],
    log: (line) => console.log(line),
  });
} finally {
  await infra.stop();
}
