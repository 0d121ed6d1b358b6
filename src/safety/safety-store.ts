/**
 * The safety rules' shared soft state: one document per patient (its PatientState, opaque here),
 * the copy of its zones the rules read, a cluster-wide schedule of due times, an outbox of
 * announcements not yet made, and the count of open alerts.
 *
 * Contract (every implementation passes test/contract/safety-store-contract.ts):
 * - `commit` is a compare-and-set: it applies only if the patient's document is still at
 *   `expected` (the version `load` returned; 0 for none), and then, atomically with the new
 *   document and version, sets the patient's due time (or removes it), adds the outbox items and
 *   updates the open-alert count. Two nodes that evaluated the same version: exactly one commits;
 *   the other must load again. So each transition, and what it announces, is decided once.
 * - `claimDue` hands out patients whose due time passed, at most `limit`, and pushes each one's
 *   due time `leaseMs` ahead: a node that claims and then dies leaves it to be claimed again
 *   after the lease. A commit replaces the due time.
 * - Outbox items are claimable `leaseMs` after their commit (the committing node announces them
 *   at once and acks them); `claimOutbox` hands out those whose time passed and pushes them
 *   another `leaseMs` ahead; `ackOutbox` forgets them. An item is thus announced at least once.
 * - `putZones` keeps the copy with the higher `rev`; an older one is ignored.
 * - Documents expire `retentionMs` after their last commit; zone copies with them.
 * - When the backend is unreachable every call rejects with `StoreError`.
 */
export interface SafetyStore {
  load(patientId: string): Promise<StoredPatient>;
  commit(patientId: string, commit: SafetyCommit): Promise<boolean>;
  putZones(patientId: string, zones: StoredZones): Promise<void>;
  claimDue(now: number, limit: number, leaseMs: number): Promise<string[]>;
  claimOutbox(now: number, limit: number, leaseMs: number): Promise<OutboxItem[]>;
  ackOutbox(ids: readonly string[]): Promise<void>;
  /** open alerts, cluster-wide */
  openAlerts(): Promise<number>;
  start(): Promise<void>;
  close(): Promise<void>;
}

export interface StoredPatient {
  /** 0 when there is no document */
  version: number;
  state: string | null;
  zones: StoredZones | null;
}

export interface StoredZones {
  rev: number;
  /** JSON ZoneView[] */
  body: string;
}

export interface SafetyCommit {
  expected: number;
  state: string;
  /** the next due time, or null for none */
  due: number | null;
  outbox: readonly OutboxItem[];
  /** alert ids opened and closed */
  opened: readonly string[];
  closed: readonly string[];
  now: number;
  /** outbox items become claimable by other nodes this long after `now` */
  leaseMs: number;
}

export interface OutboxItem {
  id: string;
  body: string;
}

/** How long a patient's document is kept after its last change: 30 days. */
export const SAFETY_RETENTION_MS = 30 * 24 * 3_600_000;
