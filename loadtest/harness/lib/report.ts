/** Renders one run's results (loadtest/results/latest.json) as the markdown tables of latest.md. */
import type { CallSetupResult } from '../scenarios/call-setup.ts';
import type { IdleMemoryResult } from '../scenarios/idle-memory.ts';
import type { FanoutResult } from '../scenarios/location-fanout.ts';
import type { SafetyAlertsResult } from '../scenarios/safety-alerts.ts';
import type { SubscribeAckResult } from '../scenarios/subscribe-ack.ts';
import type { TopologyResult } from '../scenarios/topologies.ts';
import type { Machine } from './machine.ts';
import type { LadderResult, StepResult } from './open-loop.ts';
import type { LatencySummary } from './stats.ts';
import type { RelayResults, Target } from './targets.ts';

export interface BenchResults {
  startedAt: string;
  durationSeconds: number;
  machine: Machine;
  /** the server code measured */
  source: { commit: string; srcModified: boolean };
  /** share of the machine used by processes not started by the bench, before it began */
  foreignCpuAtStart: number;
  settings: Record<string, unknown>;
  relay?: RelayResults;
  subscribeAck?: SubscribeAckResult[];
  topologies?: TopologyResult[];
  callSetup?: CallSetupResult;
  locationFanout?: FanoutResult;
    safetyAlerts?: SafetyAlertsResult;
  idleMemory?: IdleMemoryResult;
  /** the idle scenario again, the node run without the launch flags (NODE_FLAGS) */
  idleMemoryWithoutFlags?: IdleMemoryResult;
  targets: Target[];
}

