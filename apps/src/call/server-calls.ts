import type { CallSignaling, Listener, SignalDelivery, SignalInput, SignalTarget, TetherClient, TetherEvents } from '@tether/client';
import type { CallDelivery, CallEndReason, CallResult, Sender } from '../../../src/protocol/index.ts';
import { type CallRequest, callRequest } from './call-requests.ts';

/**
 * Server-side calls (docs/protocol.md, section 15) under the SDK's CallSession, until the SDK
 * drives them itself (branch `calls`). A CallSession built on this `CallSignaling` keeps doing
 * what it does well (perfect negotiation of the media, ICE restarts after a reconnect), while
 * the call's control goes through the server:
 *
 * - the session's control signals become requests: `invite` → `invite`, `accept` → `accept`,
 *   `reject` → `reject`, `hangup` → `hangup` (the server makes a ringing caller's hangup a
 *   cancel); its `ringing` is dropped (the server rang), and so is a reject or hangup for its own
 *   ring timeout (the server times rings out itself and says so);
 * - `call` frames become the control signals a session understands, from the peer: `accepted` →
 *   `accept`, `ended` → `reject` (declined) or `hangup` with the server's end reason as its
 *   reason, `answered_elsewhere` → `hangup` with reason `answered_elsewhere`;
 * - media signals (offer, answer, ice) pass through both ways; control signals peers send
 *   themselves are ignored (the server's word counts).
 *
 * Invites are announced with `onIncoming` (one per call id), ends with `onEnded` (the server's
 * reason, for every call this user was part of). A device rings until `ringUntil` at most, even if
 * it hears nothing more (events are at most once); an outgoing call likewise gives up
 * RING_GRACE_MS after the server's `ringUntil`.
 */

/** ms past the server's `ringUntil` a device waits for the server's word before it gives up by itself */
export const RING_GRACE_MS = 3_000;

/** Why a call ended, as this user hears it: the server's reason, or another of its devices answered. */
export type EndReason = CallEndReason | 'answered_elsewhere';

export interface IncomingCall {
  callId: string;
  caller: Sender;
  media: 'audio' | 'video';
  kind: 'call' | 'sos';
  /** ms the server rings this device for */
  ringMs: number;
  /** glare: this user's own invite accepted this call; answer it without ringing */
  accepted: boolean;
}

export interface EndedCall {
  callId: string;
  /** the other party */
  peer: string;
  direction: 'incoming' | 'outgoing';
  kind: 'call' | 'sos';
  reason: EndReason;
  /** server time, ms */
  endedAt: number;
  durationMs: number;
}

/** An SOS this device sent, answered by a caregiver: the patient's side of the call starts here. */
export interface SosAnswered {
  callId: string;
  /** the caregiver who took it */
  peer: Sender;
}

interface Known {
  peer: string;
  direction: 'incoming' | 'outgoing';
  kind: 'call' | 'sos';
  /** the peer's session that invited or accepted, for the signals made up from frames */
  peerSender: Sender;
  ringTimer?: ReturnType<typeof setTimeout>;
  /** accepted on the server already (glare, or an SOS answered) */
  accepted: boolean;
}

const SEEN_LIMIT = 1_000;
const MEDIA = new Set(['offer', 'answer', 'ice']);

export class ServerCalls implements CallSignaling {
  private readonly signalListeners = new Set<Listener<SignalDelivery>>();
  private readonly incomingListeners = new Set<(call: IncomingCall) => void>();
  private readonly endedListeners = new Set<(call: EndedCall) => void>();
  private readonly sosListeners = new Set<(call: SosAnswered) => void>();
  private readonly known = new Map<string, Known>();
  /** SOS calls this device sent that no caregiver answered yet */
  private readonly sosPending = new Set<string>();
  /** media signals of a pending SOS that came before its `accepted` frame, for the session made then */
  private readonly heldSos = new Map<string, SignalDelivery[]>();
  private readonly seen = new Set<string>();
  private readonly off: Array<() => void>;

  constructor(
    private readonly client: TetherClient,
    /** the server's clock (ServerClock.now), for `ringUntil` */
    private readonly serverNow: () => number,
  ) {
    this.off = [
      client.on('signal', (delivery) => {
        if (!MEDIA.has(delivery.signal.kind)) return;
        if (this.known.has(delivery.callId)) this.emitSignal(delivery);
        else if (this.sosPending.has(delivery.callId)) this.heldSos.set(delivery.callId, [...(this.heldSos.get(delivery.callId) ?? []), delivery].slice(-200));
      }),
      client.on('call', (frame) => this.frame(frame)),
    ];
  }

  get welcome() {
    return this.client.welcome;
  }

