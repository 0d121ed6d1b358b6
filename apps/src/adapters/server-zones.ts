import type { TetherClient } from '@tether/client';
import type { ZoneView } from '../../../src/protocol/index.ts';
import type { Unsubscribe, Zone, ZoneDraft, ZonesStore } from './care.ts';

/**
 * A patient's safe zones, kept and checked by the server (docs/protocol.md 16.2): read with
 * `zones`, written with `zone_put` / `zone_delete`. Every watcher of the patient's
 * `alerts:<id>` hears of a change by anyone (`zone` deliveries, best effort), so a change makes
 * this read the list again; the console's alert watch keeps that channel subscribed. A zone
 * alerts on leaving it, entering it or both (`alertOn`), at all times or on its schedule.
 */
export class ServerZones implements ZonesStore {
  private readonly zones = new Map<string, Zone[]>();
  private readonly listeners = new Map<string, Set<(zones: readonly Zone[]) => void>>();

  constructor(private readonly client: TetherClient) {
    client.on('zone', (frame) => this.listeners.has(frame.patientId) && void this.read(frame.patientId));
    client.on('welcome', () => {
      for (const patientId of this.listeners.keys()) void this.read(patientId);
    });
  }

  /** by name, as the panel lists them */
  async list(patientId: string): Promise<Zone[]> {
    return byName((await this.client.zones(patientId)).map(zoneOf));
  }

  async create(draft: ZoneDraft): Promise<Zone> {
    const zone = zoneOf(await this.client.putZone(draft.patientId, { name: draft.name, shape: shapeOut(draft.shape), schedule: draft.schedule, alertOn: [...draft.alertOn] }, { ifVersion: 0 }));
    this.set(zone.patientId, byName([...(this.zones.get(zone.patientId) ?? []).filter((z) => z.id !== zone.id), zone]));
    return zone;
  }

  async update(zone: Zone): Promise<Zone> {
    const kept = zoneOf(await this.client.putZone(zone.patientId, { zoneId: zone.id, name: zone.name, shape: shapeOut(zone.shape), schedule: zone.schedule, alertOn: [...zone.alertOn] }));
    this.set(kept.patientId, byName((this.zones.get(kept.patientId) ?? []).map((z) => (z.id === kept.id ? kept : z))));
    return kept;
  }

  async delete(patientId: string, zoneId: string): Promise<void> {
    await this.client.deleteZone(patientId, zoneId);
    this.set(patientId, (this.zones.get(patientId) ?? []).filter((z) => z.id !== zoneId));
  }

  watch(patientId: string, listener: (zones: readonly Zone[]) => void): Unsubscribe {
    const set = this.listeners.get(patientId) ?? new Set();
    this.listeners.set(patientId, set);
    set.add(listener);
    listener([...(this.zones.get(patientId) ?? [])]);
    void this.read(patientId);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(patientId);
    };
  }

  private async read(patientId: string): Promise<void> {
    try {
      this.set(patientId, await this.list(patientId));
    } catch (error) {
      console.error(`zones of ${patientId}: not read`, error); // shown as before; the next change or connection reads again
    }
  }

  private set(patientId: string, zones: Zone[]): void {
    this.zones.set(patientId, zones);
    for (const listener of this.listeners.get(patientId) ?? []) listener([...zones]);
  }
}

function byName(zones: Zone[]): Zone[] {
  return zones.sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
}

function zoneOf(view: ZoneView): Zone {
  const shape: Zone['shape'] = view.shape.kind === 'circle' ? { kind: 'circle', center: view.shape.center, radiusM: view.shape.radius } : { kind: 'polygon', points: view.shape.points };
  return { id: view.zoneId, patientId: view.patientId, name: view.name, shape, schedule: view.schedule, alertOn: view.alertOn };
}

function shapeOut(shape: Zone['shape']) {
  return shape.kind === 'circle' ? { kind: 'circle' as const, center: shape.center, radius: Math.round(shape.radiusM) } : { kind: 'polygon' as const, points: shape.points };
}
