/**
 * loadtest/k6/location-fanout.ts run for real (test/support/k6.ts) against three node processes
 * on the suite's RabbitMQ and Redis. It passes only when every position due was published and
 * reached every watcher, each watcher on another node than its patient; it fails when a node is
 * down, when a node dies during the run, when positions are lost, when a VU dies, and when
 * nothing was recorded at all.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalCluster } from '../scripts/local-cluster.ts';
import { startFakeTether } from './support/fake-tether.ts';
import { checkResult, count, runK6, startK6Cluster } from './support/k6.ts';
import { httpBase, metricValue, untilMetric } from './support/node-metrics.ts';

const SCRIPT = 'loadtest/k6/location-fanout.ts';
/** 5 positions per patient (every 200 ms for 1 s) */
const ROUNDS = 5;
const BRIEF = { PERIOD_MS: '200', DURATION: '1', HEAD_START: '1', TIMEOUT_MS: '1000' };
/** for the run that must pass: time to subscribe, 5 s for a frame, and a latency limit no loaded machine misses (npm run bench judges speed) */
const UNHURRIED = { HEAD_START: '2', TIMEOUT_MS: '5000', LATENCY_P99_MS: '10000' };

describe('k6 location-fanout.ts', () => {
  let cluster: LocalCluster;
  let dead: string;
  /** location frames each node has sent to watchers so far */
  const locationsOut = (): Promise<number[]> =>
    Promise.all(cluster.nodeUrls.map((u) => metricValue(httpBase(u), 'tether_frames_out_total', 'type="location"')));

  beforeAll(async () => {
    ({ cluster, dead } = await startK6Cluster());
  }, 60_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  it('delivers every position to every watcher, each watcher on another node than its patient', async () => {
    const before = await locationsOut();
    // WATCHERS >= nodes: patient p sits on node p, its watchers on nodes p+1, p+2, p+1 (mod 3)
    const run = await runK6(SCRIPT, { ...BRIEF, ...UNHURRIED, PATIENTS: '2', WATCHERS: '3', NODE_URLS: cluster.nodeUrls.join(',') });
    expect(run.code, run.output).toBe(0);
    expect(count(run, 'location_published')).toBe(2 * ROUNDS);
    expect(count(run, 'location_received')).toBe(2 * 3 * ROUNDS);
    expect(count(run, 'location_lost') + count(run, 'location_out_of_order') + count(run, 'location_errors')).toBe(0);
    const after = await locationsOut();
    // node 0: a watcher of patient 1; node 1: two of patient 0; node 2: one of patient 0, two of patient 1
    expect(after.map((n, i) => n - before[i]!)).toEqual([1 * ROUNDS, 2 * ROUNDS, 3 * ROUNDS]);
    expect(run.failed).toEqual([]);
  });

  it('fails when nothing listens at its node URL: no position sent, no sample recorded', async () => {
    const run = await runK6(SCRIPT, { ...BRIEF, PATIENTS: '2', WATCHERS: '2', NODE_URLS: dead, TOKEN_URL: `${httpBase(cluster.nodeUrls[0]!)}/dev/token` });
    expect(run.code, run.output).toBe(99);
    expect(count(run, 'location_published')).toBe(0);
    expect(count(run, 'location_received')).toBe(0);
    expect(count(run, 'location_lost')).toBe(2 * 2 * ROUNDS);
    expect(run.summary.metrics.location_latency?.['p(95)']).toBe(0);
    expect(run.failed).toEqual(expect.arrayContaining(['location_published', 'location_received', 'location_lost', 'connect_failures']));
  });

  it('fails when one of its two node URLs has nothing listening', async () => {
    // patient 0 on node 0 with its watchers on the dead URL; patient 1 on the dead URL
    const run = await runK6(SCRIPT, { ...BRIEF, PATIENTS: '2', WATCHERS: '2', NODE_URLS: `${cluster.nodeUrls[0]},${dead}` });
    expect(run.code, run.output).toBe(99);
    expect(count(run, 'location_published')).toBe(ROUNDS);
    expect(count(run, 'location_received')).toBe(0);
    expect(checkResult(run, 'watcher connected')).toMatchObject({ passes: 2, fails: 2 });
    expect(run.failed).toEqual(expect.arrayContaining(['location_published', 'location_received', 'location_lost']));
  });

  it('fails when positions are lost (a fake node drops every 6th position it relays)', async () => {
    const fake = await startFakeTether((frame, n) => (frame.type === 'location' && n % 6 === 0 ? 'drop' : 'send'));
    try {
      const run = await runK6(SCRIPT, { ...BRIEF, PATIENTS: '2', WATCHERS: '2', NODE_URLS: fake.url });
      expect(run.code, run.output).toBe(99);
      expect(count(run, 'location_published')).toBe(2 * ROUNDS);
      expect(count(run, 'location_lost')).toBe(fake.dropped.get('location'));
      expect(count(run, 'location_received')).toBe(2 * 2 * ROUNDS - fake.dropped.get('location')!);
      expect(run.failed).toEqual(expect.arrayContaining(['location_received', 'location_lost']));
    } finally {
      await fake.close();
    }
  });

  it('aborts when a VU dies (a fake node sends a frame that is not JSON)', async () => {
    const fake = await startFakeTether((frame, n) => (frame.type === 'location' && n === 3 ? 'garbage' : 'send'));
    try {
      const run = await runK6(SCRIPT, { ...BRIEF, PATIENTS: '2', WATCHERS: '2', NODE_URLS: fake.url });
      expect(run.code, run.output).toBe(108);
      expect(run.output).toContain('the server sent a frame that is not JSON');
    } finally {
      await fake.close();
    }
  });

  // last: the killed node stays down
  it('fails when a node is killed during the run', async () => {
    // node 1 serves watchers of patients 0 and 2 (and patient 1): kill it once positions flow
    const node1 = httpBase(cluster.nodeUrls[1]!);
    const before = await metricValue(node1, 'tether_frames_out_total', 'type="location"');
    const running = runK6(SCRIPT, { ...BRIEF, DURATION: '2', PATIENTS: '3', WATCHERS: '2', NODE_URLS: cluster.nodeUrls.join(',') });
    await untilMetric(node1, 'tether_frames_out_total', 'type="location"', before + 3);
    await cluster.kill(1);
    const run = await running;
    expect(run.code, run.output).toBe(99);
    expect(count(run, 'connections_lost')).toBe(3);
    expect(count(run, 'location_lost')).toBeGreaterThan(0);
    expect(count(run, 'location_received')).toBeLessThan(3 * 2 * 2 * ROUNDS);
    expect(run.failed).toEqual(expect.arrayContaining(['location_received', 'location_lost', 'connections_lost']));
  });
});
