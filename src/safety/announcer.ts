import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Logger } from 'pino';
import type { Relay } from '../core/relay.ts';
import {
  type AlertEvent,
  AlertView,
  ReportRequest,
  type Sender,
  TrackingHealth,
  alertsChannel,
  locationChannel,
  userChannel,
} from '../protocol/index.ts';
import type { Records } from '../records/records.ts';
import type { Webhook } from '../webhook/webhook.ts';
import type { Effect } from './evaluate.ts';
import type { OutboxItem } from './safety-store.ts';

/** What the safety work reports (prom-client in src/observability). */
export interface SafetyMetrics {
  alertRaised(reason: string): void;
  openAlerts(count: number): void;
  /** a commit lost its compare-and-set to another node and was evaluated again */
  conflict(): void;
  /** an announcement made by a node other than the one that committed it (that one died or failed) */
  redelivered(): void;
}

/**
 * An announcement waiting in the outbox: `deliver` publishes the effect to the clients (and, for
 * alerts, the webhook); `record` writes an alert event to the audit trail. Split so that a
 * database outage repeats only the write, never the delivery.
 */
const Item = z.object({
  patientId: z.string(),
  part: z.enum(['deliver', 'record']),
  /** server time of the change */
  at: z.number(),
  effect: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('alert'), event: z.enum(['raised', 'escalated', 'acknowledged']), alert: AlertView, circle: z.array(z.string()).optional() }),
    z.object({ kind: z.literal('status'), health: TrackingHealth }),
    z.object({ kind: z.literal('report'), report: ReportRequest }),
  ]),
});
type Item = z.infer<typeof Item>;

/** Items older than this are dropped (logged): a database down for a day loses audit writes, not memory. */
const MAX_ITEM_AGE_MS = 24 * 3_600_000;

/** The outbox items for a change's effects. */
export function outboxItems(patientId: string, effects: readonly Effect[], at: number): OutboxItem[] {
  const items: OutboxItem[] = [];
  for (const effect of effects) {
    items.push({ id: randomUUID(), body: JSON.stringify({ patientId, part: 'deliver', at, effect }) });
    if (effect.kind === 'alert') items.push({ id: randomUUID(), body: JSON.stringify({ patientId, part: 'record', at, effect }) });
  }
  return items;
}

export interface AnnouncerDeps {
  relay: Relay;
  records: Records;
  webhook: Webhook;
  /** the `from` of every safety delivery */
  sender: Sender;
  logger: Logger;
  metrics: SafetyMetrics;
  now: () => number;
}

/**
 * Makes outbox items happen. Returns the ids done (or dropped as unreadable or too old); the
 * others stay in the outbox for the next claim. Never throws.
 */
export class Announcer {
  private readonly d: AnnouncerDeps;

  constructor(deps: AnnouncerDeps) {
    this.d = deps;
  }

  async announce(items: readonly OutboxItem[], redelivery: boolean): Promise<string[]> {
    const done = await Promise.all(
      items.map(async ({ id, body }) => {
        const parsed = Item.safeParse(safeJson(body));
        if (!parsed.success) {
          this.d.logger.error({ item: id }, 'unreadable safety announcement dropped');
          return id;
        }
        if (this.d.now() - parsed.data.at > MAX_ITEM_AGE_MS) {
          this.d.logger.error({ item: id, part: parsed.data.part, kind: parsed.data.effect.kind }, 'safety announcement dropped after a day of failures');
          return id;
        }
        try {
          await this.run(parsed.data);
          if (redelivery) this.d.metrics.redelivered();
          return id;
        } catch (error) {
          this.d.logger.warn({ err: error, item: id, part: parsed.data.part, kind: parsed.data.effect.kind }, 'safety announcement failed; retried later');
          return null;
        }
      }),
    );
    return done.filter((id): id is string => id !== null);
  }

  private async run({ patientId, part, at, effect }: Item): Promise<void> {
    const from = this.d.sender;
    if (part === 'record') {
      if (effect.kind === 'alert') await this.d.records.alerts.recordAlerts([{ event: effect.event, at, alert: effect.alert }]);
      return;
    }
    switch (effect.kind) {
      case 'alert': {
        const channel = alertsChannel(patientId);
        await this.d.relay.publish(channel, { delivery: { type: 'alert', channel, from, ts: at, event: effect.event, alert: effect.alert } }, { mandatory: false });
        if (effect.event === 'raised') this.d.metrics.alertRaised(effect.alert.reason);
        this.webhook(effect.event, effect.alert, effect.circle);
        return;
      }
      case 'status': {
        const channel = locationChannel(patientId);
        await this.d.relay.publish(channel, { delivery: { type: 'status', channel, from, ts: at, patientId, health: effect.health } }, { mandatory: false });
        return;
      }
      case 'report': {
        const channel = userChannel(patientId);
        await this.d.relay.publish(channel, { delivery: { type: 'report', channel, from, ts: at, report: effect.report } }, { mandatory: false });
        return;
      }
    }
  }

  private webhook(event: AlertEvent, alert: AlertView, circle?: readonly string[]): void {
    const base = {
      alertId: alert.alertId,
      patientId: alert.patientId,
      reason: alert.reason,
      raisedAt: alert.raisedAt,
      zone: alert.zone,
      callId: alert.callId,
      caregivers: circle ? [...circle] : null,
    };
    if (event === 'raised') this.d.webhook.send('alert.raised', base);
    else if (event === 'escalated') this.d.webhook.send('alert.escalated', { ...base, level: alert.level });
    else this.d.webhook.send('alert.acknowledged', { ...base, acknowledgedBy: alert.acknowledgedBy!.userId, acknowledgedAt: alert.acknowledgedAt! });
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
