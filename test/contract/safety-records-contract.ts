/**
 * The safety parts of the Records contract (src/records/safe-zones.ts, src/records/alert-trail.ts),
 * written once and run against every Records adapter by the same two files as the call history
 * (records-memory.test.ts, records-postgres.test.ts). The factory returns at least two started
 * Records over the same data, as two nodes share one database; fresh patient ids per test, so a
 * shared database needs no reset; explicit times, nothing waits.
 *
 * To extend: an `it` per promise of the interfaces' doc comments.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AlertView, ZoneInput } from '../../src/protocol/index.ts';
import { type Records, RecordsError } from '../../src/records/records.ts';
import type { RecordsCluster } from './call-history-contract.ts';

const T0 = 1_790_000_000_000;
const patient = (): string => `pat-${randomUUID().slice(0, 8)}`;
const options = (over: Partial<{ ifVersion: number; maxZones: number }> = {}) => ({ maxZones: 3, by: 'carol', now: T0, ...over });

function zone(zoneId: string, over: Partial<ZoneInput> = {}): ZoneInput {
  return { zoneId, name: 'Home', shape: { kind: 'circle', center: { lat: 37.5665, lng: 126.978 }, radius: 150 }, schedule: null, alertOn: ['exit'], ...over };
}

function alert(patientId: string, n: number, over: Partial<AlertView> = {}): AlertView {
  return {
    alertId: `al-${n}-${randomUUID().slice(0, 6)}`,
    patientId,
    reason: 'zone_exit',
    state: 'open',
    raisedAt: T0 + n * 1_000,
    zone: { zoneId: 'home', name: 'Home' },
    position: { lat: 37.5, lng: 126.9, accuracy: 12, timestamp: T0 + n * 1_000 - 5 },
    level: 0,
    nextEscalationAt: T0 + n * 1_000 + 300_000,
    acknowledgedBy: null,
    acknowledgedAt: null,
    callId: null,
    ...over,
  };
}

export function describeSafetyRecordsContract(name: string, makeRecords: () => Promise<RecordsCluster>): void {
  describe(`SafeZones and AlertTrail contract: ${name}`, () => {
    let cluster: RecordsCluster;
    let a: Records;
    let b: Records;

    beforeEach(async () => {
      cluster = await makeRecords();
      [a, b] = cluster.records as [Records, Records];
    });
    afterEach(async () => {
      await cluster.close();
    });

    it('creates, replaces and lists zones with versions and a revision per change, readable from another instance', async () => {
      const pat = patient();
      expect(await b.zones.listZones(pat)).toEqual({ rev: 0, zones: [] });
      const night = zone('home', { schedule: { timezone: 'Asia/Seoul', windows: [{ days: [1, 2, 3], start: '22:00', end: '06:00' }] } });
      const created = await a.zones.putZone(pat, night, options());
      expect(created).toEqual({ kind: 'saved', rev: 1, zone: { ...night, patientId: pat, version: 1, updatedAt: T0, updatedBy: 'carol' } });
      const park = zone('park', { name: 'Park', shape: { kind: 'polygon', points: [{ lat: 37.5, lng: 126.9 }, { lat: 37.51, lng: 126.9 }, { lat: 37.51, lng: 126.91 }] }, alertOn: ['enter', 'exit'] });
      await b.zones.putZone(pat, park, { ...options(), by: 'dan', now: T0 + 5 });
      const moved = { ...night, name: 'Home (new)' };
      expect(await b.zones.putZone(pat, moved, { ...options(), now: T0 + 10 })).toMatchObject({ kind: 'saved', rev: 3, zone: { version: 2, name: 'Home (new)', updatedAt: T0 + 10 } });
      const listed = await a.zones.listZones(pat);
      expect(listed.rev).toBe(3);
      expect(listed.zones.map((z) => [z.zoneId, z.version, z.updatedBy])).toEqual([['home', 2, 'carol'], ['park', 1, 'dan']]);
      expect(listed.zones[1]).toMatchObject({ shape: park.shape, alertOn: ['enter', 'exit'], schedule: null });
      expect(await a.zones.listZones(patient())).toEqual({ rev: 0, zones: [] });
    });

    it('answers a put with the same content `unchanged`, whatever ifVersion says (a retried put)', async () => {
      const pat = patient();
      await a.zones.putZone(pat, zone('home'), options());
      const again = await b.zones.putZone(pat, zone('home'), options({ ifVersion: 0 }));
      expect(again).toMatchObject({ kind: 'unchanged', rev: 1, zone: { version: 1 } });
    });

    it('refuses a put or delete whose ifVersion is not the current version, saying what it is', async () => {
      const pat = patient();
      await a.zones.putZone(pat, zone('home'), options());
      expect(await b.zones.putZone(pat, zone('home', { name: 'x' }), options({ ifVersion: 0 }))).toMatchObject({ kind: 'conflict', current: { version: 1 } });
      expect(await b.zones.putZone(pat, zone('new', { name: 'x' }), options({ ifVersion: 2 }))).toEqual({ kind: 'conflict', current: null });
      expect(await b.zones.putZone(pat, zone('home', { name: 'y' }), options({ ifVersion: 1 }))).toMatchObject({ kind: 'saved', zone: { version: 2 } });
      expect(await a.zones.deleteZone(pat, 'home', 1)).toMatchObject({ kind: 'conflict', current: { version: 2, name: 'y' } });
      expect(await a.zones.listZones(pat)).toMatchObject({ rev: 2 });
    });

    it('refuses a new zone beyond maxZones, not a change to an existing one', async () => {
      const pat = patient();
      for (const id of ['a', 'b', 'c']) await a.zones.putZone(pat, zone(id), options());
      expect(await b.zones.putZone(pat, zone('d'), options())).toEqual({ kind: 'limit' });
      expect(await b.zones.putZone(pat, zone('c', { name: 'C' }), options())).toMatchObject({ kind: 'saved' });
    });

    it('lets only one of two racing creates past the limit', async () => {
      const pat = patient();
      await a.zones.putZone(pat, zone('a'), options({ maxZones: 2 }));
      const outcomes = await Promise.all([a.zones.putZone(pat, zone('b'), options({ maxZones: 2 })), b.zones.putZone(pat, zone('c'), options({ maxZones: 2 }))]);
      expect(outcomes.map((o) => o.kind).sort()).toEqual(['limit', 'saved']);
      expect((await a.zones.listZones(pat)).zones).toHaveLength(2);
    });

    it('deletes a zone, raising the revision; an unknown one is not_found', async () => {
      const pat = patient();
      await a.zones.putZone(pat, zone('home'), options());
      expect(await b.zones.deleteZone(pat, 'home')).toEqual({ kind: 'deleted', rev: 2 });
      expect(await b.zones.deleteZone(pat, 'home')).toEqual({ kind: 'not_found' });
      expect(await a.zones.listZones(pat)).toEqual({ rev: 2, zones: [] });
    });

    it('keeps each alert event once and the alert as its newest view, in any order of arrival', async () => {
      const pat = patient();
      const raised = alert(pat, 1);
      const escalated = { ...raised, level: 1, nextEscalationAt: raised.raisedAt + 600_000 };
      const acked = { ...escalated, state: 'acknowledged' as const, acknowledgedBy: { userId: 'carol', role: 'caregiver', sessionId: 's1' }, acknowledgedAt: T0 + 9_000, nextEscalationAt: null };
      await a.alerts.recordAlerts([{ event: 'acknowledged', at: T0 + 9_000, alert: acked }]);
      await b.alerts.recordAlerts([
        { event: 'raised', at: raised.raisedAt, alert: raised },
        { event: 'escalated', at: T0 + 5_000, alert: escalated },
      ]);
      await a.alerts.recordAlerts([{ event: 'raised', at: raised.raisedAt, alert: raised }]); // a repeated announcement
      expect(await b.alerts.listAlerts(pat, { before: null, limit: 10 })).toEqual([acked]);
      const events = await a.alerts.alertEvents(raised.alertId);
      expect(events.map((e) => [e.event, e.alert.level, e.at])).toEqual([
        ['raised', 0, raised.raisedAt],
        ['escalated', 1, T0 + 5_000],
        ['acknowledged', 1, T0 + 9_000],
      ]);
      expect(events[2]!.alert).toEqual(acked);
    });

    it('lists one patient only, newest first, and pages by the last alert seen', async () => {
      const [pat, other] = [patient(), patient()];
      const mine = [1, 2, 3, 3, 4].map((n) => alert(pat, n));
      await a.alerts.recordAlerts([...mine, alert(other, 5)].map((al) => ({ event: 'raised' as const, at: al.raisedAt, alert: al })));
      const seen: AlertView[] = [];
      let before: { raisedAt: number; alertId: string } | null = null;
      for (let page = 0; page < 5; page++) {
        const got: AlertView[] = await b.alerts.listAlerts(pat, { before, limit: 2 });
        if (got.length === 0) break;
        seen.push(...got);
        before = { raisedAt: got.at(-1)!.raisedAt, alertId: got.at(-1)!.alertId };
      }
      expect(seen.map((x) => x.raisedAt)).toEqual([T0 + 4_000, T0 + 3_000, T0 + 3_000, T0 + 2_000, T0 + 1_000]);
      expect(new Set(seen.map((x) => x.alertId)).size).toBe(5);
    });

    it('prunes alerts raised before the cutoff with their events, and says how many', async () => {
      const pat = patient();
      const long = T0 - 400 * 86_400_000;
      const old = alert(pat, 0, { raisedAt: long });
      const recent = alert(pat, 1);
      await a.alerts.recordAlerts([old, recent].map((al) => ({ event: 'raised' as const, at: al.raisedAt, alert: al })));
      expect(await b.alerts.pruneAlerts(long + 1)).toBeGreaterThanOrEqual(1);
      expect(await a.alerts.listAlerts(pat, { before: null, limit: 10 })).toEqual([recent]);
      expect(await a.alerts.alertEvents(old.alertId)).toEqual([]);
    });

    it('rejects with RecordsError once closed', async () => {
      await a.close();
      await expect(a.zones.listZones(patient())).rejects.toBeInstanceOf(RecordsError);
      await expect(a.zones.putZone(patient(), zone('x'), options())).rejects.toBeInstanceOf(RecordsError);
      await expect(a.alerts.listAlerts(patient(), { before: null, limit: 1 })).rejects.toBeInstanceOf(RecordsError);
      await expect(a.alerts.recordAlerts([{ event: 'raised', at: T0, alert: alert(patient(), 1) }])).rejects.toBeInstanceOf(RecordsError);
    });
  });
}
