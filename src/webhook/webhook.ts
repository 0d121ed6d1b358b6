import type { CallEndReason, CallKind, CallMedia } from '../protocol/index.ts';

/**
 * Events the node tells the operator's own service about by HTTP POST (docs/operations.md,
 * "Webhook"): today, calls a phone must be woken for. Names are `<area>.<what>`; the safety
 * work adds `alert.*` here.
 */
export interface WebhookEvents {
  /** a call rings a user with no live device: send it a VoIP push (PushKit, FCM high priority) */
  'call.invite': CallInviteEvent;
  /** a call nobody answered: show a missed-call notification */
  'call.missed': CallMissedEvent;
  /** a call the push service was asked to ring (`call.invite`) stopped ringing for that callee otherwise: answered, declined elsewhere, cancelled */
  'call.ended': CallEndedEvent;
}
export type WebhookEventType = keyof WebhookEvents;

interface CallEventBase {
  callId: string;
  kind: CallKind;
  media: CallMedia;
  callerId: string;
  callerRole: string;
  /** the user to notify */
  calleeId: string;
}

export interface CallInviteEvent extends CallEventBase {
  /** when the ring ends (server time, ms): a push arriving after it is pointless */
  ringUntil: number;
}

export interface CallMissedEvent extends CallEventBase {
  /** when this callee's ring started and ended, ms */
  startedAt: number;
  endedAt: number;
  /** the call went on to the next caregiver of the circle */
  escalated: boolean;
}

export interface CallEndedEvent extends CallEventBase {
  reason: CallEndReason | 'answered' | 'escalated';
  endedAt: number;
}

/**
 * Sends events to the operator's endpoint. Contract:
 * - `send` never blocks and never throws: the event is queued (a bounded queue) and delivered in
 *   the background; when the queue is full the event is dropped and counted.
 * - Each event is one POST of `{ id, type, ts, data }`, signed (signature.ts). A 2xx answer
 *   delivers it; a network error, a timeout, 408, 429 or 5xx is retried with full-jitter
 *   backoff up to a bounded number of attempts (same `id` each time, so the receiver can drop
 *   repeats); any other answer is final.
 * - Nothing is persisted: events queued or being retried on a node that stops are lost.
 * - Secrets (the signing secret, credentials in the URL) are never logged.
 */
export interface Webhook {
  /** false when events go nowhere (no WEBHOOK_URL): nobody can be woken */
  readonly enabled: boolean;
  send<K extends WebhookEventType>(type: K, data: WebhookEvents[K]): void;
  /** stops: what is queued is dropped (and logged as a count) */
  close(): Promise<void>;
}

/** The webhook when none is configured: events go nowhere. */
export class NoWebhook implements Webhook {
  readonly enabled = false;
  send(): void {}
  async close(): Promise<void> {}
}
