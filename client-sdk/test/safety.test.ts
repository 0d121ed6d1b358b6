/**
 * The SDK's safety helpers against real Tether nodes (three in one process, memory backends,
 * short safety thresholds): zones, an alert watch that a second caregiver's acknowledgement
 * clears, a patient's DeviceReporter and LocationPublisher following the interval the server
 * asks for, and the watch re-syncing after a reconnect.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DevTokenRequest } from '../../src/auth/dev-tokens.ts';
import { type Cluster, startCluster } from '../../test/support/cluster.ts';
import { HOME, SAFETY_TEST_CONFIG, Walker } from '../../test/support/safety.ts';
import { type AlertChange, DeviceReporter, LocationPublisher, RequestError, type TetherClient } from '../src/index.ts';
import { nextEvent } from './support/events.ts';
import { ManualTimers } from './support/manual-timers.ts';
import { closeAll, testClient } from './support/sdk.ts';

const device = { battery: 80, charging: false, locationPermission: 'always' as const, locationServices: true, foreground: true };

describe('the SDK safety helpers against three nodes', () => {
  let cluster: Cluster;
  let run: string;
  beforeEach(async () => {
    cluster = await startCluster(3, { config: SAFETY_TEST_CONFIG });
    run = Math.random().toString(36).slice(2, 8);
  });
  afterEach(async () => {
    closeAll();
    await cluster.stop();
  });

  function client(node: number, who: DevTokenRequest): TetherClient {
    return testClient({ url: cluster.url(node), getToken: () => cluster.token(who) });
  }

  /** Collects a watch's changes; `next(match)` resolves on the next matching one. */
  function changes() {
    const seen: AlertChange[] = [];
    const waiters: Array<{ match: (c: AlertChange) => boolean; resolve: (c: AlertChange) => void }> = [];
    return {
      seen,
      listener: (c: AlertChange) => {
        seen.push(c);
        const i = waiters.findIndex((w) => w.match(c));
        if (i >= 0) waiters.splice(i, 1)[0]!.resolve(c);
      },
      next: (match: (c: AlertChange) => boolean) =>
        new Promise<AlertChange>((resolve) => {
          const found = seen.find(match);
          if (found) resolve(found);
          else waiters.push({ match, resolve });
        }),
    };
  }

  it('manages zones, watches alerts, and sees another caregiver acknowledge', async () => {
    const pat = `pat-${run}`;
    const carol = client(1, { sub: `carol-${run}`, role: 'caregiver', patients: [pat] });
    const dan = client(2, { sub: `dan-${run}`, role: 'caregiver', patients: [pat] });
    const created = await carol.putZone(pat, { name: 'Home', shape: HOME.shape });
    expect(created).toMatchObject({ zoneId: expect.any(String), version: 1, alertOn: ['exit'], schedule: null });
    const edited = await carol.putZone(pat, { ...created, name: 'Home (flat)' }, { ifVersion: 1 });
    expect(edited.version).toBe(2);
    await expect(dan.putZone(pat, { ...created, name: 'stale' }, { ifVersion: 1 })).rejects.toMatchObject({ code: 'ZONE_CONFLICT' });
    expect((await dan.zones(pat)).map((z) => z.name)).toEqual(['Home (flat)']);

    const atCarol = changes();
    const atDan = changes();
    const watch = await carol.watchAlerts(pat, atCarol.listener);
    await dan.watchAlerts(pat, atDan.listener);
    expect(atCarol.seen[0]).toEqual({ event: 'snapshot', alert: null, open: [] });

    const patient = client(0, { sub: pat, role: 'patient' });
    const walker = new Walker();
    for (let i = 0; i < 3; i++) await patient.publishLocation(walker.at(0));
    for (let i = 0; i < 3; i++) await patient.publishLocation(walker.at(400));
    const raised = await atCarol.next((c) => c.event === 'raised');
    expect(raised.open.map((a) => a.reason)).toEqual(['zone_exit']);
    await atDan.next((c) => c.event === 'raised');

    const acked = await dan.acknowledgeAlert(pat, raised.alert!.alertId);
    expect(acked.acknowledgedBy?.userId).toBe(`dan-${run}`);
    const cleared = await atCarol.next((c) => c.event === 'acknowledged');
    expect(cleared.open).toEqual([]);
    expect(watch.open).toEqual([]);
    // a later ack by carol tells her who was first
    expect((await carol.acknowledgeAlert(pat, raised.alert!.alertId)).acknowledgedBy?.userId).toBe(`dan-${run}`);
    await expect(carol.acknowledgeAlert(pat, 'nope')).rejects.toBeInstanceOf(RequestError);
    await expect.poll(async () => (await carol.alertHistory(pat)).map((a) => `${a.reason}:${a.state}`)).toEqual(['zone_exit:acknowledged']);
    await carol.deleteZone(pat, created.zoneId);
    expect(await carol.zones(pat)).toEqual([]);
    await watch.stop();
  });

  it('reports device health, and the publisher follows the interval the server asks for', async () => {
    const pat = `pat-${run}`;
    const carol = client(1, { sub: `carol-${run}`, role: 'caregiver', patients: [pat] });
    await carol.putZone(pat, { zoneId: 'home', name: 'Home', shape: HOME.shape });
    const status = nextEvent(carol, 'status', (s) => s.health.status === 'no_fix');
    await carol.subscribe(`location:${pat}`);
    const patient = client(0, { sub: pat, role: 'patient' });
    const intervals: string[] = [];
    const publisher = new LocationPublisher(patient, { intervalMs: 1, onInterval: (ms, reason) => intervals.push(`${reason}:${ms}`) });
    const reporter = new DeviceReporter(patient, { read: () => device, publisher });
    expect((await status).health).toMatchObject({ reason: 'no_fix_yet', device });
    // the first answer sets the normal interval
    await expect.poll(() => intervals).toEqual(['normal:60000']);
    const walker = new Walker();
    for (let i = 0; i < 3; i++) await patient.publishLocation(walker.at(0));
    // watched before the fix goes: the report may come before the fix's own ack
    const faster = nextEvent(patient, 'report', (r) => r.report.reason === 'zone_exit');
    await patient.publishLocation(walker.at(400)); // the first fix outside: report faster
    await faster;
    expect(publisher.interval).toBe(5_000);
    expect(intervals).toEqual(['normal:60000', 'zone_exit:5000']);
    reporter.stop();
    publisher.stop();
  });

  it('re-syncs the open alerts after a reconnect: what was raised meanwhile comes as a snapshot', async () => {
    const pat = `pat-${run}`;
    const timers = new ManualTimers();
    const who = { sub: `carol-${run}`, role: 'caregiver', patients: [pat] };
    const carol = testClient({ url: [cluster.url(1), cluster.url(2)], getToken: () => cluster.token(who), timers, reconnect: { nextDelay: () => 1_000 } });
    const seen = changes();
    await carol.watchAlerts(pat, seen.listener);
    const away = nextEvent(carol, 'state', (s) => s.state === 'reconnecting');
    await cluster.nodes[1]!.shutdown(0);
    await away;
    // raised while carol has no connection: no event reaches her
    await cluster.nodes[0]!.safety.raise({ alertId: `sos-${run}`, kind: 'sos', patientId: pat, from: { userId: pat, role: 'patient', sessionId: 's' }, callId: 'c', caregivers: [], ts: Date.now() });
    timers.advance(1_000); // the reconnect, to node 2
    const back = await seen.next((c) => c.event === 'snapshot' && c.open.length === 1);
    expect(back.open[0]).toMatchObject({ alertId: `sos-${run}`, reason: 'sos' });
    expect(seen.seen.filter((c) => c.event === 'raised')).toEqual([]);
  });
});
