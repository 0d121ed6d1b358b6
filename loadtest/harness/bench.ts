/**
 * `npm run bench [-- --only relay,subscribe,topology,call,fanout,safety,memory] [--quick] [--out dir/]
 *   [--memory-env NAME=value ...] [--render]`
 *
 * Runs every benchmark scenario in one process, one after the other, on one private RabbitMQ and
 * Redis, and writes loadtest/results/latest.json and latest.md (the markdown tables of
 * docs/benchmarks.md). Loopback only; every scenario is bounded in time, and a watchdog ends
 * the run (killing everything it started) if the whole exceeds 18 minutes. `--quick` shrinks
 * every scenario for a smoke run (its numbers mean little). `--memory-env` gives the node of the
 * idle-connection scenario extra environment, for allocator experiments
 * (`LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2`); such a run is not the reference run.
 * `--render` only re-renders latest.md from the latest.json in `--out`. Method and caveats:
 * docs/benchmarks.md.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { waitForQuiet } from './lib/cpu.ts';
import { BENCH_NODE_ENV, startInfra } from './lib/infra.ts';
import { NODE_FLAGS } from '../../scripts/local-cluster.ts';
import { describeMachine, sourceRevision } from './lib/machine.ts';
import { type LadderOptions, type RunningSystem, runLadders } from './lib/open-loop.ts';
import { MESSAGE_BYTES } from './lib/payload.ts';
import { type BenchResults, renderMarkdown } from './lib/report.ts';
import { memoryTarget, relayTargets, safetyTarget, stormTargets, topologyTarget } from './lib/targets.ts';
import { startAmqpCeiling } from './scenarios/amqp-ceiling.ts';
import { runCallSetup } from './scenarios/call-setup.ts';
import { runIdleMemory } from './scenarios/idle-memory.ts';
import { runLocationFanout } from './scenarios/location-fanout.ts';
import { startTetherRelay } from './scenarios/relay.ts';
import { runSafetyAlerts } from './scenarios/safety-alerts.ts';
import { startSocketIoRelay } from './scenarios/socketio-relay.ts';
import { runSubscribeAck } from './scenarios/subscribe-ack.ts';
import { runTopology } from './scenarios/topologies.ts';
import { startWsEcho } from './scenarios/ws-echo.ts';

const WATCHDOG_MS = 18 * 60_000;
const { values } = parseArgs({
  options: {
    only: { type: 'string', default: 'relay,subscribe,topology,call,fanout,safety,memory' },
    quick: { type: 'boolean', default: false },
    out: { type: 'string', default: new URL('../results/', import.meta.url).pathname },
    'memory-env': { type: 'string', multiple: true, default: [] },
    render: { type: 'boolean', default: false },
  },
});
if (values.render) {
  const saved = JSON.parse(await readFile(`${values.out}/latest.json`, 'utf8')) as BenchResults;
  await writeFile(`${values.out}/latest.md`, renderMarkdown(saved));
  console.log(renderMarkdown(saved));
  process.exit(0);
}
const only = new Set(values.only.split(','));
const quick = values.quick;
const log = (line: string): void => console.log(line);

const relayLadder: LadderOptions = {
  rates: quick ? [1000, 2000, 4000] : [1000, 2000, 4000, 6000, 8000, 10000, 12000, 14000, 16000, 20000, 24000, 32000, 48000, 64000],
  durationMs: quick ? 2_000 : 4_000,
  drainMs: 3_000,
  warmupMs: 2_000,
  stepWarmupMs: 1_000,
  log,
};
const topologyLadder: LadderOptions = {
  rates: quick ? [1000, 2000] : [1000, 2000, 3000, 4000, 5000, 6000, 8000, 10000],
  durationMs: 2_500,
  drainMs: 3_000,
  warmupMs: 1_000,
  log,
};
const settings = {
  messageBytes: MESSAGE_BYTES,
  relay: {
    pairs: 50,
    rates: relayLadder.rates,
    stepMs: relayLadder.durationMs,
    stepWarmupMs: relayLadder.stepWarmupMs,
    drainMs: relayLadder.drainMs,
    warmupMs: relayLadder.warmupMs,
  },
  topology: { pairs: 30, nodes: [1, 2, 3, 5], rates: topologyLadder.rates, stepMs: topologyLadder.durationMs },
  subscribeAck: { channels: quick ? 50 : 300 },
  callSetup: { pairs: quick ? 20 : 100, calls: quick ? 2 : 5, candidates: 4, intervalMs: 2_000 },
  locationFanout: { patients: quick ? 50 : 300, watchers: 3, periodMs: 1_000, durationMs: quick ? 5_000 : 15_000 },
  // each cycle: 10 s at home, 10 s out
  safetyAlerts: { patients: quick ? 50 : 300, periodMs: 1_000, insideS: 10, outsideS: 10, cycles: quick ? 1 : 3 },
  idleMemory: {
    levels: quick ? [500, 2_000] : [5_000, 18_000],
    workers: 4,
    settleMs: quick ? 2_000 : 5_000,
    soakMs: quick ? 5_000 : 25_000,
    storms: quick ? [400, 2_000] : [5_000, 18_000],
    heartbeatMs: 10_000,
    env: Object.fromEntries(values['memory-env'].map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)])),
  },
  nodeEnv: BENCH_NODE_ENV,
  nodeFlags: NODE_FLAGS,
  quick,
};

const watchdog = setTimeout(() => {
  console.error(`bench: over ${WATCHDOG_MS / 60_000} minutes; stopping everything`);
  process.exit(2);
}, WATCHDOG_MS);
watchdog.unref();
process.on('SIGINT', () => process.exit(130));
process.on('SIGTERM', () => process.exit(143));

const started = performance.now();
const machine = describeMachine();
log(`bench: ${machine.cpus} × ${machine.cpuModel}, ${machine.memoryGiB} GiB, node ${machine.versions.node}`);
const quiet = await waitForQuiet(60_000, 0.1, log);
log(`bench: foreign CPU load ${Math.round(quiet.foreign * 100)}% of the machine; starting RabbitMQ and Redis`);
const infra = await startInfra();
const results: BenchResults = {
  startedAt: new Date().toISOString(),
  durationSeconds: 0,
  machine,
  source: sourceRevision(),
  foreignCpuAtStart: quiet.foreign,
  settings,
  targets: [],
};
try {
  if (only.has('relay')) {
    log('\ncross-node relay, side by side: Tether, Socket.IO + redis-adapter, amqplib ceiling, ws echo ceiling');
    const systems: RunningSystem[] = [];
    try {
      const pairs = settings.relay.pairs;
      systems.push(await startTetherRelay(infra, pairs));
      systems.push(await startSocketIoRelay(infra, pairs));
      systems.push(await startAmqpCeiling(infra, pairs));
      systems.push(await startWsEcho(pairs));
      const r = await runLadders(systems, relayLadder);
      results.relay = { tether: r.tether!, socketio: r['socket.io']!, amqp: r.amqplib!, wsEcho: r['ws echo']! };
      results.targets.push(...relayTargets(results.relay));
    } finally {
      for (const s of systems) await s.stop();
    }
  }
  if (only.has('subscribe')) {
    results.subscribeAck = [];
    for (const topology of ['routed', 'fanout'] as const) {
      log(`\nsubscribe-to-ack: ${topology}`);
      const r = await runSubscribeAck(infra, topology, settings.subscribeAck.channels);
      log(`  location p50 ${r.locationMs.p50} p99 ${r.locationMs.p99} ms; room p50 ${r.roomMs.p50} p99 ${r.roomMs.p99} ms; welcome p50 ${r.welcomeMs.p50} p99 ${r.welcomeMs.p99} ms`);
      results.subscribeAck.push(r);
    }
  }
  if (only.has('topology')) {
    results.topologies = [];
    for (const nodes of settings.topology.nodes) {
      for (const topology of ['routed', 'fanout'] as const) {
        log(`\n${topology}, ${nodes} node(s)`);
        const r = await runTopology(infra, topology, nodes, { ...topologyLadder, pairs: settings.topology.pairs });
        log(`  max sustained ${r.maxSustained}/s; deliveries/msg ${r.deliveriesPerMessage}; stream on ${r.streamNodes} nodes: ${r.streamDeliveriesPerMessage}`);
        results.topologies.push(r);
      }
    }
    results.targets.push(topologyTarget(results.topologies));
  }
  if (only.has('call')) {
    log('\ncall setup');
    results.callSetup = await runCallSetup(infra, settings.callSetup);
    const c = results.callSetup;
    log(`  ${c.completed}/${c.calls} calls, ${c.lost} lost, ${c.errors} errors; setup p50 ${c.setupMs.p50} p99 ${c.setupMs.p99} ms`);
  }
  if (only.has('fanout')) {
    log('\nlocation fan-out');
    results.locationFanout = await runLocationFanout(infra, settings.locationFanout);
    const f = results.locationFanout;
    log(`  ${f.delivered}/${f.expected} delivered, ${f.lost} lost; p50 ${f.latencyMs.p50} p99 ${f.latencyMs.p99} ms`);
  }
  if (only.has('safety')) {
    log('\nsafety: position in to alert delivered');
    results.safetyAlerts = await runSafetyAlerts(infra, settings.safetyAlerts);
    const a = results.safetyAlerts;
    log(`  ${a.delivered}/${a.expected} alerts, ${a.acked}/${a.published} positions acked, ${a.duplicates} repeated; p50 ${a.latencyMs.p50} p99 ${a.latencyMs.p99} ms`);
    results.targets.push(safetyTarget(a));
  }
  if (only.has('memory')) {
    log('\nidle connections, soak and reconnect storm (one node)');
    results.idleMemory = await runIdleMemory(infra, { ...settings.idleMemory, log });
    results.targets.push(memoryTarget(results.idleMemory), ...stormTargets(results.idleMemory));
    log('\nthe same without the launch flags (V8 sizes the young generation itself)');
    results.idleMemoryWithoutFlags = await runIdleMemory(infra, { ...settings.idleMemory, storms: [], nodeFlags: [], log });
  }
} finally {
  await infra.stop();
}
results.durationSeconds = Math.round((performance.now() - started) / 1000);
await mkdir(values.out, { recursive: true });
const markdown = renderMarkdown(results);
await writeFile(`${values.out}/latest.json`, JSON.stringify(results, null, 2) + '\n');
await writeFile(`${values.out}/latest.md`, markdown);
log(`\n${markdown}`);
log(`bench: done in ${results.durationSeconds} s; wrote ${values.out}latest.json and latest.md`);
clearTimeout(watchdog);
