import { type CallEnd, CallSession, RequestError } from '@tether/client';
import { type IncomingCall, RING_GRACE_MS, type ServerCalls, type SosAnswered } from './server-calls.ts';

type Call = CallSession<RTCPeerConnection>;

/** Where this page's one call is, in the words the screens use. */
export type CallPhase = 'idle' | 'calling' | 'ringing' | 'incoming' | 'connecting' | 'connected' | 'ended';

/** Why a call ended, from this side's point of view (each has a sentence in the catalogue). */
export type CallOutcome =
  | 'hung_up' // this side hung up
  | 'peer_hung_up'
  | 'declined' // this side declined
  | 'peer_declined'
  | 'no_answer' // the peer did not answer in time
  | 'missed' // this side did not answer in time, or the caller gave up while it rang
  | 'answered_elsewhere' // another device of this user took the call
  | 'unreachable' // the call could not be placed
  | 'failed';

export interface CallView {
  phase: CallPhase;
  /** 'sos': a patient's call for help */
  kind: 'call' | 'sos';
  /** the other party's user id */
  peer: string | null;
  direction: 'incoming' | 'outgoing' | null;
  /** local ms the call connected, for the timer */
  connectedAt: number | null;
  muted: boolean;
  /** the microphone could not be opened: the peer cannot hear this side */
  micBlocked: boolean;
  /** the media path is interrupted (the call goes on and recovers by itself if it can) */
  weak: boolean;
  /** set once the call ended (phase 'ended') */
  outcome: CallOutcome | null;
  /** how long the call was connected, ms; null when it never connected */
  durationMs: number | null;
}

const IDLE: CallView = { phase: 'idle', kind: 'call', peer: null, direction: null, connectedAt: null, muted: false, micBlocked: false, weak: false, outcome: null, durationMs: null };

/** ms an outgoing call waits for the server's `ringUntil` at most (the server's ring window decides) */
const OUTGOING_RING_LIMIT_MS = 10 * 60_000;

export interface CallControllerOptions {
  rtcConfiguration?: RTCConfiguration;
  /** where the hidden <audio> that plays the peer goes */
  audioHost: HTMLElement;
}

/**
 * The page's one audio call: a server-side call (ServerCalls) with its media negotiated by the
 * SDK's `CallSession` (perfect negotiation, ICE restart after a reconnect). Rings for incoming
 * invites (a second caller while busy is declined as busy), places calls, answers, declines,
 * hangs up, mutes, and joins the call when a caregiver takes this patient's SOS. It owns the
 * microphone stream and the <audio> element playing the peer, and releases both when the call
 * ends. Screens read `view` and re-render on `subscribe`; missed calls are the call history's
 * (adapters/call-history.ts).
 */
export class CallController {
  view: CallView = IDLE;
  private call: Call | null = null;
  private stream: MediaStream | null = null;
  private readonly audio: HTMLAudioElement;
  private readonly listeners = new Set<() => void>();
  private readonly stopListening: Array<() => void>;

