/**
 * CallSession's call control and negotiation state machine, between two sessions over an
 * in-memory signaling network (support/fake-signaling.ts) with fake peer connections
 * (support/fake-peer-connection.ts). The same against real nodes: call-cluster.test.ts; with
 * real WebRTC in Chromium: test/e2e/call.test.ts.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CallEndedError, type CallOptions, CallSession, type CallState, onIncomingCall } from '../src/index.ts';
import { type FakePeerConnection, fakePeerConnections } from './support/fake-peer-connection.ts';
import { type FakeEndpoint, FakeSignalingNetwork } from './support/fake-signaling.ts';
import { ManualTimers } from './support/manual-timers.ts';

type Call = CallSession<FakePeerConnection>;

/** Resolves when `call` is in `state` (at once if it is). */
const reach = (call: Call, state: CallState): Promise<void> =>
  call.state === state ? Promise.resolve() : new Promise((resolve) => call.on('state', (s) => s.state === state && resolve()));

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
  const outgoing = (from: FakeEndpoint, peer: string, options: Partial<CallOptions<FakePeerConnection>> = {}): Call =>
    track(new CallSession(from, { peer, RTCPeerConnection: pcs.RTCPeerConnection, ...options }));
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

  it('sets a call up: invite, ringing, accept, then offer/answer and candidates both ways, to connected', async () => {
    const incoming = ringing(bob);
    const caller = outgoing(alice, 'bob', { media: 'video' });
    const states: string[] = [];
    caller.on('state', (s) => states.push(s.state));
    caller.pc.addTrack('a0'); // before the invite: nothing is offered until the call is accepted
    const invited = caller.invite();
    const callee = await incoming;
    expect(callee).toMatchObject({ state: 'incoming', direction: 'incoming', peer: 'alice', callId: caller.callId, media: 'video' });
    await reach(caller, 'ringing');
    expect(caller.pc.ops).toEqual([]);

    callee.pc.addTrack('b0');
    await callee.accept();
    await invited;
    await Promise.all([reach(caller, 'connected'), reach(callee, 'connected')]);
    await Promise.all([stableWith(caller.pc, ['a0'], ['b0']), stableWith(callee.pc, ['b0'], ['a0'])]);
    expect(states).toEqual(['inviting', 'ringing', 'connecting', 'connected']);
    // trickled both ways, each ending with the end-of-candidates marker
    await Promise.all([caller.pc, callee.pc].map((pc) => pc.until(() => pc.remoteCandidates.filter((c) => c !== null).length >= 2 && pc.remoteCandidates.includes(null))));
    expect(alice.sent.map((s) => s.kind)).toContain('ice');
    expect(bob.sent.map((s) => s.kind).slice(0, 2)).toEqual(['ringing', 'accept']);
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
    // polite: drops its offer and answers; what the answer could not carry (a2) goes in an offer of its own
    expect(descriptionOps(caller.pc, mark1)).toEqual(['SLD offer', 'SLD rollback', 'SRD offer', 'SLD answer', 'SLD offer', 'SRD answer']);
    // impolite: keeps its offer, ignores the colliding one, gets its answer, then answers the new one
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
    await caller.pc.until(() => caller.pc.remoteCandidates.some((c) => c?.usernameFragment === callee.pc.ufrag));
    expect(callee.pc.ufrag).not.toBe(`${callee.pc.id}-u1`);
    expect(caller.pc.ufrag).not.toBe(`${caller.pc.id}-u1`);
  });

  it('ignores signals relayed twice: one incoming call, each description applied once', async () => {
    net.duplicate = true;
    const { caller, callee } = await connectedCall();
    // every offer and answer arrived twice; each was applied at most once (the rest raised nothing)
    const applied = (pc: FakePeerConnection) => pc.ops.filter((op) => op.startsWith('SRD')).length;
    const sent = (who: FakeEndpoint) => who.sent.filter((s) => s.kind === 'offer' || s.kind === 'answer').length;
    expect(applied(callee.pc)).toBeGreaterThan(0);
    expect(applied(callee.pc)).toBeLessThanOrEqual(sent(alice));
    expect(applied(caller.pc)).toBeLessThanOrEqual(sent(bob));
    expect(calls).toHaveLength(2); // the repeated invite did not ring again
  });

  it('ends on a timeout when nobody accepts: the caller hangs up, the callee stops ringing', async () => {
    const timers = new ManualTimers();
    const incoming = ringing(bob);
    const caller = outgoing(alice, 'bob', { timers, ringTimeoutMs: 10_000 });
    const invited = caller.invite().catch((e: unknown) => e);
    const callee = await incoming;
    const calleeEnded = new Promise((resolve) => callee.on('ended', resolve));
    timers.advance(10_000);
    const error = await invited;
    expect(error).toBeInstanceOf(CallEndedError);
    expect(error).toMatchObject({ code: 'CALL_ENDED', end: { reason: 'timeout', by: 'local' } });
    expect(await calleeEnded).toEqual({ reason: 'hangup', by: 'remote', message: 'timeout' });
    expect([caller.pc.signalingState, callee.pc.signalingState]).toEqual(['closed', 'closed']);
  });

  it('rejects for the callee when its own ring times out', async () => {
    const timers = new ManualTimers();
    const incoming = ringing(bob, timers);
    const caller = outgoing(alice, 'bob');
    const invited = caller.invite().catch((e: CallEndedError) => e.end);
    const callee = await incoming;
    timers.advance(30_000);
    expect(callee.ended).toEqual({ reason: 'timeout', by: 'local' });
    expect(await invited).toEqual({ reason: 'rejected', by: 'remote', message: 'timeout' });
  });

  it('ends for both when the callee rejects, with its reason', async () => {
    const incoming = ringing(bob);
    const caller = outgoing(alice, 'bob');
    const invited = caller.invite().catch((e: CallEndedError) => e.end);
    (await incoming).reject('busy');
    expect(await invited).toEqual({ reason: 'rejected', by: 'remote', message: 'busy' });
    expect(caller.state).toBe('ended');
  });

  it('ends as unavailable when the peer has no session to ring', async () => {
    const caller = outgoing(alice, 'nobody');
    const error = (await caller.invite().catch((e: unknown) => e)) as CallEndedError;
    expect(error.end).toMatchObject({ reason: 'unavailable', by: 'local', error: { code: 'PEER_UNAVAILABLE' } });
  });

  it('ends as unavailable when the caller is gone by the time the callee accepts', async () => {
    const incoming = ringing(bob);
    const caller = outgoing(alice, 'bob');
    void caller.invite().catch(() => {});
    const callee = await incoming;
    alice.online = false; // no session of alice left to reach
    const error = (await callee.accept().catch((e: unknown) => e)) as CallEndedError;
    expect(error).toBeInstanceOf(CallEndedError);
    expect(callee.ended).toMatchObject({ reason: 'unavailable', by: 'local', error: { code: 'PEER_UNAVAILABLE' } });
  });

  it('hangs up for both; later signals of the call are ignored', async () => {
    const { caller, callee } = await connectedCall();
    const ended = new Promise((resolve) => callee.on('ended', resolve));
    caller.hangup('bye');
    expect(caller.ended).toEqual({ reason: 'hangup', by: 'local', message: 'bye' });
    expect(await ended).toEqual({ reason: 'hangup', by: 'remote', message: 'bye' });
    expect(callee.pc.ops.at(-1)).toBe('close');
    const delivered = new Promise((resolve) => bob.on('signal', (s) => s.signal.kind === 'offer' && resolve(s)));
    await alice.signal('user:bob', caller.callId, { kind: 'offer', sdp: 'late' });
    await delivered;
    expect(callee.pc.ops.at(-1)).toBe('close');
  });

  it('keeps the first device that accepts; a second device that accepts later is ignored', async () => {
    const tablet = net.endpoint('bob', 'bob-tablet');
    const [phoneRings, tabletRings] = [ringing(bob), ringing(tablet)];
    const caller = outgoing(alice, 'bob');
    caller.pc.addTrack('a0');
    const invited = caller.invite();
    const [phone, late] = await Promise.all([phoneRings, tabletRings]);
    await phone.accept();
    await invited;
    await reach(caller, 'connected');
    await stableWith(caller.pc, ['a0'], []);
    const mark = caller.pc.ops.length;
    // the tablet answers the caller's offer it held while ringing: the caller ignores it
    const tabletAnswer = new Promise((resolve) => alice.on('signal', (s) => s.from.sessionId === 'bob-tablet' && s.signal.kind === 'answer' && resolve(s)));
    late.pc.addTrack('t0');
    await late.accept();
    await tabletAnswer;
    expect(descriptionOps(caller.pc, mark)).toEqual([]);
    expect(caller.state).toBe('connected');
  });
});
