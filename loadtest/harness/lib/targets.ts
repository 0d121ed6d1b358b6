/**
 * The targets, each computed from one run's raw figures as a ratio with a verdict.
 * "Sustained" is defined in lib/open-loop.ts (nothing lost or failed, p99 < 50 ms).
 */
import type { IdleMemoryResult } from '../scenarios/idle-memory.ts';
import type { SafetyAlertsResult } from '../scenarios/safety-alerts.ts';
import type { TopologyResult } from '../scenarios/topologies.ts';
import { type LadderResult, type StepResult, stepAt } from './open-loop.ts';
import { round } from './stats.ts';

export interface Target {
  name: string;
  goal: string;
  measured: string;
  /** the figure compared with the goal; null when it could not be measured */
  ratio: number | null;
  pass: boolean | null;
}

export interface RelayResults {
  tether: LadderResult;
  socketio: LadderResult;
  amqp: LadderResult;
  wsEcho: LadderResult;
}

export function relayTargets(relay: RelayResults): Target[] {
  const { tether, socketio, amqp } = relay;
  const rateRatio = socketio.maxSustained > 0 ? round(tether.maxSustained / socketio.maxSustained) : null;
  // the same offered load: the highest rate both sustained (or the first step if either sustained none)
  const common = Math.min(tether.maxSustained, socketio.maxSustained) || tether.steps[0]!.offered;
  const t = stepAt(tether, common);
  const s = stepAt(socketio, common);
  const p99Ratio = t && s && s.latencyMs.p99 > 0 ? round(t.latencyMs.p99 / s.latencyMs.p99) : null;
  const amqpRatio = amqp.maxSustained > 0 ? round(tether.maxSustained / amqp.maxSustained) : null;
  const [tCpu, sCpu] = [t && serverMicros(t), s && serverMicros(s)];
  const cpuRatio = tCpu && sCpu ? round(tCpu / sCpu) : null;
  return [
    {
      name: `relay CPU per message (servers, broker, Redis) vs Socket.IO at ${common}/s offered`,
      goal: '<= 1.0x',
      measured: `Tether ${tCpu ?? '-'} µs vs Socket.IO ${sCpu ?? '-'} µs`,
      ratio: cpuRatio,
      pass: cpuRatio === null ? null : cpuRatio <= 1,
    },
    {
      name: 'relay rate vs Socket.IO + redis-adapter',
      goal: '>= 1.5x (aim 2x)',
      measured: `Tether ${tether.maxSustained}/s vs Socket.IO ${socketio.maxSustained}/s sustained`,
      ratio: rateRatio,
      pass: rateRatio === null ? null : rateRatio >= 1.5,
    },
    {
      name: `relay p99 vs Socket.IO at ${common}/s offered`,
      goal: '<= 0.5x',
      measured: `Tether p99 ${t?.latencyMs.p99 ?? '-'} ms vs Socket.IO p99 ${s?.latencyMs.p99 ?? '-'} ms`,
      ratio: p99Ratio,
      pass: p99Ratio === null ? null : p99Ratio <= 0.5,
    },
    {
      name: 'relay rate vs raw amqplib publish-to-consume',
      goal: '>= 0.7x',
      measured: `Tether ${tether.maxSustained}/s vs amqplib ${amqp.maxSustained}/s sustained`,
      ratio: amqpRatio,
      pass: amqpRatio === null ? null : amqpRatio >= 0.7,
    },
  ];
}

/** µs of CPU per delivered message used by the processes under test (not the load generator). */
function serverMicros(step: StepResult): number | null {
  const cores = Object.entries(step.cpu.cores).filter(([name]) => name !== 'load generator' && name !== 'other');
  return step.throughput > 0 ? Math.round((cores.reduce((sum, [, c]) => sum + c, 0) * 1e6) / step.throughput) : null;
}

export function memoryTarget(memory: IdleMemoryResult): Target {
  const top = memory.levels.at(-1);
  const kb = top?.rssPerConnectionKB ?? null;
  return {
    name: `RSS per idle connection at ${top?.connections ?? '?'} connections, one node`,
    goal: '<= 9.5 KB (aim 8)',
    measured: top ? `${kb} KB RSS (${top.heapPerConnectionKB} KB heap) per connection` : 'not measured',
    ratio: kb === null ? null : round(kb / 9.5),
    pass: kb === null ? null : kb <= 9.5,
  };
}

/** Seconds a storm of each size may take, on this machine (issue: a session core that keeps the contract). */
const STORM_GOALS: Record<number, number> = { 5_000: 2, 18_000: 6 };

/** Every session of a storm resumed, and all welcomed again within the goal for its size. */
export function stormTargets(memory: IdleMemoryResult): Target[] {
  return memory.storms
    .filter((s) => STORM_GOALS[s.count] !== undefined)
    .map((s) => {
      const goal = STORM_GOALS[s.count]!;
      const complete = s.resumed === s.count && s.failed === 0;
      return {
        name: `reconnect storm: ${s.count} sessions resumed at once, one node`,
        goal: `all resumed, <= ${goal} s`,
        measured: `${s.resumed} of ${s.count} resumed (${s.failed} failed) in ${s.seconds} s`,
        ratio: round(s.seconds / goal),
        pass: complete && s.seconds <= goal,
      };
    });
}

/** Routed must deliver each message to exactly the nodes with subscribers (within 2 %). */
export function topologyTarget(results: TopologyResult[]): Target {
  const routed = results.filter((r) => r.topology === 'routed');
  const ok = (got: number, want: number): boolean => Math.abs(got - want) <= 0.02 * want;
  const pass = routed.length > 0 && routed.every((r) => ok(r.deliveriesPerMessage, 1) && ok(r.streamDeliveriesPerMessage, r.streamNodes));
  const worst = Math.max(...routed.map((r) => Math.max(r.deliveriesPerMessage / 1, r.streamDeliveriesPerMessage / r.streamNodes)));
  return {
    name: 'routed: broker deliveries per message = nodes with subscribers',
    goal: '= 1.0x at 1, 2, 3, 5 nodes',
    measured: routed
      .map((r) => `${r.nodes} node${r.nodes > 1 ? 's' : ''}: ${r.deliveriesPerMessage} (1 subscribed), ${r.streamDeliveriesPerMessage} (${r.streamNodes} subscribed)`)
      .join('; '),
    ratio: routed.length ? round(worst) : null,
    pass: routed.length ? pass : null,
  };
}

/** Every exit walked raised one alert at its caregiver, and quickly (the scenario throws when the load did not happen). */
export function safetyTarget(a: SafetyAlertsResult): Target {
  const complete = a.lost === 0 && a.errors === 0 && a.acked === a.published;
  return {
    name: `position in to alert delivered, ${a.patients} patients at ${Math.round(1000 / a.periodMs)} Hz, 3 nodes`,
    goal: 'every exit alerted once; p99 < 250 ms',
    measured: `${a.delivered} of ${a.expected} alerts (${a.duplicates} repeated), p50 ${a.latencyMs.p50} ms, p99 ${a.latencyMs.p99} ms`,
    ratio: round(a.latencyMs.p99 / 250),
    pass: complete && a.latencyMs.p99 < 250,
  };
}
