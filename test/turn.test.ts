/**
 * TURN credentials as the node hands them out (welcome.turn, the turn request), checked by a real
 * coturn (scripts/services/coturn.ts) with a minimal TURN client (test/support/turn-client.ts):
 * the server's credentials get a relay; forged, expired or another secret's do not.
 */
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CoturnInstance, startCoturn } from '../scripts/services/coturn.ts';
import type { TurnCredentials } from '../src/protocol/index.ts';
import { type Cluster, startCluster } from './support/cluster.ts';
import { allocate } from './support/turn-client.ts';

const SECRET = 'turn-shared-secret-0123456789';

describe('TURN credentials', () => {
  let coturn: CoturnInstance;
  let cluster: Cluster;
  let bare: Cluster;

  beforeAll(async () => {
    coturn = await startCoturn({ secret: SECRET });
    cluster = await startCluster(1, { config: { TURN_URLS: `${coturn.url},${coturn.url}?transport=tcp`, TURN_SECRET: SECRET, TURN_TTL_S: 120 } });
    bare = await startCluster(1);
  }, 30_000);
  afterAll(async () => {
    await cluster?.stop();
    await bare?.stop();
    await coturn?.stop();
  });

  it('come in welcome, in the coturn REST API scheme, and a real coturn relays with them', async () => {
    const before = Math.floor(Date.now() / 1000);
    const carol = await cluster.connect(0, { sub: 'carol', role: 'caregiver' });
    const turn = carol.welcome.turn!;
    expect(turn.urls).toEqual([coturn.url, `${coturn.url}?transport=tcp`]);
    const [expiry, user] = turn.username.split(':');
    expect(user).toBe('carol');
    expect(Number(expiry)).toBeGreaterThanOrEqual(before + 120);
    expect(Number(expiry)).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000) + 120);
    expect(turn).toMatchObject({ ttlSeconds: 120, expiresAt: Number(expiry) * 1000 });
    expect(turn.credential).toBe(createHmac('sha1', SECRET).update(turn.username).digest('base64'));
    expect(await allocate(coturn.port, turn.username, turn.credential)).toEqual({ ok: true });
  });

  it('are renewed by the turn request; forged, expired or foreign ones get no relay', async () => {
    const pat = await cluster.connect(0, { sub: 'pat', role: 'patient' });
    const fresh = (await pat.ok({ type: 'turn' })) as TurnCredentials;
    expect(fresh.username.endsWith(':pat')).toBe(true);
    expect(await allocate(coturn.port, fresh.username, fresh.credential)).toEqual({ ok: true });
    // another user's name with pat's credential
    expect(await allocate(coturn.port, fresh.username.replace(':pat', ':carol'), fresh.credential)).toEqual({ ok: false, code: 401 });
    // signed with another secret
    const foreign = createHmac('sha1', 'another-secret-0123456789').update(fresh.username).digest('base64');
    expect(await allocate(coturn.port, fresh.username, foreign)).toEqual({ ok: false, code: 401 });
    // past its expiry, even correctly signed
    const expired = `${Math.floor(Date.now() / 1000) - 10}:pat`;
    expect(await allocate(coturn.port, expired, createHmac('sha1', SECRET).update(expired).digest('base64'))).toEqual({ ok: false, code: 401 });
  });

  it('are not offered by a node without a TURN server: no welcome.turn, and turn answers TURN_UNAVAILABLE', async () => {
    const carol = await bare.connect(0, { sub: 'carol', role: 'caregiver' });
    expect(carol.welcome.turn).toBeUndefined();
    expect(await carol.request({ type: 'turn' })).toMatchObject({ type: 'error', code: 'TURN_UNAVAILABLE', retryable: false });
  });
});
