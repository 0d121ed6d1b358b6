/**
 * CallSession following server-side calls, and negotiating its peer connection, between endpoints
 * of an in-memory network (support/fake-signaling.ts) that keeps calls with the server's own
 * state machine, with fake peer connections (support/fake-peer-connection.ts). The same against
 * real nodes: call-cluster.test.ts; with real WebRTC in Chromium: test/e2e/.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CallEndedError, type CallOptions, CallSession, type CallState, type MissedCall, onIncomingCall, onMissedCall } from '../src/index.ts';
import { type FakePeerConnection, fakePeerConnections } from './support/fake-peer-connection.ts';
import { type FakeEndpoint, FakeSignalingNetwork } from './support/fake-signaling.ts';
import { ManualTimers } from './support/manual-timers.ts';

type Call = CallSession<FakePeerConnection>;

/** Resolves when `call` is in `state` (at once if it is). */
const reach = (call: Call, state: CallState): Promise<void> =>
  call.state === state ? Promise.resolve() : new Promise((resolve) => call.on('state', (s) => s.state === state && resolve()));
const endOf = (call: Call) => (call.ended ? Promise.resolve(call.ended) : new Promise((resolve) => call.on('ended', resolve)));

const stableWith = (pc: FakePeerConnection, local: string[], remote: string[]) =>
  pc.until(() => pc.signalingState === 'stable' && local.every((t) => pc.negotiatedTracks.includes(t)) && remote.every((t) => pc.remoteTracks.includes(t)));

/** Descriptions applied since op `from` (candidates left out: their interleaving is timing). */
const descriptionOps = (pc: FakePeerConnection, from = 0) => pc.ops.slice(from).filter((op) => op.startsWith('SLD') || op.startsWith('SRD'));

