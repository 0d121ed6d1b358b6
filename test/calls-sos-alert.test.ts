/**
 * An SOS is one alert, whatever happens to its first raise: the safety store fails the commit of
 * the SOS alert (a Redis blip just after the call was made), and the alert is raised when the SOS
 * call escalates to the next caregiver, once, on alerts:<patient>, open until acknowledged. Three
 * in-process nodes sharing memory backends; the failure is forced with the Interceptor.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { CallResult } from '../src/protocol/index.ts';
import { MemorySafetyData, MemorySafetyStore } from '../src/store/memory-safety.ts';
import { BusError } from '../src/bus/bus.ts';
import { StoreError } from '../src/store/store.ts';
import { type Cluster, startCluster } from './support/cluster.ts';
import { Interceptor } from './support/interceptor.ts';

describe('an SOS whose first alert raise failed', () => {
  let cluster: Cluster | undefined;
  afterEach(() => cluster?.stop());

  it('is raised when the call escalates, once, and stays open until acknowledged', async () => {
    const run = randomUUID().slice(0, 6);
    const [pat, carol, dave] = ['pat', 'carol', 'dave'].map((n) => `${n}-${run}`) as [string, string, string];
    const interceptor = new Interceptor();
    const shared = new MemorySafetyData();
    cluster = await startCluster(3, {
      config: { CALL_ESCALATION_STEP_MS: 300, CALL_RING_TIMEOUT_MS: 400, CALL_SWEEP_MS: 100, SAFETY_TICK_MS: 50 },
      makeSafetyStore: (i) => (i === 0 ? interceptor.wrap(new MemorySafetyStore(shared), 'safety') : new MemorySafetyStore(shared)),
    });
    const patient = await cluster.connect(0, { sub: pat, role: 'patient', contacts: [carol, dave] });
    const atCarol = await cluster.connect(1, { sub: carol, role: 'caregiver', patients: [pat] });
    const atDave = await cluster.connect(2, { sub: dave, role: 'caregiver', patients: [pat] });
    for (const c of [atCarol, atDave]) await c.ok({ type: 'subscribe', channel: `alerts:${pat}` });
    interceptor.fail('safety.commit:before', new StoreError('safety store unavailable (test)'), (args) => args[0] === pat);

    const sos = (await patient.ok({ type: 'sos' })) as CallResult;
    expect(sos).toMatchObject({ state: 'ringing', to: carol, alertId: expect.any(String) });
    // carol does not answer: the call moves on to dave, and the alert comes with it
    expect(await atDave.next('call', (f) => f.callId === sos.callId && f.event === 'invite')).toMatchObject({ callee: dave });
    const raised = await atCarol.next('alert');
    expect(raised).toMatchObject({ event: 'raised', alert: { alertId: sos.alertId, reason: 'sos', state: 'open', callId: sos.callId, patientId: pat } });
    expect(interceptor.calls('safety.commit:before')).toBeGreaterThanOrEqual(2);

    await atDave.ok({ type: 'alert_ack', patientId: pat, alertId: sos.alertId! });
    await atCarol.next('alert', (a) => a.event === 'acknowledged');
    // the call ends missed after dave's step, raising again: still the one alert, acknowledged
    await patient.next('call', (f) => f.callId === sos.callId && f.event === 'ended');
    const trail = async () => ((await atCarol.ok({ type: 'alerts', patientId: pat })) as { alerts: Array<{ alertId: string; state: string }> }).alerts;
    await expect.poll(trail).toEqual([expect.objectContaining({ alertId: sos.alertId, state: 'acknowledged' })]);
    expect(atCarol.received.filter((f) => f.type === 'alert' && f.event === 'raised')).toHaveLength(1);
  });

  it('is raised at once when the bus refuses the invite (BUS_UNAVAILABLE): the call still rings, and a retry keeps the one alert', async () => {
    const run = randomUUID().slice(0, 6);
    const [pat, carol, dave] = ['pat', 'carol', 'dave'].map((n) => `${n}-${run}`) as [string, string, string];
    const interceptor = new Interceptor();
    // a long step: nothing escalates (and raises again) while the test runs
    cluster = await startCluster(3, { config: { CALL_ESCALATION_STEP_MS: 60_000, SAFETY_TICK_MS: 50 }, intercept: (i) => (i === 0 ? interceptor : undefined) });
    const patient = await cluster.connect(0, { sub: pat, role: 'patient', contacts: [carol, dave] });
    const atCarol = await cluster.connect(1, { sub: carol, role: 'caregiver', patients: [pat] });
    await atCarol.ok({ type: 'subscribe', channel: `alerts:${pat}` });
    interceptor.fail('bus.publish:before', new BusError('UNAVAILABLE', 'broker connection lost (test)'), (args) => args[0] === `user:${carol}`);

    const refused = await patient.request({ type: 'sos', callId: `sos-${run}` });
    expect(refused).toMatchObject({ type: 'error', code: 'BUS_UNAVAILABLE' });
    const raised = await atCarol.next('alert', (a) => a.event === 'raised');
    expect(raised).toMatchObject({ alert: { reason: 'sos', state: 'open', callId: `sos-${run}`, patientId: pat } });
    // the patient's retry (same callId) rings again and names the same alert
    const retried = (await patient.ok({ type: 'sos', callId: `sos-${run}` })) as CallResult;
    expect(retried).toMatchObject({ state: 'ringing', to: carol, alertId: raised.alert.alertId });
    await atCarol.next('call', (f) => f.callId === `sos-${run}` && f.event === 'invite');
    const open = ((await atCarol.ok({ type: 'alerts', patientId: pat })) as { alerts: Array<{ alertId: string }> }).alerts;
    expect(open.map((a) => a.alertId)).toEqual([raised.alert.alertId]);
    expect(atCarol.received.filter((f) => f.type === 'alert' && f.event === 'raised')).toHaveLength(1);
  });
});
