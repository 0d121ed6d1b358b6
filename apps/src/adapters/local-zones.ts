import type { Unsubscribe, Zone, ZoneDraft, ZonesStore } from './care.ts';

/**
 * Phase 1 zones: kept in this page only (`connected: false`), so drawing and editing can be
 * used and tested before the server stores and checks zones. The console says so next to the
 * zones list: nothing here is saved, and no alert can come from these zones.
 */
export class LocalZones implements ZonesStore {
  readonly connected = false;
  private readonly zones = new Map<string, Zone[]>();
  private readonly listeners = new Map<string, Set<(zones: readonly Zone[]) => void>>();
  private next = 1;

  async list(patientId: string): Promise<Zone[]> {
    return [...(this.zones.get(patientId) ?? [])];
  }

  async create(draft: ZoneDraft): Promise<Zone> {
    const zone: Zone = { ...draft, id: `draft-${this.next++}` };
    this.set(draft.patientId, [...(this.zones.get(draft.patientId) ?? []), zone]);
    return zone;
  }

  async update(zone: Zone): Promise<Zone> {
    const zones = this.zones.get(zone.patientId) ?? [];
    if (!zones.some((z) => z.id === zone.id)) throw new Error(`no zone ${zone.id}`);
    this.set(zone.patientId, zones.map((z) => (z.id === zone.id ? zone : z)));
    return zone;
  }

  async delete(patientId: string, zoneId: string): Promise<void> {
    this.set(patientId, (this.zones.get(patientId) ?? []).filter((z) => z.id !== zoneId));
  }

  watch(patientId: string, listener: (zones: readonly Zone[]) => void): Unsubscribe {
    const set = this.listeners.get(patientId) ?? new Set();
    this.listeners.set(patientId, set);
    set.add(listener);
    listener([...(this.zones.get(patientId) ?? [])]);
    return () => set.delete(listener);
  }

  private set(patientId: string, zones: Zone[]): void {
    this.zones.set(patientId, zones);
    for (const listener of this.listeners.get(patientId) ?? []) listener([...zones]);
  }
}
