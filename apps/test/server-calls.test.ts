/**
 * ServerCalls (apps/src/call/server-calls.ts) on a fake client: what a CallSession above it
 * hears for the server's answers and `call` frames. The fake client has the SDK's coming
 * `call()` method (branch `calls`), so the requests go there; the browser test
 * (test/e2e/apps.test.ts) runs the same code against real nodes. Extend `FakeClient` with more
 * of TetherClient as cases need it.
 */
import { describe, expect, it } from 'vitest';
import type { TetherClient } from '@tether/client';
import type { CallDelivery, CallResult, SignalDelivery } from '../../src/protocol/index.ts';
import { type EndedCall, type IncomingCall, ServerCalls } from '../src/call/server-calls.ts';

const carol = { userId: 'carol', role: 'caregiver', sessionId: 's-carol' };
const pat = { userId: 'pat', role: 'patient', sessionId: 's-pat-phone' };

class FakeClient {
  readonly welcome;
  readonly requests: Array<Record<string, unknown>> = [];
  readonly relayed: Array<{ to: string; callId: string; kind: string }> = [];
  answer: (request: Record<string, unknown>) => CallResult = () => ({ callId: 'x', state: 'ringing' });
  private readonly listeners = new Map<string, Set<(value: unknown) => void>>();

  constructor(me: typeof carol) {
    this.welcome = { user: { id: me.userId, role: me.role }, sessionId: me.sessionId };
  }

  on(event: string, listener: (value: unknown) => void) {
    const set = this.listeners.get(event) ?? new Set();
    this.listeners.set(event, set);
    set.add(listener);
    return () => set.delete(listener);
  }

  emit(event: string, value: unknown) {
    this.listeners.get(event)?.forEach((listener) => listener(value));
  }

  async call(request: Record<string, unknown>): Promise<CallResult> {
    this.requests.push(request);
    return this.answer(request);
  }

  async signal(to: string, callId: string, body: { kind: string }) {
    this.relayed.push({ to, callId, kind: body.kind });
    return { queued: false };
  }
}

function frame(event: CallDelivery['event'], fields: Partial<CallDelivery> = {}): CallDelivery {
  return { type: 'call', seq: 1, channel: 'user:pat', ts: 1_000, callId: 'c1', event, kind: 'call', media: 'audio', caller: carol, callee: 'pat', ...fields };
}

function start(me: typeof carol) {
  const client = new FakeClient(me);
  const server = new ServerCalls(client as unknown as TetherClient, () => 1_000);
  const heard: SignalDelivery[] = [];
  const incoming: IncomingCall[] = [];
  const ended: EndedCall[] = [];
  server.on('signal', (delivery) => heard.push(delivery));
  server.onIncoming((call) => incoming.push(call));
  server.onEnded((call) => ended.push(call));
  return { client, server, heard, incoming, ended };
}

