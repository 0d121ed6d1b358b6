import type { Sender, SignalDelivery } from '../../src/protocol/index.ts';
import type { CallEnd, CallOptions, CallSessionEvents, CallSignaling, CallState } from './call-types.ts';
import { userChannel } from './channels.ts';
import type { SignalInput } from './client.ts';
import { Emitter, type Listener } from './emitter.ts';
import { CallEndedError } from './errors.ts';
import { type NegotiationSignal, PerfectNegotiator } from './negotiator.ts';
import { type PeerConnectionConstructor, type PeerConnectionLike, globalPeerConnection } from './peer-connection.ts';
import { type Timers, globalTimers } from './platform.ts';
import { randomCallId } from './random-id.ts';

/** Negotiation signals kept while an incoming call rings, at most. */
const HELD_LIMIT = 200;

/** @internal How an incoming call started (see onIncomingCall). */
export interface IncomingInvite {
  from: Sender;
}

/**
 * A one-to-one call over Tether signals: call control (invite, ringing, accept, reject,
 * hangup, ring timeout) and an RTCPeerConnection negotiated with the perfect-negotiation
 * pattern (see PerfectNegotiator). Every signal goes to `user:<peer>` with this call's `callId`.
 *
 * Contract:
 * - `pc` exists from construction: add tracks and data channels whenever you like; nothing is
 *   offered before the call is accepted, then either side may (re)negotiate at any time.
 * - Signals of this call are taken from any session of the peer's user (a peer that reconnected
 *   into a new session stays in the call), except devices that accepted after the first one:
 *   those are ignored. Repeated signals (a request relayed twice) are harmless.
 * - After the client reconnects (each later `welcome`) while connecting or connected, ICE is
 *   restarted (`restartIceOnReconnect`), as is any ICE connection that fails.
 * - The call ends exactly once (`ended` event, state 'ended'); the peer connection is closed
 *   then, and later signals are ignored.
 */
export class CallSession<PC extends PeerConnectionLike = PeerConnectionLike> {
  readonly callId: string;
  /** the other party's user id */
  readonly peer: string;
  readonly direction: 'outgoing' | 'incoming';
  readonly media: 'audio' | 'video';
  /** the peer connection; the app adds tracks and data channels and listens for `track` itself */
  readonly pc: PC;
  private readonly client: CallSignaling;
  private readonly events = new Emitter<CallSessionEvents>();
  private readonly negotiator: PerfectNegotiator;
  private readonly timers: Timers;
  private readonly ringTimeoutMs: number;
  private readonly restartOnReconnect: boolean;
  private readonly politeOverride: boolean | undefined;
  private current: CallState;
  private end: CallEnd | null = null;
  /** the peer session that invited (incoming) or accepted first (outgoing) */
  private peerSession: string | null;
  private readonly excluded = new Set<string>();
  private held: NegotiationSignal[] = [];
  private ringTimer: unknown = null;
  private lastConnection = 'new';
  private readonly off: Array<() => void>;

  /**
   * An outgoing call to `options.peer`; `invite()` rings it. Throws a TypeError when no
   * RTCPeerConnection is available. `incoming` is for onIncomingCall: an invite that arrived.
   */
  constructor(client: CallSignaling, options: CallOptions<PC>, incoming?: IncomingInvite) {
    const Peer = options.RTCPeerConnection ?? (globalPeerConnection() as PeerConnectionConstructor<PC> | null);
    if (!Peer) throw new TypeError('no global RTCPeerConnection here: pass one, e.g. new CallSession(client, { RTCPeerConnection })');
    this.client = client;
    this.peer = options.peer;
    this.callId = options.callId ?? randomCallId();
    this.media = options.media ?? 'audio';
    this.direction = incoming ? 'incoming' : 'outgoing';
    this.timers = options.timers ?? globalTimers;
    this.ringTimeoutMs = options.ringTimeoutMs ?? 30_000;
    this.restartOnReconnect = options.restartIceOnReconnect ?? true;
    this.politeOverride = options.polite;
    this.peerSession = incoming?.from.sessionId ?? null;
    this.current = incoming ? 'incoming' : 'idle';
    this.pc = new Peer(options.configuration);
    this.negotiator = new PerfectNegotiator({
      pc: this.pc,
      polite: () => this.polite,
      send: (signal) => this.sendOrReport(signal),
      onError: (error) => this.report(error),
    });
    const connectionChanged = (): void => this.connectionChanged();
    this.pc.addEventListener('connectionstatechange', connectionChanged);
    this.pc.addEventListener('iceconnectionstatechange', connectionChanged);
    this.off = [
      client.on('signal', (delivery) => this.received(delivery)),
      client.on('welcome', () => this.reconnected()),
      () => this.pc.removeEventListener('connectionstatechange', connectionChanged),
      () => this.pc.removeEventListener('iceconnectionstatechange', connectionChanged),
    ];
    if (incoming) {
      this.armRing({ kind: 'reject', reason: 'timeout' });
      this.sendOrReport({ kind: 'ringing' });
    }
  }

