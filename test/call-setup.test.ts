import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Cluster, startCluster } from './support/cluster.ts';

const OFFER = 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n';
const candidate = (n: number) => ({ candidate: `candidate:${n} 1 udp 2122260223 192.0.2.${n} 5000${n} typ host`, sdpMid: '0', sdpMLineIndex: 0 });

describe('call setup between a caregiver and a patient on one node', () => {
  let cluster: Cluster;
  beforeEach(async () => (cluster = await startCluster(1)));
  afterEach(() => cluster.stop());

  it('relays invite, ringing, accept, offer, answer, trickled ICE both ways and hangup, stamping from', async () => {
    const carol = await cluster.connect(0, { sub: 'carol', role: 'caregiver', patients: ['pat'] });
    const pat = await cluster.connect(0, { sub: 'pat', role: 'patient', contacts: ['carol'] });
    expect(carol.welcome.subscriptions).toEqual(['user:carol']);

    const callId = 'call-1';
    const toPat = (signal: object) => carol.ok({ type: 'signal', to: 'user:pat', callId, signal } as never);
    const toCarol = (signal: object) => pat.ok({ type: 'signal', to: 'user:carol', callId, signal } as never);

    await toPat({ kind: 'invite', media: 'audio' });
    const invite = await pat.next('signal');
    expect(invite).toMatchObject({ channel: 'user:pat', callId, signal: { kind: 'invite', media: 'audio' } });
    expect(invite.from).toEqual({ userId: 'carol', role: 'caregiver', sessionId: carol.welcome.sessionId });

    await toCarol({ kind: 'ringing' });
    await toCarol({ kind: 'accept' });
    await toPat({ kind: 'offer', sdp: OFFER });
    await toCarol({ kind: 'answer', sdp: OFFER });
    for (let i = 1; i <= 3; i++) {
      await toPat({ kind: 'ice', candidate: candidate(i) });
      await toCarol({ kind: 'ice', candidate: candidate(10 + i) });
    }
    await toPat({ kind: 'ice', candidate: null });
    await toPat({ kind: 'hangup', reason: 'done' });

    const atCarol = [await carol.next('signal'), await carol.next('signal'), await carol.next('signal')];
    expect(atCarol.map((s) => s.signal.kind)).toEqual(['ringing', 'accept', 'answer']);
    const patKinds: string[] = [];
    for (let i = 0; i < 6; i++) patKinds.push((await pat.next('signal')).signal.kind);
    expect(patKinds).toEqual(['offer', 'ice', 'ice', 'ice', 'ice', 'hangup']);
    const carolIce = [await carol.next('signal'), await carol.next('signal'), await carol.next('signal')];
    expect(carolIce.map((s) => s.signal)).toEqual([1, 2, 3].map((i) => ({ kind: 'ice', candidate: candidate(10 + i) })));
    // sequence numbers count every delivery to a session, with no gap
    expect(carolIce.map((s) => s.seq)).toEqual([4, 5, 6]);
  });

  it('answers a retried request id with the first answer and does not relay twice', async () => {
    const carol = await cluster.connect(0, { sub: 'carol', role: 'caregiver', patients: ['pat'] });
    const pat = await cluster.connect(0, { sub: 'pat', role: 'patient' });
    const message = { type: 'signal', id: 'same-id', to: 'user:pat', callId: 'c', signal: { kind: 'ringing' } } as const;
    carol.send(message);
    carol.send(message);
    expect(await carol.answer('same-id')).toEqual({ type: 'ack', id: 'same-id' });
    expect(await carol.answer('same-id')).toEqual({ type: 'ack', id: 'same-id' });
    await carol.ok({ type: 'signal', to: 'user:pat', callId: 'c', signal: { kind: 'hangup' } });
    expect((await pat.next('signal')).signal.kind).toBe('ringing');
    expect((await pat.next('signal')).signal.kind).toBe('hangup');
  });

  it('reaches every device of a user and not the sending device', async () => {
    const phone = await cluster.connect(0, { sub: 'carol', role: 'caregiver', patients: ['pat'] });
    const tablet = await cluster.connect(0, { sub: 'carol', role: 'caregiver', patients: ['pat'] });
    const pat = await cluster.connect(0, { sub: 'pat', role: 'patient', contacts: ['carol'] });
    await pat.ok({ type: 'signal', to: 'user:carol', callId: 'c', signal: { kind: 'invite', media: 'audio' } });
    await phone.next('signal');
    await tablet.next('signal');
    await phone.ok({ type: 'signal', to: 'user:carol', callId: 'c', signal: { kind: 'reject', reason: 'answered elsewhere' } });
    expect((await tablet.next('signal')).signal).toEqual({ kind: 'reject', reason: 'answered elsewhere' });
    await phone.ok({ type: 'ping' });
    expect(phone.frames.filter((f) => f.type === 'signal')).toEqual([]);
  });

  it('answers PEER_UNAVAILABLE at once for a user with no live session, and a retry with the same id tries again', async () => {
    const carol = await cluster.connect(0, { sub: 'carol', role: 'caregiver', patients: ['pat'] });
    const invite = { type: 'signal', id: 'inv-1', to: 'user:pat', callId: 'c', signal: { kind: 'invite', media: 'audio' } } as const;
    expect(await carol.request(invite)).toMatchObject({ type: 'error', code: 'PEER_UNAVAILABLE', retryable: true });
    // a retryable error took no effect, so the same id is tried again rather than answered from memory
    const pat = await cluster.connect(0, { sub: 'pat', role: 'patient' });
    expect(await carol.request(invite)).toEqual({ type: 'ack', id: 'inv-1' });
    expect(await pat.next('signal')).toMatchObject({ signal: { kind: 'invite' } });
  });

  it('relays into a room to every other member, with joined and left events', async () => {
    const grant = { rooms: ['family-*'] };
    const a = await cluster.connect(0, { sub: 'ann', ...grant });
    const b = await cluster.connect(0, { sub: 'ben', ...grant });
    const joinedA = await a.ok({ type: 'subscribe', channel: 'room:family-1' });
    expect(joinedA).toEqual({ channel: 'room:family-1', members: [{ userId: 'ann', role: 'user', sessionId: a.welcome.sessionId }] });
    const joinedB = await b.ok({ type: 'subscribe', channel: 'room:family-1' });
    expect(joinedB && 'members' in joinedB && joinedB.members?.map((m) => m.userId).sort()).toEqual(['ann', 'ben']);
    expect(await a.next('presence')).toMatchObject({ event: 'joined', channel: 'room:family-1', from: { userId: 'ben' } });

    await b.ok({ type: 'signal', to: 'room:family-1', callId: 'r', signal: { kind: 'offer', sdp: OFFER } });
    expect(await a.next('signal')).toMatchObject({ channel: 'room:family-1', from: { userId: 'ben' } });
    // sharing a room lets them signal each other directly, without a token link
    await a.ok({ type: 'signal', to: 'user:ben', callId: 'r', signal: { kind: 'answer', sdp: OFFER } });
    expect(await b.next('signal')).toMatchObject({ channel: 'user:ben', signal: { kind: 'answer' } });

    await b.ok({ type: 'unsubscribe', channel: 'room:family-1' });
    expect(await a.next('presence')).toMatchObject({ event: 'left', from: { userId: 'ben' } });
  });
});
