import { type OutboxItem, SAFETY_RETENTION_MS, type SafetyCommit, type SafetyStore, type StoredPatient, type StoredZones } from '../safety/safety-store.ts';
import { StoreError } from './store.ts';

/** What a MemorySafetyStore keeps; nodes of an in-process test cluster share one. */
export class MemorySafetyData {
  readonly patients = new Map<string, { version: number; state: string; expiresAt: number }>();
  readonly zones = new Map<string, StoredZones>();
  /** patientId -> due time */
  readonly due = new Map<string, number>();
  /** id -> item and when it may be claimed */
  readonly outbox = new Map<string, { item: OutboxItem; at: number }>();
  readonly open = new Set<string>();
}

/**
 * The safety store in this process (contract: src/safety/safety-store.ts): the embedded default,
 * and the in-process test cluster. Each operation runs synchronously, so it is atomic.
 */
export class MemorySafetyStore implements SafetyStore {
  private readonly d: MemorySafetyData;
  private closed = false;

  constructor(data: MemorySafetyData = new MemorySafetyData()) {
    this.d = data;
  }

  async start(): Promise<void> {}

  async close(): Promise<void> {
    this.closed = true;
  }

  async load(patientId: string): Promise<StoredPatient> {
    this.assertOpen();
    const doc = this.d.patients.get(patientId);
    const live = doc && doc.expiresAt > Date.now() ? doc : undefined;
    const zones = this.d.zones.get(patientId);
    return { version: live?.version ?? 0, state: live?.state ?? null, zones: zones ? { ...zones } : null };
  }

  async commit(patientId: string, c: SafetyCommit): Promise<boolean> {
    this.assertOpen();
    const doc = this.d.patients.get(patientId);
    const version = doc && doc.expiresAt > Date.now() ? doc.version : 0;
    if (version !== c.expected) return false;
    this.d.patients.set(patientId, { version: version + 1, state: c.state, expiresAt: Date.now() + SAFETY_RETENTION_MS });
    if (c.due === null) this.d.due.delete(patientId);
    else this.d.due.set(patientId, c.due);
    for (const item of c.outbox) this.d.outbox.set(item.id, { item, at: c.now + c.leaseMs });
    for (const id of c.opened) this.d.open.add(id);
    for (const id of c.closed) this.d.open.delete(id);
    return true;
  }

  async putZones(patientId: string, zones: StoredZones): Promise<void> {
    this.assertOpen();
    const current = this.d.zones.get(patientId);
    if (!current || current.rev < zones.rev) this.d.zones.set(patientId, { ...zones });
  }

  async claimDue(now: number, limit: number, leaseMs: number): Promise<string[]> {
    this.assertOpen();
    const due = [...this.d.due].filter(([, at]) => at <= now).sort((a, b) => a[1] - b[1]).slice(0, limit).map(([id]) => id);
    for (const id of due) this.d.due.set(id, now + leaseMs);
    return due;
  }

  async claimOutbox(now: number, limit: number, leaseMs: number): Promise<OutboxItem[]> {
    this.assertOpen();
    const ready = [...this.d.outbox.values()].filter((e) => e.at <= now).sort((a, b) => a.at - b.at).slice(0, limit);
    for (const entry of ready) entry.at = now + leaseMs;
    return ready.map((e) => ({ ...e.item }));
  }

  async ackOutbox(ids: readonly string[]): Promise<void> {
    this.assertOpen();
    for (const id of ids) this.d.outbox.delete(id);
  }

  async openAlerts(): Promise<number> {
    this.assertOpen();
    return this.d.open.size;
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreError('safety store closed');
  }
}
