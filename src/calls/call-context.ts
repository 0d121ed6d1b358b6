import type { Logger } from 'pino';
import type { Relay } from '../core/relay.ts';
import type { Records } from '../records/records.ts';
import type { Store } from '../store/store.ts';
import type { Webhook } from '../webhook/webhook.ts';
import type { AlertSink } from './alert-sink.ts';
import type { CallStore } from './call-store.ts';
import type { CareCircle } from './care-circle.ts';
import type { HistoryWriter } from './history-writer.ts';
import type { TurnIssuer } from './turn.ts';

/** Call timings and bounds, from config (docs/operations.md, "Calls"). */
export interface CallLimits {
  /** ms a direct call rings before it is missed */
  ringMs: number;
  /** ms each caregiver of a circle call or SOS rings before the next one does */
  escalationStepMs: number;
  /** ms an accepted call may last before the server ends it as expired */
  maxDurationMs: number;
  /** ms an ended call is remembered, so late requests get CALL_ENDED */
  keepEndedMs: number;
  /** ms between this node's checks for rings that timed out anywhere (a dead node's calls) */
  sweepMs: number;
  /** ms call history is kept */
  historyRetentionMs: number;
  /** ms a call event may wait in the bus before it is dropped */
  eventTtlMs: number;
}

/** What the call service reports; implemented with prom-client in src/observability. */
export interface CallMetrics {
  callStarted(kind: string): void;
  callEnded(reason: string): void;
  callEscalated(): void;
}

/** Everything the call service needs from one node, assembled in src/node.ts. */
export interface CallContext {
  calls: CallStore;
  relay: Relay;
  /** the core's Store: presence, to tell a callee's live devices */
  store: Store;
  records: Records;
  history: HistoryWriter;
  webhook: Webhook;
  alerts: AlertSink;
  circle: CareCircle;
  /** null when no TURN server is configured */
  turn: TurnIssuer | null;
  limits: CallLimits;
  metrics: CallMetrics;
  logger: Logger;
  now: () => number;
}
