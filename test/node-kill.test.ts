/**
 * Failure tests with real node processes (scripts/local-cluster.ts) on the suite's RabbitMQ and
 * Redis: a node is killed with SIGKILL mid-call, as a crash or an OOM kill would.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEV_ISSUER, DEV_SECRET, mintToken, type DevTokenRequest } from '../src/auth/dev-tokens.ts';
import type { LocalCluster } from '../scripts/local-cluster.ts';
import { TestClient } from './support/client.ts';
import { startSuiteCluster } from './support/suite-cluster.ts';

const PRESENCE_TTL_MS = 1_500;
const ice = (n: number) => ({ kind: 'ice' as const, candidate: { candidate: `candidate:${n} 1 udp 1 192.0.2.1 ${5000 + n} typ host`, sdpMid: '0' } });

describe('a node killed mid-call', () => {
  let cluster: LocalCluster;
  const clients: TestClient[] = [];
  const connect = async (node: number, who: DevTokenRequest, resume?: { token: string; lastSeq: number }) => {
    const token = await mintToken(who, { secret: DEV_SECRET, issuer: DEV_ISSUER });
    const client = await TestClient.connect(cluster.nodeUrls[node]!, token, {}, resume);
    clients.push(client);
    return client;
  };

  beforeEach(async () => {
    cluster = await startSuiteCluster({ PRESENCE_TTL_MS: String(PRESENCE_TTL_MS) });
  }, 60_000);
  afterEach(async () => {
    await Promise.allSettled(clients.splice(0).map((c) => c.close()));
    await cluster?.stop();
  });

  const carolId = { sub: 'carol', role: 'caregiver', patients: ['pat'], rooms: ['care-*'] };
  const patId = { sub: 'pat', role: 'patient', contacts: ['carol'], rooms: ['care-*'] };

  it('lets its clients resume on another node and receive what was sent meanwhile, none twice', async () => {
    const carol = await connect(0, carolId);
    const pat = await connect(1, patId);
    await carol.ok({ type: 'subscribe', channel: 'room:care-1' });
    await pat.ok({ type: 'subscribe', channel: 'room:care-1' });
    await carol.next('presence', (p) => p.event === 'joined');
    const send = (signal: object) => carol.ok({ type: 'signal', to: 'user:pat', callId: 'c1', signal } as never);
    await send({ kind: 'invite', media: 'audio' });
    await pat.next('signal');
    await pat.ok({ type: 'signal', to: 'user:carol', callId: 'c1', signal: { kind: 'accept' } });
    await carol.next('signal');
    await send({ kind: 'offer', sdp: 'v=0' });
    expect((await pat.next('signal')).signal.kind).toBe('offer');

    await cluster.kill(1);
    expect((await pat.closed).code).toBe(1006);
    // Until pat's presence lapses, its session still counts as attached to the dead node, and a
    // direct message is answered PEER_UNAVAILABLE (retryable). Once the lapse is claimed (the
    // room hears pat left), the session is detached and messages are kept for it.
    await carol.next('presence', (p) => p.event === 'left');
    const answers = [];
    for (const n of [1, 2, 3]) answers.push(await send(ice(n)));
    expect(answers).toEqual([{ queued: true }, { queued: true }, { queued: true }]);

    const resumed = await connect(2, patId, { token: pat.welcome.resume!.token, lastSeq: pat.lastSeq });
    expect(resumed.welcome).toMatchObject({ resumed: { ok: true, replayed: 3 } });
    expect(resumed.welcome.subscriptions.sort()).toEqual(['room:care-1', 'user:pat']);
    for (const n of [1, 2, 3]) expect((await resumed.next('signal')).signal).toEqual(ice(n));
    expect(await carol.next('presence', (p) => p.event === 'joined')).toMatchObject({ from: { userId: 'pat' } });
    await send({ kind: 'hangup' });
    expect((await resumed.next('signal')).signal.kind).toBe('hangup');
    await resumed.ok({ type: 'ping' });
    expect(resumed.gaps).toEqual([]);
    expect(resumed.frames.filter((f) => f.type === 'signal')).toEqual([]);
  });

  it(`drops a killed node's users from presence and rosters within PRESENCE_TTL_MS and one renewal tick`, async () => {
    const carol = await connect(0, carolId);
    await carol.ok({ type: 'subscribe', channel: 'room:care-7' });
    const pat = await connect(1, patId);
    await pat.ok({ type: 'subscribe', channel: 'room:care-7' });
    await carol.next('presence', (p) => p.event === 'joined');
    expect(await carol.ok({ type: 'lookup', userId: 'pat' })).toMatchObject({ online: true });

    const killedAt = Date.now();
    await cluster.kill(1);
    const left = await carol.next('presence', (p) => p.event === 'left');
    const elapsed = Date.now() - killedAt;
    expect(left.from).toMatchObject({ userId: 'pat', sessionId: pat.welcome.sessionId });
    // the documented bound: TTL, plus one renewal tick (TTL / 3) for the sweep, plus slack for a loaded machine
    expect(elapsed).toBeLessThan(PRESENCE_TTL_MS + PRESENCE_TTL_MS / 3 + 1_500);
    expect(await carol.ok({ type: 'lookup', userId: 'pat' })).toMatchObject({ online: false, sessions: 0 });
    const roster = await carol.ok({ type: 'subscribe', channel: 'room:care-7' });
    expect(roster && 'members' in roster && roster.members?.map((m) => m.userId)).toEqual(['carol']);
  });
});
