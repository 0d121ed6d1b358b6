import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Cluster, startCluster } from './support/cluster.ts';

const fix = (n: number) => ({ lat: 52.37 + n / 1000, lng: 4.89, accuracy: 8, heading: 90, speed: 1.2, battery: 77, timestamp: 1_790_000_000_000 + n });

describe('location streams', () => {
  let cluster: Cluster;
  beforeEach(async () => (cluster = await startCluster(1)));
  afterEach(() => cluster.stop());

  it('gives a watcher the last known position on subscribe, then live positions', async () => {
    const pat = await cluster.connect(0, { sub: 'pat', role: 'patient' });
    const carol = await cluster.connect(0, { sub: 'carol', role: 'caregiver', patients: ['pat'] });
    expect(await carol.ok({ type: 'subscribe', channel: 'location:pat' })).toEqual({ channel: 'location:pat', last: null });

    await pat.ok({ type: 'location', position: fix(1) });
    const live = await carol.next('location');
    expect(live).toMatchObject({ channel: 'location:pat', position: fix(1), from: { userId: 'pat', role: 'patient' } });

    await pat.ok({ type: 'location', position: fix(2) });
    await carol.next('location');
    const late = await cluster.connect(0, { sub: 'dan', role: 'caregiver', patients: ['pat'] });
    const ack = await late.ok({ type: 'subscribe', channel: 'location:pat' });
    expect(ack).toMatchObject({ channel: 'location:pat', last: { position: fix(2), from: { userId: 'pat' } } });
  });

  it('refuses positions from non-patients and invalid positions', async () => {
    const carol = await cluster.connect(0, { sub: 'carol', role: 'caregiver', patients: ['pat'] });
    expect(await carol.request({ type: 'location', position: fix(1) })).toMatchObject({ type: 'error', code: 'FORBIDDEN' });
    const pat = await cluster.connect(0, { sub: 'pat', role: 'patient' });
    const bad = await pat.request({ type: 'location', position: { ...fix(1), lat: 91 } });
    expect(bad).toMatchObject({ type: 'error', code: 'BAD_FRAME', retryable: false });
    expect(bad.type === 'error' && bad.details?.issues).toEqual([expect.stringContaining('position.lat')]);
  });

  it('lets a patient watch itself and refuses caregivers the token does not grant', async () => {
    const pat = await cluster.connect(0, { sub: 'pat', role: 'patient' });
    await pat.ok({ type: 'subscribe', channel: 'location:pat' });
    const eve = await cluster.connect(0, { sub: 'eve', role: 'caregiver', patients: ['someone-else'] });
    expect(await eve.request({ type: 'subscribe', channel: 'location:pat' })).toMatchObject({ type: 'error', code: 'FORBIDDEN' });
  });
});
