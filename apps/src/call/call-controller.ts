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

export interface CallControllerOptions {
  rtcConfiguration?: RTCConfiguration;
  /** where the hidden <audio> that plays the peer goes */
  audioHost: HTMLElement;
}

/** How a call of this device ended, as the call history records it (for the history to show at once). */
export interface EndedCall {
  callId: string;
  /** the other party ('' for an SOS nobody took) */
  peer: string;
  direction: 'incoming' | 'outgoing';
  kind: 'call' | 'sos';
  reason: 'completed' | 'missed' | 'declined' | 'cancelled' | 'expired';
  /** ms answered, 0 if never */
  durationMs: number;
}

/**
 * The page's one audio call, a server-side call (docs/protocol.md, section 15) through the SDK's
 * `CallSession`: the server rings every device, lets the first accept win, times rings out and
 * records the call; the session negotiates the media (perfect negotiation, ICE restart after a
 * reconnect). Rings for incoming calls (a second caller while busy is declined as busy), places
 * calls and SOS, answers, declines, hangs up, mutes. It owns the microphone stream and the
 * <audio> element playing the peer, and releases both when the call ends. Screens read `view`
 * and re-render on `subscribe`; `onEnded` tells the call history (adapters/call-history.ts).
 */
export class CallController {
  view: CallView = IDLE;
  private call: Call | null = null;
  private stream: MediaStream | null = null;
  private readonly audio: HTMLAudioElement;
  private readonly listeners = new Set<() => void>();
  private readonly endedListeners = new Set<(call: EndedCall) => void>();
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
      ...(options.rtcConfiguration ? { configuration: options.rtcConfiguration as { [key: string]: unknown } } : {}),
    });
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** `listener` hears every call of this device that ended (not one answered on another device). */
  onEnded(listener: (call: EndedCall) => void): () => void {
    this.endedListeners.add(listener);
    return () => this.endedListeners.delete(listener);
  }

  /** Calls `peer` (a user id); ignored while another call is on. */
  async dial(peer: string): Promise<void> {
    if (this.busy) return;
    await this.place(this.session({ peer }));
  }

  /**
   * Asks the care circle for help (patients): an SOS call that rings one caregiver after another
   * and raises an alert for them. Resolves once it rings (true) or failed to start (false);
   * the call then goes on like any other (the screens show it once someone takes it).
   */
  sos(): Promise<boolean> {
    this.call?.hangup('sos');
    const call = this.session({ sos: true });
    const started = new Promise<boolean>((resolve) => {
      const offs = [call.on('state', ({ state }) => state === 'ringing' && settle(true)), call.on('ended', () => settle(false))];
      const settle = (rang: boolean) => {
        offs.forEach((off) => off());
        resolve(rang);
      };
    });
    void this.place(call);
    return started;
  }

  /** Answers the ringing call. */
  async answer(): Promise<void> {
    const call = this.call;
    if (!call || call.state !== 'incoming') return;
    this.update({ phase: 'connecting' });
    await this.openMicrophone(call);
    await call.accept().catch(() => {}); // the outcome comes through the `ended` event
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
    this.stopListening();
    this.call?.hangup();
    this.audio.remove();
  }

  private get busy(): boolean {
    return this.call !== null && this.call.state !== 'ended';
  }

  private session(target: { peer: string } | { sos: true }): Call {
    return new CallSession<RTCPeerConnection>(this.client, {
      ...target,
      media: 'audio',
      RTCPeerConnection,
      ...(this.options.rtcConfiguration ? { configuration: this.options.rtcConfiguration as { [key: string]: unknown } } : {}),
    });
  }

  private async place(call: Call): Promise<void> {
    this.use(call);
    await this.openMicrophone(call);
    if (call.ended) return;
    await call.invite().catch(() => {}); // the outcome comes through the `ended` event
  }

  private ring(incoming: Call): void {
    if (this.busy) return incoming.reject('busy');
    this.use(incoming);
  }

  private use(call: Call): void {
    this.call = call;
    this.setView({ ...IDLE, kind: call.kind, phase: phaseOf(call.state), peer: call.peer || null, direction: call.direction });
    call.pc.addEventListener('track', (event) => {
      this.audio.srcObject = event.streams[0] ?? new MediaStream([event.track]);
    });
    call.on('state', ({ state }) => {
      const peer = call.peer || null; // an SOS learns who took it
      if (state === 'connected' && this.view.connectedAt === null) this.update({ phase: 'connected', peer, connectedAt: Date.now() });
      else if (state !== 'ended') this.update({ phase: phaseOf(state), peer });
    });
    call.on('escalated', ({ to }) => this.update({ peer: to }));
    call.on('connection', (state) => this.update({ weak: state === 'disconnected' || state === 'failed' }));
    call.on('ended', (end) => this.ended(call, end));
  }

  private ended(call: Call, end: CallEnd): void {
    if (call !== this.call) return;
    for (const track of this.stream?.getTracks() ?? []) track.stop();
    this.stream = null;
    this.audio.srcObject = null;
    const { connectedAt } = this.view;
    const durationMs = connectedAt === null ? null : Date.now() - connectedAt;
    this.update({ phase: 'ended', outcome: outcomeOf(end, call.direction), weak: false, durationMs });
    const reason = recordReasonOf(end);
    if (reason) {
      const record: EndedCall = { callId: call.callId, peer: call.peer, direction: call.direction, kind: call.kind, reason, durationMs: durationMs ?? 0 };
      this.endedListeners.forEach((listener) => listener(record));
    }
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

/** This side's outcome of the server's end (see CallEndReason in the SDK). */
function outcomeOf(end: CallEnd, direction: 'incoming' | 'outgoing'): CallOutcome {
  const local = end.by === 'local';
  switch (end.reason) {
    case 'hangup':
    case 'expired':
      return local ? 'hung_up' : 'peer_hung_up';
    case 'rejected':
      return local ? 'declined' : 'peer_declined';
    case 'missed':
      return direction === 'incoming' ? 'missed' : 'no_answer';
    case 'cancelled':
      return direction === 'incoming' && !local ? 'missed' : 'hung_up'; // the caller gave up while this side rang
    case 'answered_elsewhere':
      return 'answered_elsewhere';
    case 'unavailable':
      return direction === 'outgoing' ? 'unreachable' : 'failed';
  }
}

/** The history's word for how it ended; null for a call this device was not the one in (answered elsewhere) or that never started. */
function recordReasonOf(end: CallEnd): EndedCall['reason'] | null {
  switch (end.reason) {
    case 'hangup':
      return 'completed';
    case 'rejected':
      return 'declined';
    case 'missed':
    case 'cancelled':
    case 'expired':
      return end.reason;
    case 'answered_elsewhere':
    case 'unavailable':
      return null;
  }
}
