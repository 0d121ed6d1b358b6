/**
 * CallSession over real Tether nodes (three in one process): the signals it sends pass the
 * server's schema and authorization and reach the other node, and after the caller's node
 * drains the SDK resumes elsewhere and the call restarts ICE through the new node. Peer
 * connections are fakes (support/fake-peer-connection.ts); real WebRTC is test/e2e/call.test.ts.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Cluster, startCluster } from '../../test/support/cluster.ts';
import { CallSession, type CallState, type MissedCall, onIncomingCall, onMissedCall } from '../src/index.ts';
import { nextEvent } from './support/events.ts';
import { type FakePeerConnection, fakePeerConnections } from './support/fake-peer-connection.ts';
import { closeAll, testClient } from './support/sdk.ts';

type Call = CallSession<FakePeerConnection>;
const reach = (call: Call, state: CallState): Promise<void> =>
  call.state === state ? Promise.resolve() : new Promise((resolve) => call.on('state', (s) => s.state === state && resolve()));

describe('CallSession across a three-node cluster', () => {
  let cluster: Cluster;
  let run: string;
  beforeEach(async () => {
    cluster = await startCluster(3, { config: { CALL_RING_TIMEOUT_MS: 400, TURN_URLS: 'turn:turn.example.com:3478', TURN_SECRET: 'turn-secret-0123456789' } });
    run = Math.random().toString(36).slice(2, 8);
  });
  afterEach(async () => {
    closeAll();
    await cluster.stop();
  });

  it('connects a caregiver and a patient on different nodes, and restarts ICE after the caller moves to another node', async () => {
    const [carolId, patId] = [`carol-${run}`, `pat-${run}`];
    const { RTCPeerConnection } = fakePeerConnections();
    const carol = testClient({ url: [0, 1].map((i) => cluster.url(i)), getToken: () => cluster.token({ sub: carolId, role: 'caregiver', patients: [patId] }) });
    const pat = testClient({ url: cluster.url(2), getToken: () => cluster.token({ sub: patId, role: 'patient', contacts: [carolId] }) });
    await Promise.all([carol.ready(), pat.ready()]);
    const errors: unknown[] = [];
    const rings = new Promise<Call>((resolve) => onIncomingCall(pat, resolve, { RTCPeerConnection }));

    const caller = new CallSession(carol, { peer: patId, RTCPeerConnection });
    caller.on('error', (e) => errors.push(e));
    caller.pc.addTrack('carol-mic');
    const accepted = caller.invite();
    const callee = await rings;
    callee.on('error', (e) => errors.push(e));
    callee.pc.addTrack('pat-mic');
    await callee.accept();
    await accepted;
    await Promise.all([reach(caller, 'connected'), reach(callee, 'connected')]);
    const ufrag = caller.pc.ufrag;

    const moved = nextEvent(carol, 'welcome');
    await cluster.nodes[0]!.shutdown(0);
    expect(await moved).toMatchObject({ nodeId: 'node-1', resumed: { ok: true } });
    // the restart offer and its answer went through node 1; new candidates reached the patient
    await caller.pc.until(() => caller.pc.ops.includes('SLD offer restart') && caller.pc.signalingState === 'stable');
    await callee.pc.until(() => callee.pc.remoteCandidates.some((c) => c?.usernameFragment === caller.pc.ufrag));
    expect(caller.pc.ufrag).not.toBe(ufrag);
    expect([caller.state, callee.state]).toEqual(['connected', 'connected']);

    const ended = new Promise((resolve) => caller.on('ended', resolve));
    callee.hangup();
    expect(await ended).toEqual({ reason: 'hangup', by: 'remote' });
    expect(errors).toEqual([]);
  });

  it("rings both of the patient's devices: one answers, the other stops; a call nobody answers is a missed call on both sides and in history", async () => {
    const [carolId, patId] = [`carol-${run}`, `pat-${run}`];
    const { RTCPeerConnection } = fakePeerConnections();
    const carol = testClient({ url: cluster.url(0), getToken: () => cluster.token({ sub: carolId, role: 'caregiver', patients: [patId] }) });
    const patToken = () => cluster.token({ sub: patId, role: 'patient', contacts: [carolId] });
    const [phone, tablet] = [testClient({ url: cluster.url(1), getToken: patToken }), testClient({ url: cluster.url(2), getToken: patToken })];
    await Promise.all([carol, phone, tablet].map((c) => c.ready()));
    expect(carol.turn).toMatchObject({ urls: ['turn:turn.example.com:3478'], username: expect.stringMatching(new RegExp(`^\\d+:${carolId}$`)) });
    // one listener at a time: a client makes one session per call, for the first listener
    const rings = (client: typeof phone) =>
      new Promise<Call>((resolve) => {
        const off = onIncomingCall<FakePeerConnection>(client, (call) => (off(), resolve(call)), { RTCPeerConnection });
      });

    const [phoneRings, tabletRings] = [rings(phone), rings(tablet)];
    const caller = new CallSession(carol, { peer: patId, RTCPeerConnection });
    expect(caller.pc.configuration).toMatchObject({ iceServers: [{ urls: ['turn:turn.example.com:3478'], username: carol.turn!.username }] });
    caller.pc.addTrack('carol-mic');
    const accepted = caller.invite();
    const [onPhone, onTablet] = await Promise.all([phoneRings, tabletRings]);
    onPhone.pc.addTrack('pat-mic');
    await onPhone.accept();
    await accepted;
    const stopped = await new Promise((resolve) => (onTablet.ended ? resolve(onTablet.ended) : onTablet.on('ended', resolve)));
    expect(stopped).toEqual({ reason: 'answered_elsewhere', by: 'remote' });
    await Promise.all([reach(caller, 'connected'), reach(onPhone, 'connected')]);
    caller.hangup();

    const missed: MissedCall[] = [];
    onMissedCall(tablet, (m) => missed.push(m));
    const again = new CallSession(carol, { peer: patId, RTCPeerConnection });
    const [ringsAgain] = [rings(tablet)];
    const unanswered = again.invite().catch((error: { end: unknown }) => error.end);
    const onTablet2 = await ringsAgain;
    expect(await unanswered).toEqual({ reason: 'missed', by: 'remote' });
    await new Promise((resolve) => (onTablet2.ended ? resolve(null) : onTablet2.on('ended', resolve)));
    expect(onTablet2.ended).toEqual({ reason: 'missed', by: 'remote' });
    expect(missed.map((m) => m.callId)).toEqual([again.callId]);
    await Promise.all(cluster.nodes.map((n) => n.calls.historySettled()));
    const history = await carol.callHistory({ limit: 10 });
    expect(history.calls.map((c) => [c.callId, c.reason])).toEqual([
      [again.callId, 'missed'],
      [caller.callId, 'completed'],
    ]);
  });
});