  on<K extends 'signal' | 'welcome'>(event: K, listener: Listener<TetherEvents[K]>): () => void {
    if (event === 'welcome') return this.client.on('welcome', listener as Listener<TetherEvents['welcome']>);
    const signal = listener as Listener<SignalDelivery>;
    this.signalListeners.add(signal);
    return () => this.signalListeners.delete(signal);
  }

  onIncoming(listener: (call: IncomingCall) => void): () => void {
    return subscribe(this.incomingListeners, listener);
  }

  onEnded(listener: (call: EndedCall) => void): () => void {
    return subscribe(this.endedListeners, listener);
  }

  onSosAnswered(listener: (call: SosAnswered) => void): () => void {
    return subscribe(this.sosListeners, listener);
  }

  /** Asks the care circle for help (patients): an escalating call and an SOS alert. */
  async sos(): Promise<CallResult> {
    const result = await callRequest(this.client, { type: 'sos' });
    if (result.state === 'ringing') this.sosPending.add(result.callId);
    return result;
  }

  /** The CallSession's signals: control as requests, media relayed. */
  async signal(to: SignalTarget, callId: string, body: SignalInput): Promise<{ queued: boolean }> {
    const peer = to.slice(to.indexOf(':') + 1);
    switch (body.kind) {
      case 'offer':
      case 'answer':
      case 'ice':
        return this.client.signal(to, callId, body);
      case 'ringing':
        return { queued: false };
      case 'invite':
        await this.invite(peer, callId, body.media ?? 'audio');
        return { queued: false };
      case 'accept': {
        const known = this.known.get(callId);
        if (!known?.accepted) await this.request({ type: 'accept', callId });
        if (known) known.accepted = true;
        this.stopRing(callId);
        return { queued: false };
      }
      case 'reject':
        if (body.reason !== 'timeout') await this.request({ type: 'reject', callId, ...(body.reason ? { reason: body.reason } : {}) });
        return { queued: false };
      case 'hangup':
        if (body.reason !== 'timeout') await this.request({ type: 'hangup', callId, ...(body.reason ? { reason: body.reason } : {}) });
        return { queued: false };
    }
  }

  stop(): void {
    this.off.forEach((off) => off());
    for (const callId of this.known.keys()) this.stopRing(callId);
  }

  private async invite(peer: string, callId: string, media: 'audio' | 'video'): Promise<void> {
    const known = this.known.get(callId);
    if (known?.accepted) {
      // an answered SOS: the session starts as if its invite had just been accepted
      queueMicrotask(() => this.emitControl(callId, { kind: 'accept' }));
      return;
    }
    const me = this.client.welcome?.user;
    this.known.set(callId, { peer, direction: 'outgoing', kind: 'call', peerSender: { userId: peer, role: me?.role === 'patient' ? 'caregiver' : 'patient', sessionId: 'server' }, accepted: false });
    const result = await this.request({ type: 'invite', to: peer, callId, media });
    if (result.glare) {
      // the peer was calling at the same moment: this invite accepted that call instead
      this.forget(callId);
      this.emitControl(callId, { kind: 'hangup', reason: 'glare' }, peer);
      this.remember(result.callId);
      this.known.set(result.callId, { peer, direction: 'incoming', kind: 'call', peerSender: { userId: peer, role: 'caregiver', sessionId: 'server' }, accepted: true });
      const caller = this.known.get(result.callId)!.peerSender;
      this.incomingListeners.forEach((listener) => listener({ callId: result.callId, caller, media, kind: 'call', ringMs: 0, accepted: true }));
      return;
    }
    if (result.state === 'ringing') {
      this.emitControl(callId, { kind: 'ringing' });
      const leftMs = (result.ringUntil ?? this.serverNow()) - this.serverNow();
      this.armRing(callId, Math.max(0, leftMs) + RING_GRACE_MS, { kind: 'hangup', reason: 'missed' });
    } else if (result.state === 'ended') {
      this.emitControl(callId, result.reason === 'declined' ? { kind: 'reject', reason: 'declined' } : { kind: 'hangup', reason: result.reason ?? 'missed' });
    }
  }

