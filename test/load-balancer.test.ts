/**
 * The local cluster as users meet it: node processes behind HAProxy, which routes by /readyz.
 * Consecutive connections land on different nodes, and a call between them works through the
 * single entry point; a draining node drops out of the rotation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEV_ISSUER, DEV_SECRET, type DevTokenRequest, mintToken } from '../src/auth/dev-tokens.ts';
import type { LocalCluster } from '../scripts/local-cluster.ts';
import { TestClient } from './support/client.ts';
import { startSuiteCluster } from './support/suite-cluster.ts';

describe('nodes behind HAProxy', () => {
  let cluster: LocalCluster;
  const clients: TestClient[] = [];
  const connect = async (who: DevTokenRequest) => {
    const client = await TestClient.connect(cluster.url, await mintToken(who, { secret: DEV_SECRET, issuer: DEV_ISSUER }));
    clients.push(client);
    return client;
  };
  beforeAll(async () => {
    cluster = await startSuiteCluster({}, { nodes: 2, loadBalancer: true });
  }, 60_000);
  afterAll(async () => {
    await Promise.allSettled(clients.map((c) => c.close()));
    await cluster?.stop();
  });

  it('spreads connections over the nodes and relays a call between them', async () => {
    const carol = await connect({ sub: 'carol', role: 'caregiver', patients: ['pat'] });
    const pat = await connect({ sub: 'pat', role: 'patient', contacts: ['carol'] });
    expect(new Set([carol.welcome.nodeId, pat.welcome.nodeId]).size).toBe(2);
    await carol.ok({ type: 'signal', to: 'user:pat', callId: 'lb', signal: { kind: 'invite', media: 'audio' } });
    expect(await pat.next('signal')).toMatchObject({ callId: 'lb', from: { userId: 'carol' } });
    await pat.ok({ type: 'signal', to: 'user:carol', callId: 'lb', signal: { kind: 'accept' } });
    expect((await carol.next('signal')).signal.kind).toBe('accept');
  });
});
