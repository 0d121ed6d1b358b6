import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { SafetyHooks, SafetyRequest } from '../core/context.ts';
import type { Identity } from '../core/identity.ts';
import type { Relay } from '../core/relay.ts';
import { type AlertView, type Position, type Sender, type TrackingHealth, ZoneView } from '../protocol/index.ts';
import type { Records } from '../records/records.ts';
import { StoreError } from '../store/store.ts';
import type { Webhook } from '../webhook/webhook.ts';
import { Announcer, type SafetyMetrics, outboxItems } from './announcer.ts';
import { type Evaluation, type SafetyInput, type ZoneList, evaluate } from './evaluate.ts';
import { deriveHealth } from './health.ts';
import { type PatientState, PatientStateSchema } from './patient-state.ts';
import { handleSafetyRequest } from './safety-requests.ts';
import type { SafetyStore, StoredPatient } from './safety-store.ts';
import type { SafetySettings } from './settings.ts';
import type { AlertSink, SosAlert } from '../calls/alert-sink.ts';

export interface SafetyServiceDeps {
  nodeId: string;
  store: SafetyStore;
  records: Records;
  relay: Relay;
  webhook: Webhook;
  settings: SafetySettings;
  /** ms a claimed due time or outbox item stays with the node that claimed it */
  leaseMs: number;
  logger: Logger;
  metrics: SafetyMetrics;
  now: () => number;
}

/** Compare-and-set attempts before a change is given up as contended (StoreError). */
const MAX_ATTEMPTS = 8;
const ZoneListBody = z.array(ZoneView);

/**
 * The safety rules over the ports: every change to a patient (a position, a heartbeat, a due
 * time, an acknowledgement, an SOS, a call) is `apply`: load the patient's document, evaluate
 * (evaluate.ts), and commit it with its due time and its announcements by compare-and-set, again
 * from a fresh load if another node committed first. The committing node then announces (an
 * alert to `alerts:<id>`, the webhook, the audit trail, a status, a report interval) and marks
 * each announcement done; one it could not make, or that it died before making, is claimed by a
 * node's SafetyTicker after the lease. So each transition is decided by one node, once, and its
 * announcements are made at least once.
 *
 * Changes to one patient from this node are applied one at a time (fewer lost compare-and-sets).
 */
export class SafetyService implements SafetyHooks, AlertSink {
  readonly d: SafetyServiceDeps;
  readonly announcer: Announcer;
  private readonly queues = new Map<string, Promise<unknown>>();
  private readonly sender: Sender;

  constructor(deps: SafetyServiceDeps) {
    this.d = deps;
    this.sender = { userId: 'server', role: 'server', sessionId: `server:${deps.nodeId}` };
    this.announcer = new Announcer({ ...deps, sender: this.sender });
  }

  // --- what the core asks (SafetyHooks)

  async positionAccepted(patient: Sender, position: Position): Promise<void> {
    await this.apply(patient.userId, { kind: 'fix', position });
  }

  async health(patientId: string): Promise<TrackingHealth | undefined> {
    try {
      const state = this.decode(patientId, await this.d.store.load(patientId));
      if (!state) return undefined;
      return deriveHealth(state, this.d.now(), this.d.settings, state.health) ?? undefined;
    } catch (error) {
      this.d.logger.warn({ err: error, patientId }, 'tracking status not read for a subscribe');
      return undefined;
    }
  }

  async openAlerts(patientId: string): Promise<AlertView[] | undefined> {
    try {
      return this.decode(patientId, await this.d.store.load(patientId))?.open ?? [];
    } catch (error) {
      this.d.logger.warn({ err: error, patientId }, 'open alerts not read for a subscribe');
      return undefined;
    }
  }

  handle(caller: { identity: Identity; sender: Sender }, request: SafetyRequest): Promise<unknown> {
    return handleSafetyRequest(this, caller, request);
  }

  // --- for the calls (the AlertSink and CallReporting ports of src/calls)

  /** AlertSink: an SOS becomes an alert that stays open until a caregiver acknowledges it. Idempotent by alertId. */
  async raise(alert: SosAlert): Promise<void> {
    const { effects } = await this.apply(alert.patientId, { kind: 'sos', alert });
    if (effects.some((e) => e.kind === 'alert' && e.event === 'raised')) {
      this.d.logger.warn({ alertId: alert.alertId, patientId: alert.patientId, callId: alert.callId, caregivers: alert.caregivers.length }, 'SOS raised');
    }
  }

