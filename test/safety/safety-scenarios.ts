/**
 * The safety scenarios across three nodes, written once and run on the in-process memory
 * backends (safety-memory.test.ts) and on real RabbitMQ, Redis and PostgreSQL
 * (safety-cluster.test.ts). The patient is on node 0, caregivers on nodes 1 and 2; every wait is
 * on a frame, never a sleep. Exactly-once checks count every `alert` frame a client received up to
 * a later frame that proves the earlier ones would have arrived (per-channel order from one node).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AlertDelivery } from '../../src/protocol/index.ts';
import { type Cluster, type ClusterOptions, startCluster } from '../support/cluster.ts';
import type { TestClient } from '../support/client.ts';
import { HOME, SAFETY_TEST_CONFIG, Walker } from '../support/safety.ts';

export function describeSafetyScenarios(label: string, options: () => ClusterOptions): void {
  describe(`safety across three nodes (${label})`, () => {
    let cluster: Cluster;
    let run: string;
    beforeEach(async () => {
      const given = options();
      cluster = await startCluster(3, { ...given, config: { ...SAFETY_TEST_CONFIG, ...given.config } });
      run = Math.random().toString(36).slice(2, 8);
    });
    afterEach(() => cluster.stop());

    const alertsOf = (client: TestClient) => client.received.filter((f): f is AlertDelivery => f.type === 'alert');

    async function setUp() {
      const pat = `pat-${run}`;
      const carolId = { sub: `carol-${run}`, role: 'caregiver', patients: [pat] };
      const danId = { sub: `dan-${run}`, role: 'caregiver', patients: [pat] };
      const patient = await cluster.connect(0, { sub: pat, role: 'patient' });
      const carol = await cluster.connect(1, carolId);
      const dan = await cluster.connect(2, danId);
      for (const c of [carol, dan]) expect(await c.ok({ type: 'subscribe', channel: `alerts:${pat}` })).toEqual({ channel: `alerts:${pat}`, open: [] });
      await carol.ok({ type: 'zone_put', patientId: pat, zone: HOME });
      // the other caregiver sees the zone appear
      expect(await dan.next('zone')).toMatchObject({ event: 'put', patientId: pat, zone: { zoneId: 'home', version: 1, updatedBy: `carol-${run}` } });
      return { pat, patient, carol, dan, walker: new Walker() };
    }

    it('a position on node 0 raises an alert seen on nodes 1 and 2 exactly once; acknowledging on 1 clears it on 2', async () => {
      const { pat, patient, carol, dan, walker } = await setUp();
      for (let i = 0; i < 3; i++) await patient.ok({ type: 'location', position: walker.at(0) });
      for (let i = 0; i < 6; i++) await patient.ok({ type: 'location', position: walker.at(400) });
      const [atCarol, atDan] = await Promise.all([carol.next('alert'), dan.next('alert')]);
      expect(atCarol).toMatchObject({ channel: `alerts:${pat}`, event: 'raised', from: { role: 'server' }, alert: { reason: 'zone_exit', state: 'open', zone: { zoneId: 'home', name: 'Home' }, patientId: pat } });
      expect(atDan.alert).toEqual(atCarol.alert);
      const { alertId } = atCarol.alert;

      const acked = await carol.ok({ type: 'alert_ack', patientId: pat, alertId });
      expect(acked).toMatchObject({ alert: { alertId, state: 'acknowledged', acknowledgedBy: { userId: `carol-${run}` } } });
      const cleared = await dan.next('alert', (a) => a.event === 'acknowledged');
      expect(cleared.alert).toMatchObject({ alertId, acknowledgedBy: { userId: `carol-${run}`, sessionId: carol.welcome.sessionId }, acknowledgedAt: expect.any(Number) });
      // the acknowledgement came after the raise on the same channel from... any node: count what both saw up to it
      await carol.next('alert', (a) => a.event === 'acknowledged');
      for (const c of [carol, dan]) expect(alertsOf(c).map((a) => `${a.event}:${a.alert.alertId}`)).toEqual([`raised:${alertId}`, `acknowledged:${alertId}`]);
      // a fresh subscriber on node 2 sees no open alert; the audit trail has it, acknowledged
      const late = await cluster.connect(2, { sub: `erin-${run}`, role: 'caregiver', patients: [pat] });
      expect(await late.ok({ type: 'subscribe', channel: `alerts:${pat}` })).toEqual({ channel: `alerts:${pat}`, open: [] });
      // (written just after the announcement, by the node that made it: it may lag by a moment)
      await expect
        .poll(() => late.ok({ type: 'alerts', patientId: pat }))
        .toMatchObject({ patientId: pat, alerts: [{ alertId, state: 'acknowledged', acknowledgedBy: { userId: `carol-${run}` } }] });
      // acknowledging again answers with who did it first
      expect(await dan.ok({ type: 'alert_ack', patientId: pat, alertId })).toMatchObject({ alert: { acknowledgedBy: { userId: `carol-${run}` } } });
    });

    it('raises dwell and silent with no position traffic at all, from whichever node claims the due time', async () => {
      const { pat, patient, carol, walker } = await setUp();
      for (let i = 0; i < 3; i++) await patient.ok({ type: 'location', position: walker.at(0) });
      for (let i = 0; i < 3; i++) await patient.ok({ type: 'location', position: walker.at(400) });
      expect((await carol.next('alert')).alert.reason).toBe('zone_exit');
      // nothing more from the patient: the due times fire on their own
      const dwell = await carol.next('alert', (a) => a.alert.reason === 'dwell');
      expect(dwell.alert).toMatchObject({ patientId: pat, state: 'open', zone: null });
      const silent = await carol.next('alert', (a) => a.alert.reason === 'silent');
      expect(silent.alert.raisedAt - dwell.alert.raisedAt).toBeGreaterThan(0);
      // the location stream shows it too, and a new watcher gets it in the ack
      const watcher = await cluster.connect(2, { sub: `erin-${run}`, role: 'caregiver', patients: [pat] });
      const ack = await watcher.ok({ type: 'subscribe', channel: `location:${pat}` });
      expect(ack).toMatchObject({ health: { status: 'silent', reason: 'not_heard' } });
      expect(await watcher.ok({ type: 'subscribe', channel: `alerts:${pat}` })).toMatchObject({ open: [{ reason: 'zone_exit' }, { reason: 'dwell' }, { reason: 'silent' }] });
    });

    it('tells watchers the tracking status and asks the patient to report faster while an alert is open', async () => {
      const { pat, patient, carol, walker } = await setUp();
      const watch = await carol.ok({ type: 'subscribe', channel: `location:${pat}` });
      expect(watch).toEqual({ channel: `location:${pat}`, last: null });
      const device = { battery: 40, charging: false, locationPermission: 'always' as const, locationServices: true, foreground: true };
      const beat = await patient.ok({ type: 'device', device });
      expect(beat).toMatchObject({ health: { status: 'no_fix', reason: 'no_fix_yet', device }, report: { intervalMs: 60_000, reason: 'normal' }, heartbeatMs: 60_000 });
      expect(await carol.next('status')).toMatchObject({ patientId: pat, health: { status: 'no_fix', reason: 'no_fix_yet' } });
      await patient.ok({ type: 'location', position: walker.at(0, 10, 14) });
      expect(await carol.next('status')).toMatchObject({ health: { status: 'battery_low', battery: 14 } });
      expect((await carol.next('alert')).alert.reason).toBe('battery_low');
      expect(await patient.next('report')).toMatchObject({ channel: `user:${pat}`, report: { intervalMs: 5_000, reason: 'alert_open' } });
      const [open] = (await carol.ok({ type: 'subscribe', channel: `alerts:${pat}` }) as { open: Array<{ alertId: string }> }).open;
      await carol.ok({ type: 'alert_ack', patientId: pat, alertId: open!.alertId });
      expect(await patient.next('report')).toMatchObject({ report: { intervalMs: 60_000, reason: 'normal' } });
      // during a call (the calls work's hook)
      await cluster.nodes[2]!.safety.reportFastDuringCall(pat, 'call-1', Date.now() + 60_000);
      expect(await patient.next('report')).toMatchObject({ report: { reason: 'call' } });
      await cluster.nodes[1]!.safety.reportFastDuringCall(pat, 'call-1', null);
      expect(await patient.next('report')).toMatchObject({ report: { reason: 'normal' } });
    });

    it('turns an SOS into an alert that stays open until acknowledged', async () => {
      const { pat, carol, dan } = await setUp();
      const sos = { alertId: `sos-${run}`, kind: 'sos' as const, patientId: pat, from: { userId: pat, role: 'patient', sessionId: 's' }, callId: `call-${run}`, caregivers: [`carol-${run}`, `dan-${run}`], ts: Date.now() };
      await cluster.nodes[0]!.safety.raise(sos);
      await cluster.nodes[1]!.safety.raise(sos); // the calls work retrying: still one alert
      expect((await dan.next('alert')).alert).toMatchObject({ alertId: sos.alertId, reason: 'sos', callId: sos.callId, state: 'open' });
      await carol.ok({ type: 'alert_ack', patientId: pat, alertId: sos.alertId });
      await dan.next('alert', (a) => a.event === 'acknowledged');
      expect(alertsOf(dan).map((a) => a.event)).toEqual(['raised', 'acknowledged']);
    });
  });
}