describe('CallSession', () => {
  let net: FakeSignalingNetwork;
  let pcs: ReturnType<typeof fakePeerConnections>;
  let alice: FakeEndpoint;
  let bob: FakeEndpoint;
  let errors: unknown[];
  const calls: Call[] = [];

  beforeEach(() => {
    net = new FakeSignalingNetwork();
    pcs = fakePeerConnections();
    alice = net.endpoint('alice');
    bob = net.endpoint('bob');
    errors = [];
  });
  afterEach(() => {
    for (const call of calls.splice(0)) call.hangup();
    expect(errors).toEqual([]);
  });

  const track = (call: Call): Call => {
    calls.push(call);
    call.on('error', (error) => errors.push(error));
    return call;
  };
  const outgoing = (from: FakeEndpoint, peer: string | null, options: Partial<CallOptions<FakePeerConnection>> = {}): Call =>
    track(new CallSession(from, { ...(peer ? { peer } : {}), RTCPeerConnection: pcs.RTCPeerConnection, ...options }));
  /** The next call ringing at `at`. */
  const ringing = (at: FakeEndpoint, timers?: ManualTimers): Promise<Call> =>
    new Promise((resolve) => {
      const off = onIncomingCall(at, (call) => (off(), resolve(track(call))), { RTCPeerConnection: pcs.RTCPeerConnection, ...(timers ? { timers } : {}) });
    });

  /** An accepted call with one track on each side, connected and negotiated. */
  async function connectedCall(): Promise<{ caller: Call; callee: Call }> {
    const incoming = ringing(bob);
    const caller = outgoing(alice, 'bob');
    caller.pc.addTrack('a0');
    const invited = caller.invite();
    const callee = await incoming;
    callee.pc.addTrack('b0');
    await callee.accept();
    await invited;
    await Promise.all([reach(caller, 'connected'), reach(callee, 'connected')]);
    await Promise.all([stableWith(caller.pc, ['a0'], ['b0']), stableWith(callee.pc, ['b0'], ['a0'])]);
    return { caller, callee };
  }

  it('sets a call up: invite, the callee rings, accept, then offer/answer and candidates both ways, to connected', async () => {
    const incoming = ringing(bob);
    const caller = outgoing(alice, 'bob', { media: 'video' });
    const states: string[] = [];
    caller.on('state', (s) => states.push(s.state));
    caller.pc.addTrack('a0'); // before the invite: nothing is offered until the call is accepted
    const invited = caller.invite();
    const callee = await incoming;
    expect(callee).toMatchObject({ state: 'incoming', direction: 'incoming', peer: 'alice', callId: caller.callId, media: 'video', kind: 'call' });
    expect(callee.ringUntil).toBeGreaterThan(Date.now());
    await reach(caller, 'ringing');
    expect(caller.reach).toEqual({ devices: 1, woken: false });
    expect(caller.pc.ops).toEqual([]);

    callee.pc.addTrack('b0');
    await callee.accept();
    await invited;
    await Promise.all([reach(caller, 'connected'), reach(callee, 'connected')]);
    await Promise.all([stableWith(caller.pc, ['a0'], ['b0']), stableWith(callee.pc, ['b0'], ['a0'])]);
    expect(states).toEqual(['inviting', 'ringing', 'connecting', 'connected']);
    await Promise.all([caller.pc, callee.pc].map((pc) => pc.until(() => pc.remoteCandidates.filter((c) => c !== null).length >= 2 && pc.remoteCandidates.includes(null))));
    expect(alice.requests).toEqual([{ type: 'invite', to: 'bob', callId: caller.callId, media: 'video' }]);
    expect(bob.requests).toEqual([{ type: 'accept', callId: caller.callId }]);
    // call control is the server's: no call-control signals, only negotiation
    expect(new Set([...alice.sent, ...bob.sent].map((s) => s.kind))).toEqual(new Set(['offer', 'answer', 'ice']));
  });

  it('resolves glare: both offer at once, the impolite side ignores the offer, the polite one rolls back and answers', async () => {
    const { caller, callee } = await connectedCall();
    expect([caller.polite, callee.polite]).toEqual([true, false]); // 'alice' < 'bob'
    const [mark1, mark2] = [caller.pc.ops.length, callee.pc.ops.length];
    net.hold();
    caller.pc.addTrack('a1');
    caller.pc.addTrack('a2');
    callee.pc.addTrack('b1');
    await net.whenPending(2); // both offers sent, neither delivered
    expect([caller.pc.signalingState, callee.pc.signalingState]).toEqual(['have-local-offer', 'have-local-offer']);
    net.release();

    await Promise.all([stableWith(caller.pc, ['a0', 'a1', 'a2'], ['b0', 'b1']), stableWith(callee.pc, ['b0', 'b1'], ['a0', 'a1', 'a2'])]);
    expect(descriptionOps(caller.pc, mark1)).toEqual(['SLD offer', 'SLD rollback', 'SRD offer', 'SLD answer', 'SLD offer', 'SRD answer']);
    expect(descriptionOps(callee.pc, mark2)).toEqual(['SLD offer', 'SRD answer', 'SRD offer', 'SLD answer']);
    expect([caller.state, callee.state]).toEqual(['connected', 'connected']);
  });

  it('restarts ICE after the client reconnects: a new offer with new credentials, answered, candidates again', async () => {
    const { caller, callee } = await connectedCall();
    const [mark1, mark2] = [caller.pc.ops.length, callee.pc.ops.length];
    alice.reconnect();
    await caller.pc.until(() => descriptionOps(caller.pc, mark1).includes('SRD answer'));
    expect(descriptionOps(caller.pc, mark1)).toEqual(['SLD offer restart', 'SRD answer']);
    await callee.pc.until(() => callee.pc.remoteCandidates.some((c) => c?.usernameFragment === caller.pc.ufrag));
    expect(descriptionOps(callee.pc, mark2)).toEqual(['SRD offer restart', 'SLD answer']);
  });

  it('ignores signals relayed twice: each description applied once, one incoming call', async () => {
    net.duplicate = true;
    const { caller, callee } = await connectedCall();
    const applied = (pc: FakePeerConnection) => pc.ops.filter((op) => op.startsWith('SRD')).length;
    const sent = (who: FakeEndpoint) => who.sent.filter((s) => s.kind === 'offer' || s.kind === 'answer').length;
    expect(applied(callee.pc)).toBeGreaterThan(0);
    expect(applied(callee.pc)).toBeLessThanOrEqual(sent(alice));
    expect(applied(caller.pc)).toBeLessThanOrEqual(sent(bob));
    expect(calls).toHaveLength(2);
  });

  it('rings every device of the callee; the first to accept wins and the others stop ringing (answered_elsewhere)', async () => {
    const tablet = net.endpoint('bob', 'bob-tablet');
    const [phoneRings, tabletRings] = [ringing(bob), ringing(tablet)];
    const caller = outgoing(alice, 'bob');
    const invited = caller.invite();
    const [phone, other] = await Promise.all([phoneRings, tabletRings]);
    await reach(caller, 'ringing');
    expect(caller.reach).toEqual({ devices: 2, woken: false });
    caller.pc.addTrack('a0');
    phone.pc.addTrack('b0');
    await phone.accept();
    await invited;
    expect(await endOf(other)).toEqual({ reason: 'answered_elsewhere', by: 'remote' });
    expect(other.pc.ops.at(-1)).toBe('close');
    await Promise.all([reach(caller, 'connected'), stableWith(caller.pc, ['a0'], ['b0'])]);
  });

  it('tells the device that loses an accept race that it was answered elsewhere', async () => {
    const tablet = net.endpoint('bob', 'bob-tablet');
    const [phoneRings, tabletRings] = [ringing(bob), ringing(tablet)];
    const invited = outgoing(alice, 'bob').invite();
    const [phone, other] = await Promise.all([phoneRings, tabletRings]);
    const [won, lost] = await Promise.allSettled([phone.accept(), other.accept()]);
    expect(won.status).toBe('fulfilled');
    expect(lost).toMatchObject({ status: 'rejected', reason: { code: 'CALL_ENDED', end: { reason: 'answered_elsewhere' } } });
    await invited;
  });

  it('ends a call nobody answers as missed on both sides, and announces the missed call to the callee', async () => {
    const missed: MissedCall[] = [];
    onMissedCall(bob, (m) => missed.push(m));
    const incoming = ringing(bob);
    const caller = outgoing(alice, 'bob');
    const invited = caller.invite().catch((e: unknown) => e);
    const callee = await incoming;
    await reach(caller, 'ringing');
    net.timeout(caller.callId);
    expect(await invited).toMatchObject({ code: 'CALL_ENDED', end: { reason: 'missed', by: 'remote' } });
    expect(await endOf(callee)).toEqual({ reason: 'missed', by: 'remote' });
    expect(missed).toEqual([expect.objectContaining({ callId: caller.callId, caller: alice.sender, escalated: false })]);
    expect([caller.pc.signalingState, callee.pc.signalingState]).toEqual(['closed', 'closed']);
  });

  it('stops ringing by itself shortly after the end of the ring when the server`s word is lost', async () => {
    const timers = new ManualTimers();
    const incoming = ringing(bob, timers);
    void outgoing(alice, 'bob').invite().catch(() => {});
    const callee = await incoming;
    bob.online = false; // whatever the server says now does not arrive
    timers.advance(30_000);
    expect(callee.state).toBe('incoming');
    timers.advance(3_000);
    expect(callee.ended).toEqual({ reason: 'missed', by: 'local' });
  });

  it("ends a ring by itself by the server's clock, not the device's: a caller 60 s ahead still rings the whole window, then cancels", async () => {
    net.clockOffsetMs = -60_000; // the server's clock is a minute behind this phone's
    const timers = new ManualTimers();
    const incoming = ringing(bob);
    const caller = outgoing(alice, 'bob', { timers });
    const invited = caller.invite().catch((e: CallEndedError) => e.end);
    const callee = await incoming;
    await reach(caller, 'ringing');
    alice.online = false; // the server's `ended` will not reach the caller
    timers.advance(30_000);
    expect(caller.state).toBe('ringing');
    alice.online = true;
    timers.advance(3_000);
    expect(await invited).toEqual({ reason: 'missed', by: 'local' });
    // the server still rang it (its timeout was lost here): the caller's cancel stops the callee
    expect(alice.requests.at(-1)).toEqual({ type: 'cancel', callId: caller.callId });
    expect(await endOf(callee)).toEqual({ reason: 'cancelled', by: 'remote' });
  });

  it('hangs up a call it gave up ringing when the server says it was answered meanwhile (the word lost)', async () => {
    const timers = new ManualTimers();
    const incoming = ringing(bob);
    const caller = outgoing(alice, 'bob', { timers });
    const invited = caller.invite().catch((e: CallEndedError) => e.end);
    const callee = await incoming;
    await reach(caller, 'ringing');
    alice.online = false; // the `accepted` does not reach the caller
    await callee.accept();
    alice.online = true;
    timers.advance(33_000);
    expect(await invited).toEqual({ reason: 'missed', by: 'local' });
    expect(await endOf(callee)).toEqual({ reason: 'hangup', by: 'remote' });
    expect(alice.requests.slice(-2)).toEqual([
      { type: 'cancel', callId: caller.callId },
      { type: 'hangup', callId: caller.callId },
    ]);
  });

  it('ends for both when the callee rejects, and when the caller cancels', async () => {
    const incoming = ringing(bob);
    const caller = outgoing(alice, 'bob');
    const invited = caller.invite().catch((e: CallEndedError) => e.end);
    const callee = await incoming;
    callee.reject('busy');
    expect(callee.ended).toEqual({ reason: 'rejected', by: 'local', message: 'busy' });
    expect(await invited).toEqual({ reason: 'rejected', by: 'remote' });

    const again = ringing(bob);
    const second = outgoing(alice, 'bob');
    void second.invite().catch(() => {});
    const rings = await again;
    await reach(second, 'ringing');
    second.hangup();
    expect(second.ended).toEqual({ reason: 'cancelled', by: 'local' });
    expect(await endOf(rings)).toEqual({ reason: 'cancelled', by: 'remote' });
    expect(alice.requests.at(-1)).toEqual({ type: 'cancel', callId: second.callId });
  });

  it('ends as unavailable when the server refuses the invite', async () => {
    const caller = outgoing(alice, null, { circle: true });
    const error = (await caller.invite().catch((e: unknown) => e)) as CallEndedError;
    expect(error.end).toMatchObject({ reason: 'unavailable', by: 'local', error: { code: 'NO_CARE_CIRCLE' } });
  });

  it('hangs up for both; later signals of the call are ignored', async () => {
    const { caller, callee } = await connectedCall();
    caller.hangup('bye');
    expect(caller.ended).toEqual({ reason: 'hangup', by: 'local', message: 'bye' });
    expect(await endOf(callee)).toEqual({ reason: 'hangup', by: 'remote' });
    expect(callee.pc.ops.at(-1)).toBe('close');
    const delivered = new Promise((resolve) => bob.on('signal', (s) => s.signal.kind === 'offer' && resolve(s)));
    await alice.signal('user:bob', caller.callId, { kind: 'offer', sdp: 'late' });
    await delivered;
    expect(callee.pc.ops.at(-1)).toBe('close');
  });

  it("rings a patient's circle in order: escalated to the next caregiver, who answers", async () => {
    const carol = net.endpoint('carol');
    alice.circle = ['bob', 'carol'];
    const missed: MissedCall[] = [];
    onMissedCall(bob, (m) => missed.push(m));
    const [bobRings, carolRings] = [ringing(bob), ringing(carol)];
    const caller = outgoing(alice, null, { circle: true });
    caller.pc.addTrack('a0');
    const escalations: unknown[] = [];
    caller.on('escalated', (e) => escalations.push(e));
    const invited = caller.invite();
    const first = await bobRings;
    await reach(caller, 'ringing');
    expect(caller.peer).toBe('bob');
    net.timeout(caller.callId);
    expect(await endOf(first)).toEqual({ reason: 'missed', by: 'remote', escalated: true });
    const second = await carolRings;
    expect(escalations).toEqual([{ to: 'carol', reason: 'missed' }]);
    expect(caller.peer).toBe('carol');
    second.pc.addTrack('c0');
    await second.accept();
    await invited;
    await Promise.all([reach(caller, 'connected'), reach(second, 'connected')]);
    await stableWith(caller.pc, ['a0'], ['c0']);
    expect(missed).toEqual([expect.objectContaining({ callId: caller.callId, escalated: true })]);
  });

  it('turns two invites crossing (glare) into one call, and no second ring on the device that called back', async () => {
    const incomingAtBob: Call[] = [];
    onIncomingCall(bob, (c) => incomingAtBob.push(track(c)), { RTCPeerConnection: pcs.RTCPeerConnection });
    const fromAlice = outgoing(alice, 'bob');
    const fromBob = outgoing(bob, 'alice');
    fromAlice.pc.addTrack('a0');
    fromBob.pc.addTrack('b0');
    const aliceAccepted = fromAlice.invite();
    await reach(fromAlice, 'ringing');
    await fromBob.invite();
    await aliceAccepted;
    expect(fromBob.callId).toBe(fromAlice.callId);
    await Promise.all([reach(fromAlice, 'connected'), reach(fromBob, 'connected')]);
    // the invite that rang bob's device before it called back ended there, superseded
    for (const ringingHere of incomingAtBob) expect(ringingHere.ended).toMatchObject({ reason: 'answered_elsewhere' });
  });

  it("adds the server's TURN credentials to the ICE servers, and renews them on the peer connection", async () => {
    const turn = { urls: ['turn:turn.example:3478'], username: '1900000000:alice', credential: 'c1', ttlSeconds: 3600, expiresAt: 1_900_000_000_000 };
    alice.giveTurn(turn);
    const call = outgoing(alice, 'bob', { configuration: { iceServers: [{ urls: 'stun:stun.example:3478' }], iceTransportPolicy: 'relay' } });
    expect(call.pc.configuration).toEqual({
      iceTransportPolicy: 'relay',
      iceServers: [{ urls: 'stun:stun.example:3478' }, { urls: turn.urls, username: turn.username, credential: 'c1' }],
    });
    alice.giveTurn({ ...turn, username: '1900003600:alice', credential: 'c2' });
    expect(call.pc.configuration).toMatchObject({ iceServers: [{ urls: 'stun:stun.example:3478' }, { username: '1900003600:alice', credential: 'c2' }] });
    const plain = outgoing(alice, 'bob', { useServerTurn: false });
    expect(plain.pc.configuration).toEqual({ iceServers: [] });
    alice.giveTurn({ ...turn, credential: 'c3' });
    expect(plain.pc.configuration).toEqual({ iceServers: [] });
    expect(plain.pc.ops.filter((op) => op === 'setConfiguration')).toEqual([]);
  });

  it('reports a peer connection that refuses renewed TURN credentials as an error, and the call goes on', async () => {
    const { caller } = await connectedCall();
    caller.pc.setConfiguration = () => {
      throw new Error('InvalidModificationError');
    };
    alice.giveTurn({ urls: ['turn:turn.example:3478'], username: '1900000000:alice', credential: 'c1', ttlSeconds: 3600, expiresAt: 1_900_000_000_000 });
    expect(errors).toEqual([new Error('InvalidModificationError')]);
    errors.length = 0;
    expect(caller.state).toBe('connected');
  });
});