  get state(): CallState {
    return this.current;
  }

  /** How the call ended, once it has; else null. */
  get ended(): CallEnd | null {
    return this.end;
  }

  /** Whether this side yields on glare (see `CallOptions.polite`). */
  get polite(): boolean {
    if (this.politeOverride !== undefined) return this.politeOverride;
    const me = this.client.welcome?.user.id ?? '';
    if (me !== this.peer) return me < this.peer;
    return (this.client.welcome?.sessionId ?? '') < (this.peerSession ?? '');
  }

  on<K extends keyof CallSessionEvents>(event: K, listener: Listener<CallSessionEvents[K]>): () => void {
    return this.events.on(event, listener);
  }

  /**
   * Rings the peer (outgoing calls, once). Resolves when a device of the peer accepts; rejects
   * with a CallEndedError when the call ends first: `rejected`, `timeout` (nobody accepted
   * within `ringTimeoutMs`; the peer is sent a hangup), `unavailable` (no session of the peer to
   * ring: the invite was refused, e.g. PEER_UNAVAILABLE), or `hangup`.
   */
  invite(): Promise<void> {
    if (this.end) return Promise.reject(new CallEndedError(this.end));
    if (this.direction !== 'outgoing' || this.current !== 'idle') return Promise.reject(new Error(`invite() needs an outgoing call that was not invited yet; state is ${this.current}`));
    const accepted = this.reached('connecting');
    this.setState('inviting');
    this.armRing({ kind: 'hangup', reason: 'timeout' });
    this.send({ kind: 'invite', media: this.media }).catch((error: unknown) => this.finish({ reason: 'unavailable', by: 'local', error }));
    return accepted;
  }

  /**
   * Answers a ringing incoming call: sends `accept`, then negotiation starts. Resolves once the
   * accept was relayed; if it cannot be (the caller is gone), the call ends as 'unavailable'
   * and this rejects with the CallEndedError.
   */
  async accept(): Promise<void> {
    if (this.end) throw new CallEndedError(this.end);
    if (this.current !== 'incoming') throw new Error(`accept() needs an incoming call that rings; state is ${this.current}`);
    this.clearRing();
    const sent = this.send({ kind: 'accept' }); // queued before any offer of ours
    this.begin();
    await sent.catch((error: unknown) => {
      this.finish({ reason: 'unavailable', by: 'local', error });
      throw new CallEndedError(this.end!);
    });
  }

  /** Declines a ringing incoming call. */
  reject(reason?: string): void {
    if (this.current !== 'incoming') return;
    this.sendOrReport(reason === undefined ? { kind: 'reject' } : { kind: 'reject', reason });
    this.finish({ reason: 'rejected', by: 'local', ...(reason === undefined ? {} : { message: reason }) });
  }

  /** Ends the call in any state (an idle call ends without a signal). */
  hangup(reason?: string): void {
    if (this.end) return;
    if (this.current !== 'idle') this.sendOrReport(reason === undefined ? { kind: 'hangup' } : { kind: 'hangup', reason });
    this.finish({ reason: 'hangup', by: 'local', ...(reason === undefined ? {} : { message: reason }) });
  }

  /** Restarts ICE now (new candidates through a new offer); a no-op before the call is accepted. */
  restartIce(): void {
    if (this.current === 'connecting' || this.current === 'connected') this.negotiator.restartIce();
  }

