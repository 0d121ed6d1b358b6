/**
 * Alerts reach the operator's webhook (signed, checked by the example receiver in
 * deploy/examples) and are re-sent and escalated while nobody acknowledges them. Two in-process
 * nodes sharing memory backends, each with its own webhook to the same receiver; waits on
 * deliveries and received events.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type TetherEvent, startWebhookReceiver } from '../../deploy/examples/webhook-receiver.ts';
import { HttpWebhook } from '../../src/webhook/http-webhook.ts';
import { type Cluster, startCluster } from '../support/cluster.ts';
import { HOME, SAFETY_TEST_CONFIG, Walker } from '../support/safety.ts';

const SECRET = 'whsec-safety-0123456789abcdef';

/** Webhook events as received; `next(type)` resolves on the next of that type. */
class Inbox {
  readonly events: TetherEvent[] = [];
  private waiters: Array<{ type: string; resolve: (e: TetherEvent) => void }> = [];
  take(event: TetherEvent): void {
    this.events.push(event);
    const i = this.waiters.findIndex((w) => w.type === event.type);
    if (i >= 0) this.waiters.splice(i, 1)[0]!.resolve(event);
  }
  next(type: string): Promise<TetherEvent> {
    const seen = this.events.filter((e) => e.type === type);
    const consumed = this.consumed.get(type) ?? 0;
    if (seen.length > consumed) {
      this.consumed.set(type, consumed + 1);
      return Promise.resolve(seen[consumed]!);
    }
    return new Promise((resolve) =>
      this.waiters.push({
        type,
        resolve: (e) => {
          this.consumed.set(type, (this.consumed.get(type) ?? 0) + 1);
          resolve(e);
        },
      }),
    );
  }
  private readonly consumed = new Map<string, number>();
}

describe('alerts on the webhook, re-sent and escalated until acknowledged', () => {
  let cluster: Cluster | undefined;
  let receiver: { url: string; close(): Promise<void> } | undefined;
  afterEach(async () => {
    await cluster?.stop();
    await receiver?.close();
  });

  it('posts alert.raised, alert.escalated (each escalateMs, up to the max) and alert.acknowledged; watchers see the escalations', async () => {
    const inbox = new Inbox();
    receiver = await startWebhookReceiver({ port: 0, secret: SECRET, onEvent: (e) => inbox.take(e) });
    const url = receiver.url;
    cluster = await startCluster(2, {
      config: { ...SAFETY_TEST_CONFIG, SAFETY_ESCALATE_MS: 300, SAFETY_ESCALATE_MAX: 2 },
      makeWebhook: () => new HttpWebhook({ url, secret: SECRET }),
    });
    const carol = await cluster.connect(1, { sub: 'carol', role: 'caregiver', patients: ['pat'] });
    await carol.ok({ type: 'subscribe', channel: 'alerts:pat' });
    await carol.ok({ type: 'zone_put', patientId: 'pat', zone: HOME });
    const patient = await cluster.connect(0, { sub: 'pat', role: 'patient' });
    const walker = new Walker();
    for (let i = 0; i < 3; i++) await patient.ok({ type: 'location', position: walker.at(0) });
    for (let i = 0; i < 3; i++) await patient.ok({ type: 'location', position: walker.at(400) });

    const raised = await inbox.next('alert.raised');
    expect(raised.data).toEqual({
      alertId: expect.any(String),
      patientId: 'pat',
      reason: 'zone_exit',
      raisedAt: expect.any(Number),
      zone: { zoneId: 'home', name: 'Home' },
      callId: null,
      caregivers: null,
    });
    expect(JSON.stringify(raised)).not.toContain('"lat"'); // no position leaves through the webhook
    const first = await carol.next('alert', (a) => a.event === 'escalated');
    const second = await carol.next('alert', (a) => a.event === 'escalated');
    expect([first.alert.level, second.alert.level]).toEqual([1, 2]);
    expect(second.alert.nextEscalationAt).toBeNull();
    expect(second.alert.raisedAt).toBe(raised.data.raisedAt);
    expect((await inbox.next('alert.escalated')).data).toMatchObject({ alertId: raised.data.alertId, level: 1 });
    expect((await inbox.next('alert.escalated')).data).toMatchObject({ alertId: raised.data.alertId, level: 2 });

    await carol.ok({ type: 'alert_ack', patientId: 'pat', alertId: String(raised.data.alertId) });
    expect((await inbox.next('alert.acknowledged')).data).toMatchObject({ alertId: raised.data.alertId, acknowledgedBy: 'carol', acknowledgedAt: expect.any(Number) });
    await carol.next('alert', (a) => a.event === 'acknowledged');
    const events = carol.received.flatMap((f) => (f.type === 'alert' ? [`${f.event}:${f.alert.level}`] : []));
    expect(events).toEqual(['raised:0', 'escalated:1', 'escalated:2', 'acknowledged:2']);
  });

  it('posts an SOS with its care circle', async () => {
    const inbox = new Inbox();
    receiver = await startWebhookReceiver({ port: 0, secret: SECRET, onEvent: (e) => inbox.take(e) });
    const url = receiver.url;
    cluster = await startCluster(1, { config: SAFETY_TEST_CONFIG, makeWebhook: () => new HttpWebhook({ url, secret: SECRET }) });
    await cluster.nodes[0]!.safety.raise({ alertId: 'sos-1', kind: 'sos', patientId: 'pat', from: { userId: 'pat', role: 'patient', sessionId: 's' }, callId: 'call-1', caregivers: ['carol', 'dan'], ts: 1_790_000_000_000 });
    expect((await inbox.next('alert.raised')).data).toMatchObject({ alertId: 'sos-1', reason: 'sos', callId: 'call-1', caregivers: ['carol', 'dan'], raisedAt: 1_790_000_000_000 });
  });
});
