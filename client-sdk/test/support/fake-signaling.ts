/**
 * An in-memory stand-in for Tether between CallSessions in unit tests: each `endpoint(userId)`
 * is a CallSignaling (what a CallSession needs of a TetherClient).
 * - `signal()` validates the body with the protocol schema and delivers it to every endpoint of
 *   the target user, in order, on a later task; a user with no endpoint gets PEER_UNAVAILABLE.
 * - `call()` keeps server-side calls with the server's own state machine (src/calls/call-rules.ts)
 *   and sends `call` frames to the parties' endpoints as the server does (not to the endpoint
 *   whose request made the change). Ring timeouts happen when the test says: `timeout(callId)`.
 * - `hold()` / `release()` stop and restart delivery, so a test can have both sides send before
 *   either receives (glare); `duplicate` delivers every signal twice, as a request relayed twice
 *   across a reconnect would be. `reconnect()` emits a new `welcome`; `giveTurn()` new TURN
 *   credentials.
 * Against the real server, use TetherClients on the in-process cluster instead.
 */
import * as rules from '../../../src/calls/call-rules.ts';
import type { CallRecord, Change, Transition } from '../../../src/calls/call-store.ts';
import {
  type CallDelivery,
  type CallEvent,
  type CallResult,
  type SignalDelivery,
  SignalBody,
  type TurnCredentials,
  type Welcome,
} from '../../../src/protocol/index.ts';
import { Emitter, type Listener } from '../../src/emitter.ts';
import { type CallRequestInput, type CallSignaling, RequestError, type SignalInput, type SignalTarget, type TetherEvents } from '../../src/index.ts';

const RING_MS = 30_000;

export class FakeSignalingNetwork {
  /** deliver every signal twice */
  duplicate = false;
  /** the calls, as the server keeps them */
  readonly calls = new Map<string, CallRecord>();
  /** the server's clock ahead of the endpoints' (negative: behind), ms */
  clockOffsetMs = 0;
  private readonly endpoints: FakeEndpoint[] = [];
  private readonly queue: Array<() => void> = [];
  private held = false;
  private scheduled = false;
  private waiters: Array<{ count: number; resolve: () => void }> = [];

  endpoint(userId: string, sessionId = `${userId}-s${this.endpoints.length + 1}`): FakeEndpoint {
    const endpoint = new FakeEndpoint(this, userId, sessionId);
    this.endpoints.push(endpoint);
    return endpoint;
  }

  /** Frames waiting for delivery. */
  get pending(): number {
    return this.queue.length;
  }

  hold(): void {
    this.held = true;
  }

  release(): void {
    this.held = false;
    this.schedule();
  }