  private received(delivery: SignalDelivery): void {
    const { callId, from, signal } = delivery;
    if (callId !== this.callId || from.userId !== this.peer || !delivery.channel.startsWith('user:') || this.end) return;
    if (this.excluded.has(from.sessionId)) return;
    switch (signal.kind) {
      case 'invite':
        return; // this call's own invite, repeated
      case 'ringing':
        if (this.current === 'inviting') this.setState('ringing');
        return;
      case 'accept':
        return this.accepted(from.sessionId);
      case 'reject':
        if (this.current === 'inviting' || this.current === 'ringing') this.finish({ reason: 'rejected', by: 'remote', ...message(signal.reason) });
        return;
      case 'hangup':
        return this.finish({ reason: 'hangup', by: 'remote', ...message(signal.reason) });
      case 'offer':
      case 'answer':
      case 'ice':
        if (this.current === 'connecting' || this.current === 'connected') void this.negotiator.receive(signal);
        else if (this.held.length < HELD_LIMIT) this.held.push(signal);
        return;
      default:
        return assertNever(signal);
    }
  }

  private accepted(sessionId: string): void {
    if (this.direction !== 'outgoing') return;
    if (this.current === 'inviting' || this.current === 'ringing') {
      this.peerSession = sessionId;
      this.clearRing();
      this.begin();
    } else if (sessionId !== this.peerSession) {
      this.excluded.add(sessionId); // another device of the peer accepted too late
    }
  }

  /** Accepted: negotiation may start; signals held while ringing are applied first. */
  private begin(): void {
    this.setState('connecting');
    const held = this.held;
    this.held = [];
    for (const signal of held) void this.negotiator.receive(signal);
    this.negotiator.start();
  }

  private reconnected(): void {
    if (this.restartOnReconnect) this.restartIce();
  }

  private connectionChanged(): void {
    const state = this.pc.connectionState ?? this.pc.iceConnectionState;
    if (state === this.lastConnection || this.end) return;
    this.lastConnection = state;
    this.events.emit('connection', state);
    if ((state === 'connected' || state === 'completed') && this.current === 'connecting') this.setState('connected');
  }

  private armRing(onTimeout: SignalInput): void {
    this.ringTimer = this.timers.setTimeout(() => {
      this.ringTimer = null;
      this.sendOrReport(onTimeout);
      this.finish({ reason: 'timeout', by: 'local' });
    }, this.ringTimeoutMs);
  }

  private clearRing(): void {
    if (this.ringTimer !== null) this.timers.clearTimeout(this.ringTimer);
    this.ringTimer = null;
  }

  private finish(end: CallEnd): void {
    if (this.end) return;
    this.end = end;
    this.clearRing();
    this.negotiator.stop();
    this.off.forEach((off) => off());
    this.pc.close();
    this.setState('ended');
    this.events.emit('ended', end);
  }

  private setState(state: CallState): void {
    const previous = this.current;
    if (previous === state) return;
    this.current = state;
    this.events.emit('state', { state, previous });
  }

  /** Resolves when the state reaches `state`; rejects with a CallEndedError if the call ends first. */
  private reached(state: CallState): Promise<void> {
    return new Promise((resolve, reject) => {
      const offs = [
        this.on('state', (change) => change.state === state && settle(resolve)),
        this.on('ended', (end) => settle(() => reject(new CallEndedError(end)))),
      ];
      const settle = (run: () => void): void => {
        offs.forEach((off) => off());
        run();
      };
    });
  }

  private send(signal: SignalInput): Promise<unknown> {
    return this.client.signal(userChannel(this.peer), this.callId, signal);
  }

  private sendOrReport(signal: SignalInput): void {
    this.send(signal).catch((error: unknown) => this.report(error));
  }

  private report(error: unknown): void {
    if (!this.end) this.events.emit('error', error);
  }
}

function message(reason: string | undefined): { message?: string } {
  return reason === undefined ? {} : { message: reason };
}

function assertNever(value: never): never {
  throw new Error(`unhandled signal: ${JSON.stringify(value)}`);
}