const table = (head: string[], rows: Array<Array<string | number>>): string =>
  [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');

const lat = (l: LatencySummary): string => `${l.p50} / ${l.p99} / ${l.p999}`;

function cell(step: StepResult | undefined): string {
  if (!step) return '-';
  const mark = step.sustained ? '' : ' ✗';
  return `${step.throughput}/s, ${lat(step.latencyMs)}${step.lost ? `, ${step.lost} lost` : ''}${mark}`;
}

/** Cores used by the systems under test (everything but the load generator) per message, µs. */
function serverMicros(step: StepResult): { total: number; parts: string } {
  const parts = Object.entries(step.cpu.cores).filter(([name, cores]) => name !== 'load generator' && name !== 'other' && cores >= 0.05);
  const micros = (cores: number): number => Math.round((cores * 1e6) / step.throughput);
  return {
    total: micros(parts.reduce((sum, [, cores]) => sum + cores, 0)),
    parts: parts.map(([name, cores]) => `${name} ${micros(cores)}`).join(', '),
  };
}

function cpuSection(relay: RelayResults): string {
  const systems: Array<[string, LadderResult]> = [
    ['Tether', relay.tether],
    ['Socket.IO + redis-adapter', relay.socketio],
    ['amqplib ceiling', relay.amqp],
    ['ws echo ceiling', relay.wsEcho],
  ];
  const rate = Math.min(...systems.map(([, r]) => r.maxSustained).filter((x) => x > 0)) || relay.tether.steps[0]!.offered;
  const rows = systems.map(([name, r]) => {
    const step = r.steps.find((s) => s.offered === rate);
    if (!step) return [name, '-', '-'];
    const m = serverMicros(step);
    return [name, `${m.total} µs`, m.parts];
  });
  const firstMiss = relay.tether.steps.find((st) => !st.sustained);
  const waits = (st: StepResult): string =>
    Object.entries(st.cpu.waitMsPerSecond ?? {})
      .filter(([, v]) => v >= 1)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
  const contention = firstMiss
    ? `At Tether's first rate not sustained, ${firstMiss.offered}/s, the machine was ${Math.round(firstMiss.cpu.busy * 100)}% busy ` +
      `(${Math.round(firstMiss.cpu.foreign * 100)}% by other processes) and threads stood in line for a CPU (ms per second, summed over threads): ${waits(firstMiss) || 'n/a'}.`
    : '';
  return [
    `### CPU per relayed message at ${rate}/s (the highest rate every system sustained)`,
    '',
    'CPU time of the processes under test (servers, broker, Redis; not the load generator) per delivered message, ' +
      'from /proc over the step. Steadier from run to run than the highest sustained rate, which on 2 shared cores ' +
      'turns on whether one stall lands in a 4 s window.',
    '',
    table(['system', 'CPU per message', 'by process (µs)'], rows),
    '',
    contention,
  ].join('\n');
}

function relaySection(relay: RelayResults, bytes: unknown): string {
  const systems: Array<[string, LadderResult]> = [
    ['Tether (2 nodes, RabbitMQ)', relay.tether],
    ['Socket.IO + redis-adapter (2 servers)', relay.socketio],
    ['amqplib ceiling', relay.amqp],
    ['ws echo ceiling (1 node)', relay.wsEcho],
  ];
  const rates = [...new Set(systems.flatMap(([, r]) => r.steps.map((s) => s.offered)))].sort((a, b) => a - b);
  const rows = rates.map((rate) => [`${rate}/s`, ...systems.map(([, r]) => cell(r.steps.find((s) => s.offered === rate)))]);
  rows.push(['**max sustained**', ...systems.map(([, r]) => `**${r.maxSustained}/s**`)]);
  return [
    `## Cross-node relay, open loop (${String(bytes)}-byte message)`,
    '',
    'Each cell: delivered/s, latency p50 / p99 / p99.9 in ms from scheduled send to delivery. ✗: not sustained ' +
      '(a message lost or refused, or p99 >= 50 ms); a system leaves the ladder after two in a row. ' +
      'At each rate the systems ran one after the other, so a burst of load from elsewhere hits them alike.',
    '',
    table(['offered', ...systems.map(([name]) => name)], rows),
  ].join('\n');
}

export function renderMarkdown(r: BenchResults): string {
  const m = r.machine;
  const parts = [
    '# Tether benchmark: latest run',
    '',
    `Generated by \`npm run bench\` on ${r.startedAt} in ${Math.round(r.durationSeconds)} s, ` +
      `server code at commit ${r.source.commit}${r.source.srcModified ? ' with uncommitted changes in src/' : ''}. ` +
      `${m.cpus} × ${m.cpuModel}, ${m.memoryGiB} GiB, Linux ${m.kernel}; load generator, nodes, RabbitMQ and Redis all on this machine. ` +
      `Foreign CPU load before the run: ${Math.round(r.foreignCpuAtStart * 100)}% of the machine.`,
    '',
    `Versions: ${Object.entries(m.versions).map(([k, v]) => `${k} ${v}`).join(', ')}.`,
    '',
    '## Targets',
    '',
    table(
      ['target', 'goal', 'measured', 'ratio', 'verdict'],
      r.targets.map((t) => [t.name, t.goal, t.measured, t.ratio ?? '-', t.pass === null ? 'not measured' : t.pass ? 'met' : '**missed**']),
    ),
  ];
  if (r.relay) parts.push('', relaySection(r.relay, r.settings.messageBytes), '', cpuSection(r.relay));
  if (r.subscribeAck) {
    parts.push(
      '',
      '## Subscribe-to-ack and connect-to-welcome (ms, p50 / p99 / p99.9)',
      '',
      table(
        ['topology', 'subscribe location:<id>', 'subscribe room:<id>', 'connect to welcome'],
        r.subscribeAck.map((s) => [s.topology, lat(s.locationMs), lat(s.roomMs), lat(s.welcomeMs)]),
      ),
    );
  }
  if (r.topologies) {
    const nodes = [...new Set(r.topologies.map((t) => t.nodes))];
    const of = (n: number, topology: string): TopologyResult | undefined => r.topologies!.find((t) => t.nodes === n && t.topology === topology);
    const fmt = (t: TopologyResult | undefined): string[] =>
      t
        ? [`${t.maxSustained}/s`, `${t.deliveriesPerMessage} (nodes: ${t.handledPerMessage})`, `${t.streamDeliveriesPerMessage} (${t.streamNodes} subscribed)`]
        : ['-', '-', '-'];
    parts.push(
      '',
      '## routed vs fanout',
      '',
      'Max sustained direct-signal relay rate; broker deliveries per published message (RabbitMQ\'s own counters: ' +
        'messages delivered from queues / messages published) for direct signals (1 node has the subscriber), with the ' +
        'nodes\' view in brackets (`tether_bus_delivered_total` / `tether_bus_published_total`, which leaves out messages ' +
        'a fanout node drops for want of a local subscriber), and for a location stream watched from k nodes.',
      '',
      table(
        ['nodes', 'routed rate', 'routed deliveries/msg', 'routed, stream', 'fanout rate', 'fanout deliveries/msg', 'fanout, stream'],
        nodes.map((n) => [n, ...fmt(of(n, 'routed')), ...fmt(of(n, 'fanout'))]),
      ),
    );
  }
  if (r.callSetup || r.locationFanout) parts.push('', '## Scenarios (as the k6 scripts run them)', '');
  if (r.callSetup) {
    const c = r.callSetup;
    parts.push(
      `**Call setup**: ${c.pairs} pairs on different nodes of 3, ${c.calls} calls started at ${c.callsPerSecond}/s ` +
        `(${c.lateStarts} started late): ${c.completed} completed, ${c.lost} messages lost, ${c.errors} errors.`,
      '',
      table(
        ['ms', 'invite to accept', 'offer to answer', 'ICE round trip', 'invite to last ICE'],
        [['p50 / p99 / p99.9', lat(c.inviteToAcceptMs), lat(c.offerToAnswerMs), lat(c.iceRttMs), lat(c.setupMs)]],
      ),
      '',
    );
  }
  if (r.locationFanout) {
    const f = r.locationFanout;
    parts.push(
      `**Location fan-out**: ${f.patients} patients at ${1000 / f.periodMs} Hz, ${f.watchers} watchers each on other nodes (3 nodes): ` +
        `${f.published} positions, ${f.delivered}/${f.expected} deliveries, ${f.lost} lost, ${f.duplicates} duplicated, ${f.errors} errors; ` +
        `latency p50 / p99 / p99.9 ${lat(f.latencyMs)} ms.`,
      '',
    );
  }
  if (r.safetyAlerts) {
    const a = r.safetyAlerts;
    parts.push(
      '',
      '## Safety: position in to alert delivered',
      '',
      `${a.patients} patients at ${1000 / a.periodMs} Hz walking out of and back into a zone, their caregivers on other nodes (3 nodes, ` +
        `RabbitMQ, Redis, PostgreSQL): ${a.published} positions (${a.acked} acked), ${a.delivered}/${a.expected} alerts, ` +
        `${a.duplicates} repeated, ${a.errors} errors; from the scheduled send of the position that confirmed the exit to the alert ` +
        `at the caregiver, p50 / p99 / p99.9 ${lat(a.latencyMs)} ms (max ${a.latencyMs.max}).`,
      '',
    );
  }
  if (r.idleMemory) parts.push(...idleMemorySection('## Idle connections on one node', r.idleMemory));
  if (r.idleMemoryWithoutFlags) {
    const flags = Array.isArray(r.settings.nodeFlags) ? r.settings.nodeFlags.join(' ') : '';
    const title = `### The same, the node run without its launch flags \`${flags}\` (V8 sizes the young generation)`;
    parts.push('', ...idleMemorySection(title, r.idleMemoryWithoutFlags));
  }
  return parts.join('\n') + '\n';
}

function idleMemorySection(title: string, i: IdleMemoryResult): string[] {
  return [
    title,
    '',
    `At rest: RSS ${(i.atRest.rssBytes / 1e6).toFixed(1)} MB, heap ${(i.atRest.heapBytes / 1e6).toFixed(1)} MB. Heartbeat every ${i.heartbeatMs} ms. ` +
      'Per connection: (now - at rest) / connections; marginal: growth since the previous row / connections added.',
    '',
    table(
      ['connections', 'RSS', 'RSS per connection', 'marginal RSS per connection', 'heap per connection', 'open fds', 'ramp', 'connect to welcome p50 / p99 / p99.9', 'failed'],
      i.levels.map((l) => [
        l.connections,
        `${(l.rssBytes / 1e6).toFixed(1)} MB`,
        `${l.rssPerConnectionKB} KB`,
        `${l.rssMarginalKB} KB`,
        `${l.heapPerConnectionKB} KB`,
        l.openFds,
        `${l.rampPerSecond}/s`,
        `${lat(l.welcomeMs)} ms`,
        l.failed,
      ]),
    ),
    '',
    `Soak: ${i.soak.seconds} s at ${i.soak.open} connections: ${i.soak.dropped} dropped by the server, RSS drift ${i.soak.rssDriftKB} KB.`,
    '',
    'Reconnect storms, one after the other: connections cut without a close frame and reconnected at once, each resuming its session.',
    '',
    table(
      ['connections', 'welcomed again', 'resumed', 'failed', 'all welcomed in', 'connect to welcome p50 / p99 / p99.9', 'cores used (node / RabbitMQ / Redis / clients)'],
      (i.storms ?? []).map((s) => [
        s.count,
        s.ok,
        s.resumed,
        s.failed,
        `${s.seconds} s`,
        `${lat(s.welcomeMs)} ms`,
        [s.cores['tether nodes'], s.cores.rabbitmq, s.cores.redis, s.cores['load clients']].map((c) => (c ?? 0).toFixed(2)).join(' / '),
      ]),
    ),
  ];
}