  /** Resolves once at least `count` frames wait (use with `hold()`). */
  whenPending(count: number): Promise<void> {
    if (this.queue.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ count, resolve }));
  }

  /** The server's ring timeout for `callId`, now: missed, or the next of a circle. */
  timeout(callId: string): void {
    const call = this.calls.get(callId)!;
    const change = rules.timeout(call, rules.deadline(call)!);
    if (change) this.changed(change, null);
  }

  /** @internal used by endpoints */
  route(from: FakeEndpoint, to: SignalTarget, callId: string, signal: SignalInput): Promise<{ queued: boolean }> {
    const body = SignalBody.parse(signal); // what the server would refuse fails the test
    const userId = to.slice(to.indexOf(':') + 1);
    const targets = this.online(userId);
    if (targets.length === 0) return Promise.reject(error('PEER_UNAVAILABLE', `${userId} is not connected`, true));
    for (const target of targets) {
      const copies = this.duplicate ? 2 : 1;
      for (let i = 0; i < copies; i++) this.push(() => target.deliver({ channel: to, from: from.sender, callId, signal: body }));
    }
    return Promise.resolve({ queued: false });
  }

  /** @internal a call request, answered as the server's call service answers it */
  request(from: FakeEndpoint, request: CallRequestInput): Promise<CallResult> {
    const now = this.now();
    if (request.type === 'invite' || request.type === 'sos') {
      const callees = request.type === 'invite' && request.to ? [request.to] : from.circle;
      if (callees.length === 0) return Promise.reject(error('NO_CARE_CIRCLE', 'nobody in your circle'));
      const callId = request.callId ?? `call-${this.calls.size + 1}`;
      const crossing = [...this.calls.values()].find((c) => c.state === 'ringing' && c.callee === from.userId && c.caller.userId === callees[0]);
      if (crossing) {
        const accepted = rules.accept(from.sender)(crossing, now) as Change;
        this.changed(accepted, from);
        return Promise.resolve({ ...result(accepted.call, now), glare: true });
      }
      const call = rules.newRecord(
        { callId, kind: request.type === 'sos' ? 'sos' : 'call', media: request.media ?? 'audio', caller: from.sender, callees, ringMs: RING_MS, stepMs: RING_MS, maxMs: 3_600_000, keepMs: 60_000, alertId: null },
        now,
      );
      this.calls.set(callId, call);
      const devices = this.tell(call, 'invite', call.callee, from);
      return Promise.resolve({ ...result(call, now), devices, woken: false });
    }
    const call = this.calls.get(request.callId);
    if (!call) return Promise.reject(error('CALL_NOT_FOUND', 'no such call'));
    const rule =
      request.type === 'accept' ? rules.accept(from.sender) : request.type === 'reject' ? rules.reject(from.userId) : request.type === 'cancel' ? rules.cancel(from.userId) : rules.hangup(from.userId);
    const outcome: Transition = rule(call, now);
    switch (outcome.kind) {
      case 'accepted':
      case 'ended':
      case 'escalated':
        this.changed(outcome, from);
        return Promise.resolve(result(outcome.call, now));
      case 'not_found':
        return Promise.reject(error('CALL_NOT_FOUND', 'no such call'));
      case 'forbidden':
        return Promise.reject(error('FORBIDDEN', 'not yours'));
      case 'already_ended':
        return Promise.reject(error('CALL_ENDED', 'ended', false, { reason: outcome.call.reason }));
      case 'already_answered':
        return Promise.reject(error('CALL_ALREADY_ANSWERED', 'answered', false, { answeredBy: outcome.call.answeredBy?.sessionId }));
    }
  }

  /** Sends what follows a change, as src/calls/call-effects.ts does. */
  private changed(change: Change, actor: FakeEndpoint | null): void {
    const { call } = change;
    this.calls.set(call.callId, call);
    if (change.kind === 'accepted') {
      this.tell(call, 'accepted', call.caller.userId, actor);
      this.tell(call, 'answered_elsewhere', call.callee, actor);
    } else if (change.kind === 'ended') {
      this.tell(call, 'ended', call.caller.userId, actor);
      this.tell(call, 'ended', call.callee, actor);
    } else {
      this.tell(call, 'escalated', call.caller.userId, actor, change.left.reason);
      this.tell(call, 'escalated', change.left.callee, actor, change.left.reason);
      this.tell(call, 'invite', call.callee, null);
    }
  }

  /** Queues a `call` frame to every online endpoint of `userId` but the actor; returns how many. */
  private tell(call: CallRecord, event: CallEvent, userId: string, actor: FakeEndpoint | null, reason?: 'missed' | 'declined'): number {
    const targets = this.online(userId).filter((e) => e !== actor);
    const frame: Omit<CallDelivery, 'seq'> = {
      type: 'call',
      channel: `user:${userId}`,
      ...(actor && { from: actor.sender }),
      ts: this.now(),
      callId: call.callId,
      event,
      kind: call.kind,
      media: call.media,
      caller: call.caller,
      callee: call.callee,
      ...(call.state === 'ringing' && { ringUntil: call.ringUntil }),
      ...(call.answeredBy && { answeredBy: call.answeredBy }),
      ...((reason ?? call.reason) && { reason: reason ?? call.reason! }),
    };
    for (const target of targets) this.push(() => target.deliverCall(frame));
    return targets.length;
  }

  private now(): number {
    return Date.now() + this.clockOffsetMs;
  }

  private online(userId: string): FakeEndpoint[] {
    return this.endpoints.filter((e) => e.userId === userId && e.online);
  }

  private push(delivery: () => void): void {
    this.queue.push(delivery);
    this.waiters = this.waiters.filter((w) => (this.queue.length >= w.count ? (w.resolve(), false) : true));
    this.schedule();
  }

  private schedule(): void {
    if (this.held || this.scheduled || this.queue.length === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      while (!this.held && this.queue.length > 0) this.queue.shift()!();
    });
  }
}

