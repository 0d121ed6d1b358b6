import type { ZoneInput, ZoneView } from '../protocol/index.ts';
import { type DeleteZoneOutcome, type PutZoneOptions, type PutZoneOutcome, type SafeZones, type ZoneSet, sameZone } from './safe-zones.ts';

/** What a MemorySafeZones keeps per patient. */
export interface MemoryZoneBook {
  rev: number;
  zones: Map<string, ZoneView>;
}

/** Safe zones held in memory (contract: safe-zones.ts). */
export class MemorySafeZones implements SafeZones {
  private readonly byPatient: Map<string, MemoryZoneBook>;
  private readonly assertUp: () => void;

  constructor(byPatient: Map<string, MemoryZoneBook>, assertUp: () => void) {
    this.byPatient = byPatient;
    this.assertUp = assertUp;
  }

  async putZone(patientId: string, zone: ZoneInput, { ifVersion, maxZones, by, now }: PutZoneOptions): Promise<PutZoneOutcome> {
    this.assertUp();
    const book = this.book(patientId);
    const current = book.zones.get(zone.zoneId) ?? null;
    if (current && sameZone(zone, current)) return { kind: 'unchanged', zone: structuredClone(current), rev: book.rev };
    if (ifVersion !== undefined && (current?.version ?? 0) !== ifVersion) return { kind: 'conflict', current: current && structuredClone(current) };
    if (!current && book.zones.size >= maxZones) return { kind: 'limit' };
    const saved: ZoneView = { ...structuredClone(zone), patientId, version: (current?.version ?? 0) + 1, updatedAt: now, updatedBy: by };
    book.zones.set(zone.zoneId, saved);
    book.rev++;
    return { kind: 'saved', zone: structuredClone(saved), rev: book.rev };
  }

  async deleteZone(patientId: string, zoneId: string, ifVersion?: number): Promise<DeleteZoneOutcome> {
    this.assertUp();
    const book = this.book(patientId);
    const current = book.zones.get(zoneId);
    if (!current) return { kind: 'not_found' };
    if (ifVersion !== undefined && current.version !== ifVersion) return { kind: 'conflict', current: structuredClone(current) };
    book.zones.delete(zoneId);
    book.rev++;
    return { kind: 'deleted', rev: book.rev };
  }

  async listZones(patientId: string): Promise<ZoneSet> {
    this.assertUp();
    const book = this.byPatient.get(patientId);
    if (!book) return { rev: 0, zones: [] };
    const zones = [...book.zones.values()].sort((a, b) => (a.zoneId < b.zoneId ? -1 : a.zoneId > b.zoneId ? 1 : 0));
    return { rev: book.rev, zones: structuredClone(zones) };
  }

  private book(patientId: string): MemoryZoneBook {
    let book = this.byPatient.get(patientId);
    if (!book) this.byPatient.set(patientId, (book = { rev: 0, zones: new Map() }));
    return book;
  }
}
