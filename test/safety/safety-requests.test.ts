/**
 * Safety requests with bad input and without the rights: each gets its documented code, the
 * connection stays up, and nobody else's zones or alerts are touched. One in-process node.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Cluster, startCluster } from '../support/cluster.ts';
import type { TestClient } from '../support/client.ts';
import { HOME, SAFETY_TEST_CONFIG } from '../support/safety.ts';

describe('safety requests: rights, validation, limits', () => {
  let cluster: Cluster;
  let carol: TestClient;
  beforeEach(async () => {
    cluster = await startCluster(1, { config: { ...SAFETY_TEST_CONFIG, SAFETY_MAX_ZONES: 2 } });
    carol = await cluster.connect(0, { sub: 'carol', role: 'caregiver', patients: ['pat'] });
  });
  afterEach(() => cluster.stop());

  const code = async (client: TestClient, request: Parameters<TestClient['request']>[0]) => {
    const answer = await client.request(request);
    return answer.type === 'error' ? { code: answer.code, retryable: answer.retryable, details: answer.details } : { ack: answer.result };
  };

  it('refuses zones, alerts and acknowledgements of patients the token does not grant, and alerts to the patient itself', async () => {
    const eve = await cluster.connect(0, { sub: 'eve', role: 'caregiver', patients: ['someone'] });
    for (const request of [
      { type: 'zone_put', patientId: 'pat', zone: HOME },
      { type: 'zone_delete', patientId: 'pat', zoneId: 'home' },
      { type: 'zones', patientId: 'pat' },
      { type: 'alert_ack', patientId: 'pat', alertId: 'x' },
      { type: 'alerts', patientId: 'pat' },
      { type: 'subscribe', channel: 'alerts:pat' },
    ] as const) {
      expect(await code(eve, request)).toMatchObject({ code: 'FORBIDDEN', retryable: false });
    }
    const pat = await cluster.connect(0, { sub: 'pat', role: 'patient' });
    expect(await code(pat, { type: 'subscribe', channel: 'alerts:pat' })).toMatchObject({ code: 'FORBIDDEN' });
    expect(await code(carol, { type: 'device', device: { battery: 50, charging: false, locationPermission: 'always', locationServices: true, foreground: true } })).toMatchObject({
      code: 'FORBIDDEN',
    });
    expect(await carol.ok({ type: 'zones', patientId: 'pat' })).toEqual({ patientId: 'pat', zones: [] });
  });

  it('answers malformed zones BAD_FRAME with the schema issues, and impossible ones ZONE_INVALID', async () => {
    const circle = (radius: number) => ({ ...HOME, shape: { kind: 'circle', center: HOME.shape.kind === 'circle' ? HOME.shape.center : null, radius } });
    expect(await code(carol, { type: 'zone_put', patientId: 'pat', zone: circle(10) } as never)).toMatchObject({
      code: 'BAD_FRAME',
      details: { issues: [expect.stringContaining('zone.shape.radius')] },
    });
    expect(await code(carol, { type: 'zone_put', patientId: 'pat', zone: { ...HOME, schedule: { timezone: 'Asia/Seoul', windows: [{ start: '25:00', end: '06:00' }] } } } as never)).toMatchObject({
      code: 'BAD_FRAME',
    });
    expect(await code(carol, { type: 'zone_put', patientId: 'pat', zone: { ...HOME, extra: 1 } } as never)).toMatchObject({ code: 'BAD_FRAME' });
    const bowTie = { kind: 'polygon', points: [{ lat: 37.5, lng: 126.9 }, { lat: 37.51, lng: 126.91 }, { lat: 37.51, lng: 126.9 }, { lat: 37.5, lng: 126.91 }] };
    expect(await code(carol, { type: 'zone_put', patientId: 'pat', zone: { ...HOME, shape: bowTie } } as never)).toMatchObject({
      code: 'ZONE_INVALID',
      retryable: false,
      details: { issues: [expect.stringContaining('edges cross')] },
    });
    const huge = { kind: 'polygon', points: [{ lat: 37, lng: 126 }, { lat: 38, lng: 126 }, { lat: 38, lng: 127 }] };
    expect(await code(carol, { type: 'zone_put', patientId: 'pat', zone: { ...HOME, shape: huge } } as never)).toMatchObject({ code: 'ZONE_INVALID' });
    const mars = { timezone: 'Mars/Olympus', windows: [{ start: '22:00', end: '22:00' }] };
    const invalid = await code(carol, { type: 'zone_put', patientId: 'pat', zone: { ...HOME, schedule: mars } });
    expect(invalid).toMatchObject({ code: 'ZONE_INVALID', details: { issues: [expect.stringContaining('timezone'), expect.stringContaining('equal')] } });
    expect(await carol.ok({ type: 'zones', patientId: 'pat' })).toEqual({ patientId: 'pat', zones: [] });
    // the connection is fine
    await carol.ok({ type: 'ping' });
  });

  it('keeps versions: ZONE_CONFLICT on a stale ifVersion, ZONE_NOT_FOUND on an unknown zone, ZONE_LIMIT past the limit', async () => {
    const put = await carol.ok({ type: 'zone_put', patientId: 'pat', zone: HOME, ifVersion: 0 });
    expect(put).toMatchObject({ zone: { zoneId: 'home', version: 1, patientId: 'pat', updatedBy: 'carol' } });
    expect(await code(carol, { type: 'zone_put', patientId: 'pat', zone: { ...HOME, name: 'Home 2' }, ifVersion: 0 })).toMatchObject({
      code: 'ZONE_CONFLICT',
      details: { current: { version: 1 } },
    });
    expect(await carol.ok({ type: 'zone_put', patientId: 'pat', zone: { ...HOME, name: 'Home 2' }, ifVersion: 1 })).toMatchObject({ zone: { version: 2 } });
    await carol.ok({ type: 'zone_put', patientId: 'pat', zone: { ...HOME, zoneId: 'park' } });
    expect(await code(carol, { type: 'zone_put', patientId: 'pat', zone: { ...HOME, zoneId: 'third' } })).toMatchObject({ code: 'ZONE_LIMIT', retryable: false });
    expect(await code(carol, { type: 'zone_delete', patientId: 'pat', zoneId: 'nope' })).toMatchObject({ code: 'ZONE_NOT_FOUND' });
    expect(await code(carol, { type: 'zone_delete', patientId: 'pat', zoneId: 'home', ifVersion: 1 })).toMatchObject({ code: 'ZONE_CONFLICT' });
    expect(await code(carol, { type: 'zone_delete', patientId: 'pat', zoneId: 'home' })).toEqual({ ack: undefined });
    expect((await carol.ok({ type: 'zones', patientId: 'pat' }) as { zones: Array<{ zoneId: string }> }).zones.map((z) => z.zoneId)).toEqual(['park']);
  });

  it('answers ALERT_NOT_FOUND for an unknown alert, and pages the audit trail', async () => {
    expect(await code(carol, { type: 'alert_ack', patientId: 'pat', alertId: 'nope' })).toMatchObject({ code: 'ALERT_NOT_FOUND', retryable: false });
    expect(await carol.ok({ type: 'alerts', patientId: 'pat', limit: 5 })).toEqual({ patientId: 'pat', alerts: [] });
    expect(await code(carol, { type: 'alerts', patientId: 'pat', limit: 500 })).toMatchObject({ code: 'BAD_FRAME' });
  });

  it('answers a repeated request id with the first answer, acting once', async () => {
    const first = await carol.request({ type: 'zone_put', patientId: 'pat', zone: HOME, id: 'z1' });
    const again = await carol.request({ type: 'zone_put', patientId: 'pat', zone: { ...HOME, name: 'other' }, id: 'z1' });
    expect(again).toEqual(first);
    expect((await carol.ok({ type: 'zones', patientId: 'pat' }) as { zones: Array<{ name: string }> }).zones.map((z) => z.name)).toEqual(['Home']);
  });
});
