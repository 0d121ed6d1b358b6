/**
 * `scripts/node24 loadtest/harness/compare.ts [--base <checkout>] [--socketio] [--rates 6000]
 *   [--rounds 3] [--seconds 4] [--pairs 50] [--burst 1] [--base-env NAME=value ...] [--env NAME=value ...]`
 *
 * Before and after, side by side: the cross-node relay (scenarios/relay.ts) of this checkout and
 * of another one (`--base`, for example `git archive <commit> | tar -x -C /tmp/base` with a
 * `node_modules` link), each a 2-node routed cluster on one shared private RabbitMQ and Redis.
 * At each rate the two run one step after the other, `--rounds` times, alternating which goes
 * first, so foreign load on this shared machine lands on both alike. Prints, per system and
 * rate, the median over rounds of CPU per delivered message by process (nodes, RabbitMQ, Redis)
 * and the latency. `--burst n` sends n consecutive messages on one lane back to back (a burst of
 * trickled ICE to one peer) instead of spreading them over the lanes. `--base` may be this
 * checkout, to compare settings (`--base-env`). `--socketio` adds Socket.IO + redis-adapter as a
 * side (servers/socketio-server.ts, as `npm run bench` runs it), for ratios against it taken in
 * the same alternating steps when foreign load makes the bench's ladder useless. This is how each lever in docs/benchmarks.md
 * ("Changes") was measured; the targets themselves are `npm run bench`'s. Loopback only, bounded.
 */
import { realpathSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { type Infra, startCluster, startInfra } from './lib/infra.ts';
import { type OpenLoopTarget, Recorder, type StepResult, runStep } from './lib/open-loop.ts';
import { tetherRelayTarget } from './scenarios/relay.ts';
import { startSocketIoRelay } from './scenarios/socketio-relay.ts';

const { values } = parseArgs({
  options: {
    base: { type: 'string' },
    rates: { type: 'string', default: '6000' },
    rounds: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '4' },
    pairs: { type: 'string', default: '50' },
    burst: { type: 'string', default: '1' },
    socketio: { type: 'boolean', default: false },
    env: { type: 'string', multiple: true, default: [] },
    'base-env': { type: 'string', multiple: true, default: [] },
  },
});
if (!values.base && !values.socketio) throw new Error('--base <checkout of the revision to compare with>, or --socketio, is required');
const ownRoot = new URL('../../', import.meta.url).pathname;
const baseRoot = values.base ? realpathSync(values.base).replace(/\/?$/, '/') : undefined;
const rates = values.rates.split(',').map(Number);
const rounds = Number(values.rounds);
const pairs = Number(values.pairs);
const durationMs = Number(values.seconds) * 1000;
const burst = Math.max(1, Number(values.burst));
const envOf = (list: string[]): Record<string, string> => Object.fromEntries(list.map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));

interface Side {
  name: string;
  /** the CPU role of its nodes (lib/cpu.ts) */
  nodes: string;
  probe: Recorder;
  target: OpenLoopTarget;
  stop(): Promise<void>;
  steps: Map<number, StepResult[]>;
}

async function side(infra: Infra, name: string, root: string | undefined, env: Record<string, string>): Promise<Side> {
  const cluster = await startCluster(infra, 2, 'routed', env, undefined, { root, label: `side=${name}` });
  const probe = new Recorder();
  const target = bursts(await tetherRelayTarget(cluster, pairs, probe));
  return {
    name,
    nodes: `tether nodes (${name})`,
    probe,
    target,
    steps: new Map(),
    stop: async () => {
      await target.close();
      await cluster.stop();
    },
  };
}

/** every `burst` consecutive messages on one lane */
function bursts(spread: OpenLoopTarget): OpenLoopTarget {
  let sent = 0;
  return burst === 1 ? spread : { ...spread, send: (_lane: number, seq: number) => spread.send(Math.floor(sent++ / burst) % pairs, seq) };
}

async function socketIoSide(infra: Infra): Promise<Side> {
  const running = await startSocketIoRelay(infra, pairs);
  return { name: 'socket.io', nodes: 'socket.io servers', probe: running.probe, target: bursts(running.target), steps: new Map(), stop: () => running.stop() };
}

const infra = await startInfra();
const sides: Side[] = [];
try {
  if (baseRoot) sides.push(await side(infra, 'base', baseRoot === ownRoot ? undefined : baseRoot, envOf(values['base-env'])));
  sides.push(await side(infra, 'this', undefined, envOf(values.env)));
  if (values.socketio) sides.push(await socketIoSide(infra));
  for (const s of sides) await runStep(s.target, s.probe, rates[0]!, { durationMs: 2_000, drainMs: 2_000 }); // warm-up
  for (const rate of rates) {
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? sides : [...sides].reverse();
      for (const s of order) {
        await runStep(s.target, s.probe, rate, { durationMs: 1_000, drainMs: 1_000 });
        const step = await runStep(s.target, s.probe, rate, { durationMs, drainMs: 3_000 });
        const list = s.steps.get(rate) ?? [];
        list.push(step);
        s.steps.set(rate, list);
        console.log(`${s.name.padEnd(9)} ${rate}/s round ${round + 1}: ${line(s, step)}`);
        await new Promise((r) => setTimeout(r, 300)); // let queues and GC settle between steps
      }
    }
  }
} finally {
  for (const s of sides) await s.stop().catch(() => {});
  await infra.stop();
}

console.log('\nmedians over rounds (µs of CPU per delivered message; latency in ms from scheduled send)');
console.log('| system | offered | delivered/s | nodes | rabbitmq | redis | total | p50 | p99 | lost | foreign |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
for (const rate of rates) {
  for (const s of sides) {
    const steps = s.steps.get(rate) ?? [];
    const per = (role: string): number => median(steps.map((st) => (st.cpu.cores[role] ?? 0) * 1e6 / Math.max(1, st.throughput)));
    const nodes = per(s.nodes);
    const rabbit = per('rabbitmq');
    const redis = per('redis');
    console.log(
      `| ${s.name} | ${rate}/s | ${median(steps.map((st) => st.throughput))} | ${nodes.toFixed(0)} | ${rabbit.toFixed(0)} | ${redis.toFixed(0)} | ` +
        `${(nodes + rabbit + redis).toFixed(0)} | ${median(steps.map((st) => st.latencyMs.p50))} | ${median(steps.map((st) => st.latencyMs.p99))} | ` +
        `${steps.reduce((a, st) => a + st.lost, 0)} | ${Math.round(median(steps.map((st) => st.cpu.foreign)) * 100)}% |`,
    );
  }
}

function line(s: Side, step: StepResult): string {
  const c = step.cpu.cores;
  const us = (v: number | undefined): string => (((v ?? 0) * 1e6) / Math.max(1, step.throughput)).toFixed(0);
  return (
    `${step.throughput}/s p50 ${step.latencyMs.p50} p99 ${step.latencyMs.p99} lost ${step.lost}` +
    `${Object.keys(step.failures).length ? ` failed ${JSON.stringify(step.failures)}` : ''}; ` +
    `µs/msg nodes ${us(c[s.nodes])} rabbitmq ${us(c.rabbitmq)} redis ${us(c.redis)}; foreign ${Math.round(step.cpu.foreign * 100)}%`
  );
}

function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
