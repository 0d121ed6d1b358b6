import { type CallEnd, CallSession, type TetherClient, onIncomingCall } from '@tether/client';

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
  | 'unreachable' // no device of the peer could be rung
  | 'failed';

export interface CallView {
  phase: CallPhase;
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

/** A call this device rang for and nobody answered here (phase 1: seen by this device only). */
export interface MissedCall {
  peer: string;
  /** local ms */
  at: number;
}

const IDLE: CallView = { phase: 'idle', peer: null, direction: null, connectedAt: null, muted: false, micBlocked: false, weak: false, outcome: null, durationMs: null };

export interface CallControllerOptions {
  rtcConfiguration?: RTCConfiguration;
  ringTimeoutMs: number;
  /** where the hidden <audio> that plays the peer goes */
  audioHost: HTMLElement;
}

/**
 * The page's one audio call, over `CallSession` (perfect negotiation, ICE restart after a
 * reconnect): rings for incoming invites (a second caller while busy is declined as busy),
 * places calls, answers, declines, hangs up, mutes. It owns the microphone stream and the
 * <audio> element playing the peer, and releases both when the call ends. Screens read
 * `view` and `missed` and re-render on `subscribe`.
 */
export class CallController {
  view: CallView = IDLE;
  missed: MissedCall[] = [];
  private call: Call | null = null;
  private stream: MediaStream | null = null;
  private readonly audio: HTMLAudioElement;
  private readonly listeners = new Set<() => void>();
  private readonly stopListening: () => void;

  constructor(
    private readonly client: TetherClient,
    private readonly options: CallControllerOptions,
  ) {
    this.audio = document.createElement('audio');
    this.audio.autoplay = true;
    this.audio.hidden = true;
    options.audioHost.append(this.audio);
    this.stopListening = onIncomingCall<RTCPeerConnection>(client, (incoming) => this.ring(incoming), {
      RTCPeerConnection,
      ringTimeoutMs: options.ringTimeoutMs,
      ...(options.rtcConfiguration ? { configuration: options.rtcConfiguration } : {}),
    });
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Calls `peer` (a user id); ignored while another call is on. */
  async dial(peer: string): Promise<void> {
    if (this.busy) return;
    const call: Call = new CallSession(this.client, {
      peer,
      media: 'audio',
      RTCPeerConnection,
      ringTimeoutMs: this.options.ringTimeoutMs,
      ...(this.options.rtcConfiguration ? { configuration: this.options.rtcConfiguration } : {}),
    });
    this.use(call);
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

  /** Forgets the missed calls shown (the person has seen them). */
  clearMissed(): void {
    this.missed = [];
    this.emit();
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
    this.stopListening();
    this.call?.hangup();
    this.audio.remove();
  }

  private get busy(): boolean {
    return this.call !== null && this.call.state !== 'ended';
  }

  private ring(incoming: Call): void {
    if (this.busy) return incoming.reject('busy');
    this.use(incoming);
  }

  private use(call: Call): void {
    this.call = call;
    this.setView({ ...IDLE, phase: phaseOf(call.state), peer: call.peer, direction: call.direction });
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
    if (outcome === 'missed') this.missed = [{ peer: call.peer, at: Date.now() }, ...this.missed].slice(0, 20);
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

function outcomeOf(end: CallEnd, direction: 'incoming' | 'outgoing', wasRinging: boolean): CallOutcome {
  const local = end.by === 'local';
  switch (end.reason) {
    case 'hangup':
      if (wasRinging && !local) return 'missed'; // the caller gave up while this side rang
      return local ? 'hung_up' : 'peer_hung_up';
    case 'rejected':
      return local ? 'declined' : 'peer_declined';
    case 'timeout':
      return direction === 'incoming' ? 'missed' : 'no_answer';
    case 'unavailable':
      return direction === 'outgoing' ? 'unreachable' : 'failed';
  }
}
