import { afterEach, describe, expect, it } from 'vitest';
import { type Cluster, startCluster } from './support/cluster.ts';

const fix = (n: number) => ({ lat: 52 + n / 1000, lng: 4.9, accuracy: 5, timestamp: 1_790_000_000_000 + n });

describe('presence lookups, location history and stale streams', () => {
  let cluster: Cluster;
  afterEach(() => cluster.stop());

  it('answers whether a user is online anywhere, for users one may signal', async () => {
    cluster = await startCluster(3);
    const carol = await cluster.connect(0, { sub: 'carol', role: 'caregiver', patients: ['pat'] });
    expect(await carol.ok({ type: 'lookup', userId: 'pat' })).toEqual({ userId: 'pat', online: false, sessions: 0 });
    const phone = await cluster.connect(1, { sub: 'pat', role: 'patient' });
    await cluster.connect(2, { sub: 'pat', role: 'patient' });
    expect(await carol.ok({ type: 'lookup', userId: 'pat' })).toEqual({ userId: 'pat', online: true, sessions: 2 });
    const ended = cluster.serverEnded(phone);
    await phone.close();
    await ended;
    expect(await carol.ok({ type: 'lookup', userId: 'pat' })).toEqual({ userId: 'pat', online: true, sessions: 1 });
    expect(await carol.request({ type: 'lookup', userId: 'stranger' })).toMatchObject({ type: 'error', code: 'FORBIDDEN' });
  });

  it('gives an authorized watcher the trail, bounded by since and limit, oldest first', async () => {
    cluster = await startCluster(2);
    const pat = await cluster.connect(0, { sub: 'pat', role: 'patient' });
    for (let n = 1; n <= 5; n++) await pat.ok({ type: 'location', position: fix(n) });
    const carol = await cluster.connect(1, { sub: 'carol', role: 'caregiver', patients: ['pat'] });
    const last = await carol.ok({ type: 'subscribe', channel: 'location:pat' });
    expect(last).toMatchObject({ last: { position: fix(5) } });
    const all = await carol.ok({ type: 'history', channel: 'location:pat' });
    expect(all && 'positions' in all && all.positions.map((p) => p.position)).toEqual([1, 2, 3, 4, 5].map(fix));
    const newest = await carol.ok({ type: 'history', channel: 'location:pat', limit: 2 });
    expect(newest && 'positions' in newest && newest.positions.map((p) => p.position)).toEqual([fix(4), fix(5)]);
    const future = await carol.ok({ type: 'history', channel: 'location:pat', since: Date.now() + 60_000 });
    expect(future).toEqual({ channel: 'location:pat', positions: [] });
    const eve = await cluster.connect(1, { sub: 'eve', role: 'caregiver' });
    expect(await eve.request({ type: 'history', channel: 'location:pat' })).toMatchObject({ code: 'FORBIDDEN' });
    expect(await eve.request({ type: 'history', channel: 'room:x' } as never)).toMatchObject({ code: 'BAD_FRAME' });
  });

  it('tells watchers once when a patient goes quiet, and resumes the stream on the next position', async () => {
    cluster = await startCluster(2, { config: { LOCATION_STALE_MS: 300 } });
    const pat = await cluster.connect(0, { sub: 'pat', role: 'patient' });
    const carol = await cluster.connect(1, { sub: 'carol', role: 'caregiver', patients: ['pat'] });
    expect(carol.welcome.staleAfterMs).toBe(300);
    await carol.ok({ type: 'subscribe', channel: 'location:pat' });
    await pat.ok({ type: 'location', position: fix(1) });
    const live = await carol.next('location');
    const stale = await carol.next('stale');
    expect(stale).toMatchObject({ channel: 'location:pat', patientId: 'pat', lastTs: live.ts });
    expect(stale.ts - live.ts).toBeGreaterThanOrEqual(300);
    await pat.ok({ type: 'location', position: fix(2) });
    expect((await carol.next('location')).position).toEqual(fix(2));
    // exactly one stale per silence: the next one only after the new position goes quiet
    const again = await carol.next('stale');
    expect(again.lastTs).toBeGreaterThan(live.ts);
    expect(carol.gaps).toEqual([]);
  });
});
