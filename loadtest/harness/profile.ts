/**
 * `scripts/node24 loadtest/harness/profile.ts [--rate 1500] [--seconds 10] [--system tether|socketio]
 *   [--experiment coalesce] [--no-prof] [--node-options '--trace-gc']`
 *
 * Runs the cross-node relay (scenarios/relay.ts, or the Socket.IO baseline) at one offered rate
 * with `--cpu-prof` on every server process, stops them cleanly so the profiles are written, and
 * prints where each process spent its CPU (self time by module and by function), with the cores
 * each kind of process used. Writes loadtest/results/profile.md. Loopback only, bounded in time.
 * `--experiment coalesce` preloads experiments/coalesce-writes.ts into the nodes (what batching
 * socket writes per tick would save); `--no-prof` leaves the profiler off, for clean CPU figures;
 * `--node-options` adds Node flags to the server processes' NODE_OPTIONS (Tether nodes also get the
 * launch flags, NODE_FLAGS in scripts/local-cluster.ts, which win over NODE_OPTIONS).
 */
import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { summarizeProfile } from './lib/cpuprofile.ts';
import { forkServer, startCluster, startInfra } from './lib/infra.ts';
import { Recorder, runStep } from './lib/open-loop.ts';
import { tetherRelayTarget } from './scenarios/relay.ts';
import { socketIoRelayTarget } from './scenarios/socketio-relay.ts';

const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '1500' },
    seconds: { type: 'string', default: '10' },
    pairs: { type: 'string', default: '50' },
    system: { type: 'string', default: 'tether' },
    experiment: { type: 'string' },
    'no-prof': { type: 'boolean', default: false },
    'node-options': { type: 'string', default: '' },
    out: { type: 'string', default: new URL('../results/profile.md', import.meta.url).pathname },
  },
});
const rate = Number(values.rate);
const pairs = Number(values.pairs);
const dir = await mkdtemp(join(tmpdir(), 'tether-prof-'));
const nodeOptions = values['no-prof'] ? [] : [`--cpu-prof`, `--cpu-prof-dir=${dir}`];
if (values.experiment === 'coalesce') nodeOptions.push(`--import=${new URL('./experiments/coalesce-writes.ts', import.meta.url).pathname}`);
else if (values.experiment) throw new Error(`unknown experiment ${values.experiment}`);
if (values['node-options']) nodeOptions.push(values['node-options']);
const env = { NODE_OPTIONS: nodeOptions.join(' ') };
const infra = await startInfra();
const probe = new Recorder();
let stopServers: () => Promise<void>;
let target;
if (values.system === 'socketio') {
  const servers = await Promise.all([0, 1].map(() => forkServer('socketio-server.ts', { ...env, REDIS_URL: infra.redisUrl })));
  stopServers = async () => void (await Promise.all(servers.map((s) => s.stop())));
  target = await socketIoRelayTarget(servers.map((s) => s.port), pairs, probe);
} else {
  const cluster = await startCluster(infra, 2, 'routed', env);
  stopServers = () => cluster.stop();
  target = await tetherRelayTarget(cluster, pairs, probe);
}
await runStep(target, probe, rate, { durationMs: 2_000, drainMs: 2_000 }); // warm-up
const redis = new Redis(infra.redisUrl);
const before = await redisCalls(redis);
const step = await runStep(target, probe, rate, { durationMs: Number(values.seconds) * 1000, drainMs: 3_000 });
const after = await redisCalls(redis);
redis.disconnect();
const delivered = step.throughput * Number(values.seconds);
const perMessage = [...after]
  .map(([cmd, n]) => [cmd, (n.calls - (before.get(cmd)?.calls ?? 0)) / delivered, (n.usec - (before.get(cmd)?.usec ?? 0)) / delivered] as const)
  .filter(([, r]) => r >= 0.01);
await target.close();
await stopServers();
await infra.stop();

const lines = [
  `# CPU profile: ${values.system} relay at ${rate}/s offered, ${values.seconds} s, ${pairs} pairs` +
    (values.experiment ? `, experiment ${values.experiment}` : ''),
  '',
  `Delivered ${step.throughput}/s, p50 ${step.latencyMs.p50} ms, p99 ${step.latencyMs.p99} ms, lost ${step.lost}. ` +
    `Machine ${Math.round(step.cpu.busy * 100)}% busy (foreign ${Math.round(step.cpu.foreign * 100)}%); cores used: ` +
    Object.entries(step.cpu.cores).map(([k, v]) => `${k} ${v}`).join(', ') + '.',
  `Redis commands per delivered message (calls, µs of Redis time; a script's own time includes its commands'): ` +
    `${perMessage.map(([c, r, us]) => `${c} ${r.toFixed(3)} (${us.toFixed(1)} µs)`).join(', ') || 'none'}.`,
];
for (const file of (await readdir(dir)).filter((f) => f.endsWith('.cpuprofile')).sort()) {
  const s = await summarizeProfile(join(dir, file));
  lines.push('', `## ${file} (${s.busyMs} ms busy, whole process life)`, '');
  lines.push('| charged to (natives and node internals go to their caller) | % |', '| --- | --- |');
  lines.push(...s.byCaller.map((m) => `| ${m.name} | ${m.share} |`));
  lines.push('', '| module (self time) | % |', '| --- | --- |', ...s.byModule.map((m) => `| ${m.name} | ${m.share} |`));
  lines.push('', '| function | self % |', '| --- | --- |', ...s.byFunction.map((f) => `| \`${f.name}\` | ${f.share} |`));
}
await writeFile(values.out, lines.join('\n') + '\n');
console.log(lines.join('\n'));
console.log(`\nprofiles kept in ${dir}; summary in ${values.out}`);

/** Calls and µs per Redis command so far (INFO commandstats), counting the step's commands as a difference. */
async function redisCalls(client: Redis): Promise<Map<string, { calls: number; usec: number }>> {
  const info = await client.info('commandstats');
  return new Map([...info.matchAll(/^cmdstat_(\w+(?:\|\w+)?):calls=(\d+),usec=(\d+)/gm)].map((m) => [m[1]!, { calls: Number(m[2]), usec: Number(m[3]) }]));
}
