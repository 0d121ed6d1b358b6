import type { CallDelivery, CallEndReason as ServerEndReason, CallResult, SignalDelivery, TurnCredentials } from '../../src/protocol/index.ts';
import { callRegistry } from './call-registry.ts';
import type { CallEnd, CallEndReason, CallOptions, CallSessionEvents, CallSignaling, CallState } from './call-types.ts';
import { userChannel } from './channels.ts';
import type { CallRequestInput, SignalInput } from './client.ts';
import { Emitter, type Listener } from './emitter.ts';
import { CallEndedError, RequestError } from './errors.ts';
import { type NegotiationSignal, PerfectNegotiator } from './negotiator.ts';
import { type PeerConnectionConstructor, type PeerConnectionLike, globalPeerConnection } from './peer-connection.ts';
import { type Timers, globalTimers } from './platform.ts';
import { randomCallId } from './random-id.ts';

/** Negotiation signals kept while an incoming call rings, at most. */
const HELD_LIMIT = 200;
/** ms a ring may outlast its `ringUntil` here before this device ends it by itself (the server's word normally comes first) */
const RING_GRACE_MS = 3_000;

/** @internal How an incoming call started (see onIncomingCall): its `invite` frame. */
export interface IncomingInvite {
  invite: CallDelivery;
}

/**
 * A one-to-one call through Tether's server-side calls (docs/protocol.md, section 15): the server
 * rings every device of the callee, lets the first accept win, times out, moves a circle call on
 * and records the call; this follows it, and negotiates an RTCPeerConnection with the callee's
 * device that answered, over signals, with the perfect-negotiation pattern (PerfectNegotiator).
 *
 * Contract:
 * - `pc` exists from construction: add tracks and data channels whenever you like; nothing is
 *   offered before the call is accepted, then either side may (re)negotiate at any time. Its ICE
 *   servers include the server's TURN credentials (`useServerTurn`), renewed as they are.
 * - The call's life comes from the server's `call` frames and the answers to this session's
 *   requests; if neither says anything by the end of a ring (a lost frame), the session ends it
 *   itself shortly after (`missed`, by 'local').
 * - Negotiation signals are taken from any session of the peer's user (a peer that reconnected
 *   into a new session stays in the call). Repeated signals (a request relayed twice) are harmless.
 * - After the client reconnects (each later `welcome`) while connecting or connected, ICE is
 *   restarted (`restartIceOnReconnect`), as is any ICE connection that fails.
 * - The call ends exactly once (`ended` event, state 'ended'); the peer connection is closed
 *   then, and later signals are ignored. `callId` changes once at most: when an invite meets the
 *   callee's own invite to this user (glare), this session takes over that call.
 */
export class CallSession<PC extends PeerConnectionLike = PeerConnectionLike> {
  readonly direction: 'outgoing' | 'incoming';
  readonly media: 'audio' | 'video';
  /** 'sos' for an SOS, else 'call' */
  readonly kind: 'call' | 'sos';
  /** the peer connection; the app adds tracks and data channels and listens for `track` itself */
  readonly pc: PC;
  private id: string;
  private who: string;
  private readonly circle: boolean;
  private readonly client: CallSignaling;
  private readonly events = new Emitter<CallSessionEvents>();
  private readonly negotiator: PerfectNegotiator;
  private readonly timers: Timers;
  private readonly restartOnReconnect: boolean;
  private readonly politeOverride: boolean | undefined;
  private readonly configuration: NonNullable<CallOptions['configuration']>;
  private readonly useServerTurn: boolean;
  private readonly registry: ReturnType<typeof callRegistry>;
  private readonly registered = { callId: '', supersede: () => this.finish({ reason: 'answered_elsewhere', by: 'local' }) };
  private current: CallState;
  private end: CallEnd | null = null;
  /** the peer session that invited (incoming) or accepted (outgoing) */
  private peerSession: string | null;
  private held: NegotiationSignal[] = [];
  private ringTimer: unknown = null;
  private ringEnds: number | null = null;
  private rung: { devices: number; woken: boolean } | null = null;
  private lastConnection = 'new';
  private readonly off: Array<() => void>;