function result(call: CallRecord, ts: number): CallResult {
  return { callId: call.callId, ts, state: call.state, to: call.callee, ...(call.state === 'ringing' && { ringUntil: call.ringUntil }), ...(call.reason && { reason: call.reason }) };
}

function error(code: string, message: string, retryable = false, details?: Record<string, unknown>): RequestError {
  return new RequestError({ type: 'error', id: 'fake', code: code as never, message, retryable, ...(details && { details }) });
}

export class FakeEndpoint implements CallSignaling {
  readonly userId: string;
  welcome: Welcome;
  online = true;
  turn: TurnCredentials | null = null;
  /** who a circle call or SOS from this user rings, in order */
  circle: string[] = [];
  /** every signal this endpoint sent, in order */
  readonly sent: Array<{ to: string; callId: string; kind: string }> = [];
  /** every call request this endpoint made, in order */
  readonly requests: CallRequestInput[] = [];
  private readonly network: FakeSignalingNetwork;
  private readonly events = new Emitter<TetherEvents>();
  private seq = 0;

  constructor(network: FakeSignalingNetwork, userId: string, sessionId: string) {
    this.network = network;
    this.userId = userId;
    this.welcome = {
      type: 'welcome',
      sessionId,
      nodeId: 'fake',
      user: { id: userId, role: 'caregiver' },
      subscriptions: [`user:${userId}`],
      heartbeatMs: 25_000,
      staleAfterMs: 60_000,
      resume: null,
      limits: { maxFrameBytes: 65_536, ratePerSecond: 50, rateBurst: 100, maxSubscriptions: 100 },
    };
  }

  get sender(): SignalDelivery['from'] {
    return { userId: this.userId, role: this.welcome.user.role, sessionId: this.welcome.sessionId };
  }

  on<K extends 'signal' | 'welcome' | 'call' | 'turn'>(event: K, listener: Listener<TetherEvents[K]>): () => void {
    return this.events.on(event, listener);
  }

  signal(to: SignalTarget, callId: string, signal: SignalInput): Promise<{ queued: boolean }> {
    this.sent.push({ to, callId, kind: signal.kind });
    return this.network.route(this, to, callId, signal);
  }

  call(request: CallRequestInput): Promise<CallResult> {
    this.requests.push(request);
    if (!this.online) return Promise.reject(error('CONNECTION_CLOSED', 'offline', true));
    return this.network.request(this, request);
  }

  /** A reconnect: a new welcome (same session, as after a resume). */
  reconnect(): void {
    this.events.emit('welcome', { ...this.welcome, resumed: { ok: true, replayed: 0 } });
  }

  /** New TURN credentials, as a welcome or a renewal brings them. */
  giveTurn(turn: TurnCredentials): void {
    this.turn = turn;
    this.events.emit('turn', turn);
  }

  /** @internal */
  deliver(frame: Omit<SignalDelivery, 'type' | 'seq' | 'ts'>): void {
    if (this.online) this.events.emit('signal', { type: 'signal', seq: ++this.seq, ts: Date.now(), ...frame });
  }

  /** @internal */
  deliverCall(frame: Omit<CallDelivery, 'seq'>): void {
    if (this.online) this.events.emit('call', { ...frame, seq: ++this.seq });
  }
}
