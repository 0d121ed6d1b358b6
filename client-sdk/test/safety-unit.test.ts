/**
 * The SDK's safety helpers against the scripted FakeServer, where the test decides what the
 * server sends and when: alert events out of order and repeated (as after a node crash), the
 * publisher re-timing on a new interval, the heartbeat's beat and coalescing. Manual timers.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AlertView } from '../../src/protocol/index.ts';
import { type AlertChange, DeviceReporter, LocationPublisher, type Position } from '../src/index.ts';
import { nextEvent, stateIs } from './support/events.ts';
import { FakeServer } from './support/fake-server.ts';
import { ManualTimers } from './support/manual-timers.ts';
import { closeAll, testClient } from './support/sdk.ts';

const server$ = { userId: 'server', role: 'server', sessionId: 'server:n1' };
const alert = (over: Partial<AlertView> = {}): AlertView => ({
  alertId: 'a1',
  patientId: 'pat',
  reason: 'zone_exit',
  state: 'open',
  raisedAt: 1_000,
  zone: { zoneId: 'home', name: 'Home' },
  position: null,
  level: 0,
  nextEscalationAt: 301_000,
  acknowledgedBy: null,
  acknowledgedAt: null,
  callId: null,
  ...over,
});
const device = { battery: 80, charging: false, locationPermission: 'always' as const, locationServices: true, foreground: true };
const fix = (timestamp: number): Position => ({ lat: 37.5, lng: 127, accuracy: 8, timestamp });

describe('safety helpers, scripted', () => {
  let server: FakeServer;
  let timers: ManualTimers;
  beforeEach(async () => {
    server = await FakeServer.start();
    timers = new ManualTimers();
  });
  afterEach(async () => {
    closeAll();
    await server.close();
  });

  it('applies an alert event only if it is newer: acknowledged beats open, then the higher level; repeats are dropped', async () => {
    const client = testClient({ url: server.url, timers });
    const conn = await server.nextConnection();
    const changes: AlertChange[] = [];
    const watching = client.watchAlerts('pat', (c) => changes.push(c));
    const sub = await conn.next('subscribe');
    conn.ack(sub.id, { channel: 'alerts:pat', open: [alert()] });
    const watch = await watching;
    expect(watch.open).toEqual([alert()]);
    const acked = alert({ state: 'acknowledged', level: 1, acknowledgedBy: { userId: 'dan', role: 'caregiver', sessionId: 'd' }, acknowledgedAt: 9_000, nextEscalationAt: null });
    let seq = 0;
    const deliver = (event: 'raised' | 'escalated' | 'acknowledged', view: AlertView) => conn.send({ type: 'alert', seq: ++seq, channel: 'alerts:pat', from: server$, ts: 1, event, alert: view });
    deliver('acknowledged', acked); // overtook the escalation
    deliver('escalated', alert({ level: 1 }));
    deliver('raised', alert()); // announced again by another node
    deliver('raised', alert({ alertId: 'a2', raisedAt: 2_000, reason: 'dwell', zone: null }));
    await new Promise<void>((resolve) => client.on('alert', (a) => a.alert.alertId === 'a2' && resolve()));
    expect(changes.map((c) => `${c.event}:${c.alert?.alertId ?? '-'}:${c.open.map((a) => a.alertId).join(',')}`)).toEqual(['snapshot:-:a1', 'acknowledged:a1:', 'raised:a2:a2']);
    expect(watch.open.map((a) => a.reason)).toEqual(['dwell']);
  });

  it('publishes at the interval the server asks for, restarting the interval under way', async () => {
    const client = testClient({ url: server.url, timers });
    const conn = await server.nextConnection();
    await stateIs(client, 'open');
    const told: number[] = [];
    const publisher = new LocationPublisher(client, { intervalMs: 60_000, timers, onInterval: (ms) => told.push(ms) });
    publisher.update(fix(1));
    conn.ack((await conn.next('location')).id);
    publisher.update(fix(2)); // waits for the minute
    conn.send({ type: 'report', seq: 1, channel: 'user:u1', from: server$, ts: 1, report: { intervalMs: 5_000, reason: 'zone_exit' } });
    await new Promise<void>((resolve) => client.on('report', () => resolve()));
    expect(told).toEqual([5_000]);
    timers.advance(5_000);
    expect((await conn.next('location')).position.timestamp).toBe(2);
    publisher.stop();
  });

  it('beats every heartbeatMs the server gives, coalesces changes, and starts again after a reconnect', async () => {
    const client = testClient({ url: server.url, timers });
    let conn = await server.nextConnection();
    await stateIs(client, 'open');
    let reads = 0;
    const answered: number[] = [];
    let onAnswer = (): void => {};
    const reporter = new DeviceReporter(client, {
      read: () => ({ ...device, battery: 80 - reads++ }),
      timers,
      onAnswer: (a) => {
        answered.push(a.heartbeatMs);
        onAnswer();
      },
    });
    const answer = (id: string, battery: number) =>
      new Promise<void>((resolve) => {
        onAnswer = resolve;
        conn.ack(id, { health: { status: 'live', reason: 'reporting', since: 1, lastSeenAt: 1, lastFixAt: 1, battery, device }, report: { intervalMs: 60_000, reason: 'normal' }, heartbeatMs: 30_000 });
      });
    const first = await conn.next('device');
    reporter.changed(); // while the first is on its way: one more after it, not two
    reporter.changed();
    await answer(first.id, 80);
    const second = await conn.next('device');
    expect(second.device.battery).toBe(79);
    await answer(second.id, 79);
    await Promise.resolve();
    expect(timers.delays).toContain(30_000);
    timers.advance(30_000);
    const third = await conn.next('device');
    expect(third.device.battery).toBe(78);
    // a new connection while the third waits for its answer: the client sends it again, and the
    // reporter's own heartbeat for the new connection follows it (coalesced, not dropped)
    const away = nextEvent(client, 'state', (st) => st.state === 'reconnecting');
    conn.close(1012);
    await away;
    timers.runNext(); // the reconnect attempt
    conn = await server.nextConnection();
    const resent = await conn.next('device');
    expect(resent).toEqual(third);
    await answer(resent.id, 78);
    expect((await conn.next('device')).device.battery).toBe(77);
    expect(answered).toEqual([30_000, 30_000, 30_000]);
    reporter.stop();
  });
});