describe('server-side calls under a CallSession', () => {
  it('rings once per call id, for the server ring window, and stops when another device answers', () => {
    const { client, heard, incoming, ended } = start(pat);
    client.emit('call', frame('invite', { ringUntil: 46_000 }));
    client.emit('call', frame('invite', { ringUntil: 46_000 })); // again, as after a reconnect
    expect(incoming).toEqual([{ callId: 'c1', caller: carol, media: 'audio', kind: 'call', ringMs: 45_000, accepted: false }]);
    client.emit('call', frame('answered_elsewhere', { answeredBy: { ...pat, sessionId: 's-pat-tablet' } }));
    expect(heard.map((d) => [d.callId, d.from.userId, d.signal])).toEqual([['c1', 'carol', { kind: 'hangup', reason: 'answered_elsewhere' }]]);
    expect(ended.map((c) => [c.callId, c.peer, c.direction, c.reason])).toEqual([['c1', 'carol', 'incoming', 'answered_elsewhere']]);
  });

  it('turns an invite into a request, the ack into ringing, the accepted frame into the accept, and relays media only', async () => {
    const { client, server, heard } = start(carol);
    client.answer = () => ({ callId: 'c1', state: 'ringing', to: 'pat', ringUntil: 46_000, devices: 2, woken: false });
    await server.signal('user:pat', 'c1', { kind: 'invite', media: 'audio' });
    expect(client.requests).toEqual([{ type: 'invite', to: 'pat', callId: 'c1', media: 'audio' }]);
    client.emit('call', frame('accepted', { channel: 'user:carol', answeredBy: pat }));
    expect(heard.map((d) => [d.from.sessionId, d.signal.kind])).toEqual([
      ['server', 'ringing'],
      ['s-pat-phone', 'accept'],
    ]);
    await server.signal('user:pat', 'c1', { kind: 'offer', sdp: 'v=0' });
    await server.signal('user:pat', 'c1', { kind: 'ringing' });
    expect(client.relayed).toEqual([{ to: 'user:pat', callId: 'c1', kind: 'offer' }]);
    // a control signal a peer sends itself is not the server's word: ignored
    client.emit('signal', { type: 'signal', seq: 2, channel: 'user:carol', from: pat, ts: 1, callId: 'c1', signal: { kind: 'hangup' } });
    client.emit('signal', { type: 'signal', seq: 3, channel: 'user:carol', from: pat, ts: 1, callId: 'c1', signal: { kind: 'answer', sdp: 'v=0' } });
    expect(heard.map((d) => d.signal.kind)).toEqual(['ringing', 'accept', 'answer']);
    server.stop();
  });

  it('ends as the server says: declined as a reject, missed as a hangup with the reason; its own ring timeout sends nothing', async () => {
    const { client, server, heard, ended } = start(carol);
    client.answer = (r) => ({ callId: String(r.callId), state: 'ringing', ringUntil: 46_000 });
    await server.signal('user:pat', 'c1', { kind: 'invite', media: 'audio' });
    await server.signal('user:pat', 'c2', { kind: 'invite', media: 'audio' });
    client.emit('call', frame('ended', { channel: 'user:carol', reason: 'declined', from: pat }));
    client.emit('call', frame('ended', { channel: 'user:carol', callId: 'c2', reason: 'missed' }));
    expect(heard.filter((d) => d.signal.kind !== 'ringing').map((d) => [d.callId, d.signal])).toEqual([
      ['c1', { kind: 'reject', reason: 'declined' }],
      ['c2', { kind: 'hangup', reason: 'missed' }],
    ]);
    expect(ended.map((c) => [c.callId, c.direction, c.reason])).toEqual([
      ['c1', 'outgoing', 'declined'],
      ['c2', 'outgoing', 'missed'],
    ]);
    await server.signal('user:pat', 'c3', { kind: 'hangup', reason: 'timeout' });
    expect(client.requests.map((r) => r.type)).toEqual(['invite', 'invite']);
    server.stop();
  });

  it('on glare, ends its own call and hands over the peer\'s, already accepted, without a second accept', async () => {
    const { client, server, heard, incoming } = start(carol);
    client.answer = () => ({ callId: 'theirs', state: 'accepted', to: 'pat', glare: true });
    await server.signal('user:pat', 'mine', { kind: 'invite', media: 'audio' });
    expect(heard.map((d) => [d.callId, d.from.userId, d.signal])).toEqual([['mine', 'pat', { kind: 'hangup', reason: 'glare' }]]);
    expect(incoming.map((c) => [c.callId, c.caller.userId, c.accepted])).toEqual([['theirs', 'pat', true]]);
    await server.signal('user:pat', 'theirs', { kind: 'accept' });
    expect(client.requests.map((r) => r.type)).toEqual(['invite']);
    // the peer's invite of that call, arriving late, does not ring
    client.emit('call', frame('invite', { channel: 'user:carol', callId: 'theirs', caller: pat, callee: 'carol', ringUntil: 46_000 }));
    expect(incoming).toHaveLength(1);
  });

  it('joins an SOS when a caregiver takes it, with the media that came first', async () => {
    const { client, server, heard } = start(pat);
    client.answer = () => ({ callId: 'sos1', state: 'ringing', to: 'carol', ringUntil: 21_000, alertId: 'a1' });
    const taken: string[] = [];
    server.onSosAnswered(({ callId, peer }) => taken.push(`${callId} by ${peer.userId}`));
    await server.sos();
    client.emit('signal', { type: 'signal', seq: 2, channel: 'user:pat', from: carol, ts: 1, callId: 'sos1', signal: { kind: 'offer', sdp: 'v=0' } });
    client.emit('call', frame('accepted', { callId: 'sos1', kind: 'sos', caller: pat, callee: 'carol', answeredBy: carol }));
    expect(taken).toEqual(['sos1 by carol']);
    expect(heard.map((d) => d.signal.kind)).toEqual(['offer']);
    await server.signal('user:carol', 'sos1', { kind: 'invite', media: 'audio' });
    await Promise.resolve();
    expect(heard.map((d) => [d.from.userId, d.signal.kind])).toEqual([
      ['carol', 'offer'],
      ['carol', 'accept'],
    ]);
    expect(client.requests).toEqual([{ type: 'sos' }]);
  });
});