  private frame(frame: CallDelivery): void {
    const me = this.client.welcome?.user.id;
    const { callId } = frame;
    switch (frame.event) {
      case 'invite': {
        if (frame.caller.userId === me || this.known.has(callId) || this.seen.has(callId)) return; // a repeat, or this user's own call
        this.remember(callId);
        this.known.set(callId, { peer: frame.caller.userId, direction: 'incoming', kind: frame.kind, peerSender: frame.caller, accepted: false });
        const ringMs = Math.max(0, (frame.ringUntil ?? frame.ts) - frame.ts);
        this.incomingListeners.forEach((listener) => listener({ callId, caller: frame.caller, media: frame.media, kind: frame.kind, ringMs, accepted: false }));
        return;
      }
      case 'accepted': {
        if (this.sosPending.delete(callId) && frame.answeredBy) {
          this.known.set(callId, { peer: frame.answeredBy.userId, direction: 'outgoing', kind: 'sos', peerSender: frame.answeredBy, accepted: true });
          this.sosListeners.forEach((listener) => listener({ callId, peer: frame.answeredBy! }));
          for (const held of this.heldSos.get(callId) ?? []) this.emitSignal(held);
          this.heldSos.delete(callId);
          return;
        }
        const known = this.known.get(callId);
        if (!known || known.direction !== 'outgoing') return; // placed on another device of this user
        if (frame.answeredBy) known.peerSender = frame.answeredBy;
        known.accepted = true;
        this.stopRing(callId);
        this.emitControl(callId, { kind: 'accept' });
        return;
      }
      case 'answered_elsewhere':
        this.stopRing(callId);
        this.emitControl(callId, { kind: 'hangup', reason: 'answered_elsewhere' });
        this.ended(frame, 'answered_elsewhere');
        return;
      case 'escalated':
        return; // a circle call moved on; a pending SOS waits for whoever accepts
      case 'ended': {
        this.sosPending.delete(callId);
        this.heldSos.delete(callId);
        const reason = frame.reason ?? 'completed';
        this.emitControl(callId, reason === 'declined' ? { kind: 'reject', reason } : { kind: 'hangup', reason });
        this.ended(frame, reason);
        return;
      }
      default:
        return assertNever(frame.event);
    }
  }

  private ended(frame: CallDelivery, reason: EndReason): void {
    const me = this.client.welcome?.user.id;
    const outgoing = frame.caller.userId === me;
    const known = this.known.get(frame.callId);
    const peer = known?.peer ?? (outgoing ? frame.callee : frame.caller.userId);
    this.forget(frame.callId);
    const call: EndedCall = { callId: frame.callId, peer, direction: outgoing ? 'outgoing' : 'incoming', kind: frame.kind, reason, endedAt: frame.ts, durationMs: frame.durationMs ?? 0 };
    this.endedListeners.forEach((listener) => listener(call));
  }

  /** A request of a call this device is in; the answer of a hangup, reject or cancel ends it here too. */
  private async request(request: CallRequest): Promise<CallResult> {
    const result = await callRequest(this.client, request);
    if (result.state === 'ended' && request.type !== 'invite') {
      const known = this.known.get(result.callId);
      this.forget(result.callId);
      if (known) {
        const call: EndedCall = { callId: result.callId, peer: known.peer, direction: known.direction, kind: known.kind, reason: result.reason ?? 'completed', endedAt: this.serverNow(), durationMs: 0 };
        this.endedListeners.forEach((listener) => listener(call));
      }
    }
    return result;
  }

  /** Hands a session the control signal a frame stands for, as if its peer had sent it. */
  private emitControl(callId: string, signal: SignalInput, peerId?: string): void {
    const me = this.client.welcome?.user.id ?? '';
    const known = this.known.get(callId);
    const from: Sender = known?.peerSender ?? { userId: peerId ?? '', role: 'caregiver', sessionId: 'server' };
    const delivery = { type: 'signal', seq: 0, channel: `user:${me}`, from, ts: Date.now(), callId, signal } as SignalDelivery;
    this.emitSignal(delivery);
  }

  private emitSignal(delivery: SignalDelivery): void {
    this.signalListeners.forEach((listener) => listener(delivery));
  }

  private armRing(callId: string, ms: number, onTimeout: SignalInput): void {
    const known = this.known.get(callId);
    if (!known) return;
    clearTimeout(known.ringTimer);
    known.ringTimer = setTimeout(() => {
      if (this.known.get(callId)?.accepted === false) this.emitControl(callId, onTimeout);
    }, ms);
  }

  private stopRing(callId: string): void {
    clearTimeout(this.known.get(callId)?.ringTimer);
  }

  private forget(callId: string): void {
    this.stopRing(callId);
    this.known.delete(callId);
  }

  private remember(callId: string): void {
    this.seen.add(callId);
    if (this.seen.size > SEEN_LIMIT) this.seen.delete(this.seen.values().next().value as string);
  }
}

function subscribe<T>(set: Set<T>, listener: T): () => void {
  set.add(listener);
  return () => set.delete(listener);
}

function assertNever(value: never): never {
  throw new Error(`unhandled call event: ${String(value)}`);
}