  constructor(
    private readonly server: ServerCalls,
    private readonly options: CallControllerOptions,
  ) {
    this.audio = document.createElement('audio');
    this.audio.autoplay = true;
    this.audio.hidden = true;
    options.audioHost.append(this.audio);
    this.stopListening = [server.onIncoming((incoming) => this.ring(incoming)), server.onSosAnswered((answered) => void this.joinSos(answered))];
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Calls `peer` (a user id); ignored while another call is on. */
  async dial(peer: string): Promise<void> {
    if (this.busy) return;
    await this.place(peer, undefined, 'call');
  }

  /** A caregiver took this patient's SOS: the call starts, already answered. */
  private async joinSos({ callId, peer }: SosAnswered): Promise<void> {
    if (this.busy) this.call?.hangup('busy');
    await this.place(peer.userId, callId, 'sos');
  }

  private async place(peer: string, callId: string | undefined, kind: 'call' | 'sos'): Promise<void> {
    const call: Call = new CallSession(this.server, {
      peer,
      ...(callId ? { callId } : {}),
      media: 'audio',
      RTCPeerConnection,
      ringTimeoutMs: OUTGOING_RING_LIMIT_MS,
      ...(this.options.rtcConfiguration ? { configuration: this.options.rtcConfiguration } : {}),
    });
    this.use(call, kind);
    await this.openMicrophone(call);
    if (call.ended) return;
    await call.invite().catch(() => {}); // the outcome comes through the `ended` event
  }

  /** Answers the ringing call. */
  async answer(): Promise<void> {
    const call = this.call;
    if (!call || call.state !== 'incoming') return;
    this.update({ phase: 'connecting' });
    await this.openMicrophone(call);
    await call.accept().catch(() => {});
  }

  decline(): void {
    this.call?.reject('declined');
  }

  hangup(): void {
    this.call?.hangup();
  }

  toggleMute(): void {
    const muted = !this.view.muted;
    for (const track of this.stream?.getAudioTracks() ?? []) track.enabled = !muted;
    this.update({ muted });
  }

  /** Back to idle after an ended call has been shown. */
  dismiss(): void {
    if (this.view.phase === 'ended') this.setView(IDLE);
  }

  /** Bytes of the peer's audio received so far (diagnostics; the browser tests check media flows). */
  async audioBytesReceived(): Promise<number> {
    const pc = this.call?.pc;
    if (!pc || pc.connectionState === 'closed') return 0;
    let bytes = 0;
    (await pc.getStats()).forEach((report: { type: string; kind?: string; bytesReceived?: number }) => {
      if (report.type === 'inbound-rtp' && report.kind === 'audio') bytes += report.bytesReceived ?? 0;
    });
    return bytes;
  }

  stop(): void {
    this.stopListening.forEach((off) => off());
    this.call?.hangup();
    this.audio.remove();
  }

  private get busy(): boolean {
    return this.call !== null && this.call.state !== 'ended';
  }

  private ring(incoming: IncomingCall): void {
    const call: Call = new CallSession(
      this.server,
      {
        peer: incoming.caller.userId,
        callId: incoming.callId,
        media: incoming.media,
        RTCPeerConnection,
        // the server's ring window; past it (and a grace for its word) this device stops by itself
        ringTimeoutMs: incoming.ringMs + RING_GRACE_MS,
        ...(this.options.rtcConfiguration ? { configuration: this.options.rtcConfiguration } : {}),
      },
      { from: incoming.caller },
    );
    if (this.busy && !incoming.accepted) return call.reject('busy');
    if (incoming.accepted) this.call?.hangup('glare');
    this.use(call, incoming.kind);
    if (incoming.accepted) void this.answer(); // glare: this user's own invite accepted it
  }

  private use(call: Call, kind: 'call' | 'sos'): void {
    this.call = call;
    this.setView({ ...IDLE, kind, phase: phaseOf(call.state), peer: call.peer, direction: call.direction });
    call.pc.addEventListener('track', (event) => {
      this.audio.srcObject = event.streams[0] ?? new MediaStream([event.track]);
    });
    call.on('state', ({ state }) => {
      if (state === 'connected' && this.view.connectedAt === null) this.update({ phase: 'connected', connectedAt: Date.now() });
      else if (state !== 'ended') this.update({ phase: phaseOf(state) });
    });
    call.on('connection', (state) => this.update({ weak: state === 'disconnected' || state === 'failed' }));
    call.on('ended', (end) => this.ended(call, end));
  }

  private ended(call: Call, end: CallEnd): void {
    if (call !== this.call) return;
    const wasRinging = this.view.phase === 'incoming';
    const outcome = outcomeOf(end, call.direction, wasRinging);
    for (const track of this.stream?.getTracks() ?? []) track.stop();
    this.stream = null;
    this.audio.srcObject = null;
    const { connectedAt } = this.view;
    this.update({ phase: 'ended', outcome, weak: false, durationMs: connectedAt === null ? null : Date.now() - connectedAt });
  }

  /** The microphone, before the invite or the accept (both sides then negotiate at once). */
  private async openMicrophone(call: Call): Promise<void> {
    try {
      const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: false });
      if (call.ended) {
        stream.getTracks().forEach((track) => track.stop());
        return;
      }
      this.stream = stream;
      for (const track of stream.getAudioTracks()) call.pc.addTrack(track, stream);
    } catch {
      // no microphone, or not allowed: still hear the other side
      if (!call.ended) call.pc.addTransceiver('audio', { direction: 'recvonly' });
      this.update({ micBlocked: true });
    }
  }

  private update(patch: Partial<CallView>): void {
    this.setView({ ...this.view, ...patch });
  }

  private setView(view: CallView): void {
    this.view = view;
    this.emit();
  }

  private emit(): void {
    for (const listener of this.listeners) listener();
  }
}

function phaseOf(state: Call['state']): CallPhase {
  switch (state) {
    case 'idle':
    case 'inviting':
      return 'calling';
    case 'ringing':
      return 'ringing';
    case 'incoming':
      return 'incoming';
    case 'connecting':
      return 'connecting';
    case 'connected':
      return 'connected';
    case 'ended':
      return 'ended';
  }
}

/**
 * This side's outcome. Ends the server decided come as remote ends whose message is the server's
 * reason (see server-calls.ts); a request the server refused ends the call locally as
 * 'unavailable' with its RequestError.
 */
function outcomeOf(end: CallEnd, direction: 'incoming' | 'outgoing', wasRinging: boolean): CallOutcome {
  const local = end.by === 'local';
  switch (end.reason) {
    case 'hangup':
      if (local) return 'hung_up';
      switch (end.message) {
        case 'answered_elsewhere':
          return 'answered_elsewhere';
        case 'missed':
          return direction === 'incoming' ? 'missed' : 'no_answer';
        case 'cancelled':
          return direction === 'incoming' ? 'missed' : 'hung_up'; // the caller gave up while this side rang
        default:
          return wasRinging ? 'missed' : 'peer_hung_up';
      }
    case 'rejected':
      return local ? 'declined' : 'peer_declined';
    case 'timeout':
      return direction === 'incoming' ? 'missed' : 'no_answer';
    case 'unavailable': {
      const code = end.error instanceof RequestError ? end.error.code : null;
      if (code === 'CALL_ALREADY_ANSWERED') return 'answered_elsewhere';
      if (code === 'CALL_ENDED') return direction === 'incoming' ? 'missed' : 'failed';
      return direction === 'outgoing' ? 'unreachable' : 'failed';
    }
  }
}