  /**
   * A call with the patient is on until `until` (server ms: the latest it can last), or has ended
   * (`null`): the patient's devices are asked to report fast meanwhile. Call it when the call is
   * accepted and when it ends; a crashed caller is covered by `until`.
   */
  async reportFastDuringCall(patientId: string, callId: string, until: number | null): Promise<void> {
    await this.apply(patientId, { kind: 'call', callId, until });
  }

  // --- the one way a patient changes

  /** Applies `input` to the patient, commits it, and announces what it decided. Rejects with StoreError. */
  apply(patientId: string, input: SafetyInput): Promise<Evaluation> {
    const previous = this.queues.get(patientId) ?? Promise.resolve();
    const next = previous.catch(() => {}).then(() => this.applyNow(patientId, input));
    this.queues.set(patientId, next);
    const forget = (): void => {
      if (this.queues.get(patientId) === next) this.queues.delete(patientId);
    };
    next.then(forget, forget);
    return next;
  }

  private async applyNow(patientId: string, input: SafetyInput): Promise<Evaluation> {
    for (let attempt = 1; ; attempt++) {
      const stored = await this.d.store.load(patientId);
      const zones = await this.zones(patientId, stored);
      const now = this.d.now();
      const result = evaluate(this.decode(patientId, stored), patientId, zones, input, now, this.d.settings, randomUUID);
      const items = outboxItems(patientId, result.effects, now);
      const committed = await this.d.store.commit(patientId, {
        expected: stored.version,
        state: JSON.stringify(result.state),
        due: result.due,
        outbox: items,
        opened: result.opened,
        closed: result.closed,
        now,
        leaseMs: this.d.leaseMs,
      });
      if (committed) {
        if (items.length > 0) void this.announceNow(items);
        return result;
      }
      this.d.metrics.conflict();
      if (attempt >= MAX_ATTEMPTS) throw new StoreError(`safety state of ${patientId} is contended; try again`);
    }
  }

  private async announceNow(items: Parameters<Announcer['announce']>[0]): Promise<void> {
    const done = await this.announcer.announce(items, false);
    await this.d.store.ackOutbox(done).catch((error: unknown) => {
      this.d.logger.warn({ err: error }, 'safety announcements not marked done; they may be announced again');
    });
  }

  /** The zones to evaluate: the store's copy, else the records' (copied to the store), else null (left as they were). */
  private async zones(patientId: string, stored: StoredPatient): Promise<ZoneList | null> {
    if (stored.zones) {
      const parsed = ZoneListBody.safeParse(safeJson(stored.zones.body));
      if (parsed.success) return { rev: stored.zones.rev, zones: parsed.data };
      this.d.logger.error({ patientId }, 'unreadable zone copy; reading the records');
    }
    try {
      const set = await this.d.records.zones.listZones(patientId);
      await this.d.store.putZones(patientId, { rev: set.rev, body: JSON.stringify(set.zones) });
      return set;
    } catch (error) {
      this.d.logger.warn({ err: error, patientId }, 'zones unavailable: zone rules skipped this time');
      return null;
    }
  }

  /** Copies the records' zones to the store (after a change), then re-evaluates the patient so schedules and tracks follow. */
  async zonesChanged(patientId: string): Promise<void> {
    const set = await this.d.records.zones.listZones(patientId);
    await this.d.store.putZones(patientId, { rev: set.rev, body: JSON.stringify(set.zones) });
    await this.apply(patientId, { kind: 'tick' });
  }

  /** A stored document, or null; an unreadable one is logged and replaced by a fresh state. */
  private decode(patientId: string, stored: StoredPatient): PatientState | null {
    if (stored.state === null) return null;
    const parsed = PatientStateSchema.safeParse(safeJson(stored.state));
    if (parsed.success) return parsed.data;
    this.d.logger.error({ patientId, issues: parsed.error.issues.slice(0, 3).map((i) => i.path.join('.')) }, 'unreadable safety state; starting afresh');
    return null;
  }

  /** Publishes a zone change to the patient's alerts channel; best effort (logged). */
  announceZone(patientId: string, zoneId: string, zone: ZoneView | null): void {
    const channel = `alerts:${patientId}`;
    this.d.relay
      .publish(
        channel,
        { delivery: { type: 'zone', channel, from: this.sender, ts: this.d.now(), event: zone ? 'put' : 'deleted', patientId, zoneId, zone } },
        { mandatory: false },
      )
      .catch((error: unknown) => this.d.logger.warn({ err: error, patientId }, 'zone change not published'));
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
