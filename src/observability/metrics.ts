import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { CallMetrics } from '../calls/call-context.ts';
import type { CoreMetrics } from '../core/context.ts';
import type { WebhookMetrics } from '../webhook/http-webhook.ts';
import type { ErrorCode } from '../protocol/index.ts';

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/**
 * One node's Prometheus metrics, in a registry of its own so several nodes can live in one
 * process (tests). Names are prefixed `tether_`.
 */
export class NodeMetrics implements CoreMetrics, CallMetrics, WebhookMetrics {
  readonly registry = new Registry();
  readonly connections = new Gauge({ name: 'tether_connections', help: 'open WebSocket connections', registers: [this.registry] });
  readonly framesIn = new Counter({ name: 'tether_frames_in_total', help: 'frames received, by type', labelNames: ['type'], registers: [this.registry] });
  readonly framesOut = new Counter({ name: 'tether_frames_out_total', help: 'frames sent, by type', labelNames: ['type'], registers: [this.registry] });
  readonly errors = new Counter({ name: 'tether_errors_total', help: 'error frames sent, by code', labelNames: ['code'], registers: [this.registry] });
  readonly closes = new Counter({ name: 'tether_closes_total', help: 'connections closed by the server, by close code', labelNames: ['code'], registers: [this.registry] });
  readonly upgradesRejected = new Counter({ name: 'tether_upgrades_rejected_total', help: 'WebSocket upgrades refused, by HTTP status', labelNames: ['status'], registers: [this.registry] });
  readonly relay = new Histogram({ name: 'tether_relay_latency_seconds', help: 'sender node accepted to receiver node sent, by message type', labelNames: ['type'], buckets: LATENCY_BUCKETS, registers: [this.registry] });
  readonly subscribeAckSeconds = new Histogram({ name: 'tether_subscribe_ack_seconds', help: 'subscribe received to ack sent, by channel kind', labelNames: ['kind'], buckets: LATENCY_BUCKETS, registers: [this.registry] });
  readonly busUp = new Gauge({ name: 'tether_bus_up', help: '1 when the message bus is usable', registers: [this.registry] });
  readonly busBlocked = new Gauge({ name: 'tether_bus_blocked', help: '1 while the broker blocks publishes', registers: [this.registry] });
  readonly storeUp = new Gauge({ name: 'tether_store_up', help: '1 when the shared state store is usable', registers: [this.registry] });
  readonly ready = new Gauge({ name: 'tether_ready', help: '1 when /readyz answers ready', registers: [this.registry] });
  readonly callsStarted = new Counter({ name: 'tether_calls_started_total', help: 'calls started on this node, by kind', labelNames: ['kind'], registers: [this.registry] });
  readonly callsEnded = new Counter({ name: 'tether_calls_ended_total', help: 'calls this node ended, by reason', labelNames: ['reason'], registers: [this.registry] });
  readonly callEscalations = new Counter({ name: 'tether_call_escalations_total', help: 'circle calls and SOS this node moved on to the next caregiver', registers: [this.registry] });
  readonly webhooks = new Counter({ name: 'tether_webhook_events_total', help: 'webhook events, by type and outcome', labelNames: ['type', 'outcome'], registers: [this.registry] });

  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics) collectDefaultMetrics({ register: this.registry });
  }

  error(code: ErrorCode): void {
    this.errors.inc({ code });
  }

  subscribeAck(kind: string, seconds: number): void {
    this.subscribeAckSeconds.observe({ kind }, seconds);
  }

  relayLatency(type: string, seconds: number): void {
    this.relay.observe({ type }, seconds);
  }

  callStarted(kind: string): void {
    this.callsStarted.inc({ kind });
  }

  callEnded(reason: string): void {
    this.callsEnded.inc({ reason });
  }

  callEscalated(): void {
    this.callEscalations.inc();
  }

  webhook(type: string, outcome: string): void {
    this.webhooks.inc({ type, outcome });
  }
}