  /**
   * An outgoing call (`peer`, or `circle` / `sos`); `invite()` rings it. Throws a TypeError when
   * no RTCPeerConnection is available or the options name nobody. `incoming` is for
   * onIncomingCall: an invite that arrived.
   */
  constructor(client: CallSignaling, options: CallOptions<PC>, incoming?: IncomingInvite) {
    const Peer = options.RTCPeerConnection ?? (globalPeerConnection() as PeerConnectionConstructor<PC> | null);
    if (!Peer) throw new TypeError('no global RTCPeerConnection here: pass one, e.g. new CallSession(client, { RTCPeerConnection })');
    const invite = incoming?.invite;
    if (!invite && !options.peer && !options.circle && !options.sos) throw new TypeError('name the `peer` to call, or call your `circle` (or an `sos`)');
    this.client = client;
    this.direction = invite ? 'incoming' : 'outgoing';
    this.id = invite?.callId ?? options.callId ?? randomCallId();
    this.who = invite?.caller.userId ?? options.peer ?? '';
    this.circle = !invite && !options.peer;
    this.kind = invite?.kind ?? (options.sos ? 'sos' : 'call');
    this.media = invite?.media ?? options.media ?? 'audio';
    this.timers = options.timers ?? globalTimers;
    this.restartOnReconnect = options.restartIceOnReconnect ?? true;
    this.politeOverride = options.polite;
    this.configuration = options.configuration ?? {};
    this.useServerTurn = options.useServerTurn ?? true;
    this.peerSession = invite?.caller.sessionId ?? null;
    this.current = invite ? 'incoming' : 'idle';
    this.pc = new Peer(this.peerConfiguration(client.turn));
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
      client.on('call', (delivery) => this.changed(delivery)),
      client.on('welcome', () => this.reconnected()),
      client.on('turn', (turn) => this.renewTurn(turn)),
      () => this.pc.removeEventListener('connectionstatechange', connectionChanged),
      () => this.pc.removeEventListener('iceconnectionstatechange', connectionChanged),
    ];
    this.registry = callRegistry(client);
    this.registered.callId = this.id;
    this.registry.add(this.registered);
    if (invite?.ringUntil !== undefined) this.armRing(invite.ringUntil, invite.ts);
  }

  /** The call's id: the server's key for it, and the `callId` of its signals. */
  get callId(): string {
    return this.id;
  }

  /** The other party's user id. A circle call's is the caregiver it rings now ('' before the invite is answered), then the one who answered. */
  get peer(): string {
    return this.who;
  }

  get state(): CallState {
    return this.current;
  }

  /** How the call ended, once it has; else null. */
  get ended(): CallEnd | null {
    return this.end;
  }

  /** While it rings: when the current ring ends, server time (ms); else null. */
  get ringUntil(): number | null {
    return this.current === 'ringing' || this.current === 'incoming' ? this.ringEnds : null;
  }

  /** Outgoing, once rung: live devices of the callee the invite reached, and whether its phone was woken through the webhook (none was connected). */
  get reach(): { devices: number; woken: boolean } | null {
    return this.rung;
  }

  /** Whether this side yields on glare (see `CallOptions.polite`). */
  get polite(): boolean {
    if (this.politeOverride !== undefined) return this.politeOverride;
    const me = this.client.welcome?.user.id ?? '';
    if (me !== this.who) return me < this.who;
    return (this.client.welcome?.sessionId ?? '') < (this.peerSession ?? '');
  }

  on<K extends keyof CallSessionEvents>(event: K, listener: Listener<CallSessionEvents[K]>): () => void {
    return this.events.on(event, listener);
  }

  /**
   * Rings the callee (outgoing calls, once). Resolves when a device of the callee accepts;
   * rejects with a CallEndedError when the call ends first: `missed`, `rejected`, `cancelled`
   * (here, by hangup()), or `unavailable` (the invite was refused: `end.error`).
   */
  invite(): Promise<void> {
    if (this.end) return Promise.reject(new CallEndedError(this.end));
    if (this.direction !== 'outgoing' || this.current !== 'idle') return Promise.reject(new Error(`invite() needs an outgoing call that was not invited yet; state is ${this.current}`));
    const accepted = this.reached('connecting');
    this.setState('inviting');
    const request: CallRequestInput =
      this.kind === 'sos'
        ? { type: 'sos', callId: this.id, media: this.media }
        : this.circle
          ? { type: 'invite', circle: true, callId: this.id, media: this.media }
          : { type: 'invite', to: this.who, callId: this.id, media: this.media };
    this.client.call(request).then(
      (result) => this.invited(result),
      (error: unknown) => this.finish({ reason: 'unavailable', by: 'local', error }),
    );
    return accepted;
  }

  /**
   * Takes a ringing incoming call on this device. Resolves once the server confirms this device
   * won (negotiation starts then); if another device was first, or the call ended meanwhile, the
   * call ends (`answered_elsewhere`, `missed`, ...) and this rejects with the CallEndedError.
   */
  async accept(): Promise<void> {
    if (this.end) throw new CallEndedError(this.end);
    if (this.current !== 'incoming') throw new Error(`accept() needs an incoming call that rings; state is ${this.current}`);
    const sessionAtSend = this.client.welcome?.sessionId;
    this.clearRing();
    try {
      await this.client.call({ type: 'accept', callId: this.id });
    } catch (error) {
      // a retry after a lost connection: the first copy may have won for this very device
      const wonEarlier = error instanceof RequestError && error.code === 'CALL_ALREADY_ANSWERED' && error.details?.answeredBy === sessionAtSend;
      if (!wonEarlier) {
        this.finish(refusal(error));
        throw new CallEndedError(this.end!);
      }
    }
    if (this.end) throw new CallEndedError(this.end);
    this.begin();
  }

  /** Declines a ringing incoming call, for every device of this user. */
  reject(reason?: string): void {
    if (this.current !== 'incoming') return;
    this.request({ type: 'reject', callId: this.id, ...(reason === undefined ? {} : { reason }) });
    this.finish({ reason: 'rejected', by: 'local', ...message(reason) });
  }

  /** Ends the call in any state: a ringing outgoing one is cancelled, a ringing incoming one rejected, an idle one just ends. */
  hangup(reason?: string): void {
    if (this.end) return;
    switch (this.current) {
      case 'idle':
        return this.finish({ reason: 'cancelled', by: 'local', ...message(reason) });
      case 'incoming':
        return this.reject(reason);
      case 'inviting':
      case 'ringing':
        this.request({ type: 'cancel', callId: this.id });
        return this.finish({ reason: 'cancelled', by: 'local', ...message(reason) });
      default:
        this.request({ type: 'hangup', callId: this.id, ...(reason === undefined ? {} : { reason }) });
        return this.finish({ reason: 'hangup', by: 'local', ...message(reason) });
    }
  }

  /** Restarts ICE now (new candidates through a new offer); a no-op before the call is accepted. */
  restartIce(): void {
    if (this.current === 'connecting' || this.current === 'connected') this.negotiator.restartIce();
  }

  /** The answer to this call's invite or sos. */
  private invited(result: CallResult): void {
    if (this.end) return;
    if (result.glare) {
      // the callee was calling us at this moment: the server made this device take that call
      const previous = this.id;
      this.id = result.callId;
      this.registered.callId = result.callId;
      this.registry.adopt(this.registered, previous);
      this.begin();
      return;
    }
    if (result.state === 'ended') return this.finish({ reason: endReason(result.reason), by: 'remote' });
    if (result.state === 'accepted') return this.begin();
    if (result.to) this.who = result.to;
    this.rung = { devices: result.devices ?? 0, woken: result.woken ?? false };
    this.setState('ringing');
    if (result.ringUntil !== undefined) this.armRing(result.ringUntil, result.ts ?? null);
  }

  /** A `call` frame. */
  private changed(delivery: CallDelivery): void {
    if (delivery.callId !== this.id || this.end) return;
    switch (delivery.event) {
      case 'invite':
        return; // this call's own invite, repeated
      case 'accepted':
        if (this.direction !== 'outgoing' || !delivery.answeredBy) return;
        this.who = delivery.answeredBy.userId;
        this.peerSession = delivery.answeredBy.sessionId;
        if (this.current === 'inviting' || this.current === 'ringing') this.begin();
        return;
      case 'answered_elsewhere':
        if (this.current === 'incoming') this.finish({ reason: 'answered_elsewhere', by: 'remote' });
        return;
      case 'escalated': {
        const reason = delivery.reason === 'declined' ? 'declined' : 'missed';
        if (this.direction === 'incoming') {
          // this device's user did not take it in time (or declined): the circle moved on
          return this.finish({ reason: reason === 'declined' ? 'rejected' : 'missed', by: 'remote', escalated: true });
        }
        this.who = delivery.callee;
        if (delivery.ringUntil !== undefined) this.armRing(delivery.ringUntil, delivery.ts);
        this.events.emit('escalated', { to: delivery.callee, reason });
        return;
      }
      case 'ended':
        return this.finish({ reason: endReason(delivery.reason), by: 'remote' });
      default:
        return assertNever(delivery.event);
    }
  }

  /** A signal: negotiation only (call control is the server's). */
  private received(delivery: SignalDelivery): void {
    const { callId, from, signal } = delivery;
    if (callId !== this.id || from.userId !== this.who || !delivery.channel.startsWith('user:') || this.end) return;
    switch (signal.kind) {
      case 'offer':
      case 'answer':
      case 'ice':
        if (this.current === 'connecting' || this.current === 'connected') void this.negotiator.receive(signal);
        else if (this.held.length < HELD_LIMIT) this.held.push(signal);
        return;
      default:
        return; // signal-level call control from apps that run their own flow: not this session's
    }
  }

  /** Accepted: negotiation may start; signals held while ringing are applied first. */
  private begin(): void {
    if (this.current === 'connecting' || this.current === 'connected') return;
    this.clearRing();
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

  /**
   * A safety net for a ring the server ends while this device hears nothing (a lost frame): the
   * ring ends here `RING_GRACE_MS` after `ringUntil`; an outgoing one is also cancelled, in case
   * the server still rings it. `ts` is the server time of the frame or answer that gave
   * `ringUntil`, so this device's clock does not matter; null (an older server) uses this clock.
   */
  private armRing(ringUntil: number, ts: number | null): void {
    this.clearRing();
    this.ringEnds = ringUntil;
    const left = ts === null ? ringUntil - Date.now() : ringUntil - ts;
    this.ringTimer = this.timers.setTimeout(() => {
      this.ringTimer = null;
      if (this.current === 'ringing' || this.current === 'inviting') this.giveUp();
      if (this.current === 'incoming' || this.current === 'ringing' || this.current === 'inviting') this.finish({ reason: 'missed', by: 'local' });
    }, Math.max(0, left) + RING_GRACE_MS);
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
    this.registry.remove(this.registered);
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

  /** New TURN credentials for the peer connection; a stack that refuses them keeps the old ones (reported as `error`). */
  private renewTurn(turn: TurnCredentials): void {
    if (!this.useServerTurn) return;
    try {
      this.pc.setConfiguration?.(this.peerConfiguration(turn));
    } catch (error) {
      this.report(error);
    }
  }

  /** ICE servers: the app's, and the server's TURN credentials unless turned off. */
  private peerConfiguration(turn: TurnCredentials | null): object {
    const own = this.configuration.iceServers ?? [];
    if (!turn || !this.useServerTurn) return { ...this.configuration, iceServers: own };
    return { ...this.configuration, iceServers: [...own, { urls: turn.urls, username: turn.username, credential: turn.credential }] };
  }

  /** An outgoing ring this device ended by itself: cancelled on the server too, or hung up if it was answered meanwhile (the word of it lost). */
  private giveUp(): void {
    this.client.call({ type: 'cancel', callId: this.id }).catch((error: unknown) => {
      if (error instanceof RequestError && error.code === 'CALL_ALREADY_ANSWERED') this.request({ type: 'hangup', callId: this.id });
      else if (!(error instanceof RequestError && (error.code === 'CALL_ENDED' || error.code === 'CALL_NOT_FOUND'))) this.events.emit('error', error);
    });
  }

  /** A call request whose failure is reported, not awaited (the call has ended here already). */
  private request(request: CallRequestInput): void {
    this.client.call(request).catch((error: unknown) => {
      if (!(error instanceof RequestError && (error.code === 'CALL_ENDED' || error.code === 'CALL_NOT_FOUND'))) this.events.emit('error', error);
    });
  }

  private sendOrReport(signal: SignalInput): void {
    this.client.signal(userChannel(this.who), this.id, signal).catch((error: unknown) => this.report(error));
  }

  private report(error: unknown): void {
    if (!this.end) this.events.emit('error', error);
  }
}

/** The end an `accept` refusal means. */
function refusal(error: unknown): CallEnd {
  if (error instanceof RequestError) {
    if (error.code === 'CALL_ALREADY_ANSWERED') return { reason: 'answered_elsewhere', by: 'remote' };
    if (error.code === 'CALL_ENDED') return { reason: endReason(error.details?.reason as ServerEndReason | undefined), by: 'remote' };
  }
  return { reason: 'unavailable', by: 'local', error };
}

function endReason(reason: ServerEndReason | undefined): CallEndReason {
  switch (reason) {
    case 'completed':
      return 'hangup';
    case 'declined':
      return 'rejected';
    case 'missed':
    case 'cancelled':
    case 'expired':
      return reason;
    default:
      return 'hangup';
  }
}

function message(reason: string | undefined): { message?: string } {
  return reason === undefined ? {} : { message: reason };
}

function assertNever(value: never): never {
  throw new Error(`unhandled call event: ${JSON.stringify(value)}`);
}
