import type { ZoneInput, ZoneView } from '../protocol/index.ts';

/**
 * Each patient's safe zones, written by caregivers. The safety rules evaluate a copy kept in the
 * SafetyStore (src/safety/safety-store.ts); this is the durable original.
 *
 * Contract (every adapter passes test/contract/safety-records-contract.ts):
 * - Every change of a patient's zones (a put that changes something, a delete) raises the
 *   patient's revision `rev` by one, atomically with the change; `listZones` returns the zones
 *   and the revision they are at, so a copy can tell an older list from a newer one.
 * - `putZone` creates or replaces by (patientId, zoneId). `ifVersion` 0: only if it does not
 *   exist; n: only if it is at version n; otherwise `conflict` with the zone as it is. A put with
 *   the same content as the stored zone is `unchanged` (version and rev stay): a retried put is
 *   harmless. A new zone beyond `maxZones` for the patient is `limit`.
 * - `deleteZone`: `not_found`, or `conflict` when `ifVersion` is given and differs.
 * - Zones come back as written (validated on the way out), ordered by zoneId.
 * - When the backend is unreachable every call rejects with `RecordsError`.
 */
export interface SafeZones {
  putZone(patientId: string, zone: ZoneInput, options: PutZoneOptions): Promise<PutZoneOutcome>;
  deleteZone(patientId: string, zoneId: string, ifVersion?: number): Promise<DeleteZoneOutcome>;
  listZones(patientId: string): Promise<ZoneSet>;
}

export interface PutZoneOptions {
  ifVersion?: number | undefined;
  maxZones: number;
  /** the caregiver making the change */
  by: string;
  now: number;
}

export interface ZoneSet {
  /** 0 for a patient whose zones never changed */
  rev: number;
  zones: ZoneView[];
}

export type PutZoneOutcome =
  | { kind: 'saved'; zone: ZoneView; rev: number }
  | { kind: 'unchanged'; zone: ZoneView; rev: number }
  | { kind: 'conflict'; current: ZoneView | null }
  | { kind: 'limit' };

export type DeleteZoneOutcome = { kind: 'deleted'; rev: number } | { kind: 'not_found' } | { kind: 'conflict'; current: ZoneView };

/** True when the two describe the same zone (what a caregiver wrote, not who or when). */
export function sameZone(a: ZoneInput, b: ZoneView): boolean {
  const body = (z: ZoneInput | ZoneView) => JSON.stringify([z.name, z.shape, z.schedule, [...z.alertOn].sort()]);
  return body(a) === body(b);
}
