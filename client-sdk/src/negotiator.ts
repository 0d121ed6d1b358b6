import type { IceCandidateLike, PeerConnectionLike } from './peer-connection.ts';
import { candidateJson } from './peer-connection.ts';

/** The negotiation signals, as the protocol's signal bodies. */
export type NegotiationSignal =
  | { kind: 'offer'; sdp: string }
  | { kind: 'answer'; sdp: string }
  | { kind: 'ice'; candidate: ReturnType<typeof candidateJson> | null };

/** @internal */
export interface NegotiatorOptions {
  pc: PeerConnectionLike;
  /** the polite side yields on glare; asked when first needed (the ids are known by then) */
  polite(): boolean;
  /** sends a signal to the peer; failures are the sender's to report */
  send(signal: NegotiationSignal): void;
  /** a negotiation step failed (not an ignored offer's candidates) */
  onError(error: unknown): void;
}

/**
 * @internal The perfect-negotiation pattern (W3C WebRTC 1.0, section 10.7) on one peer
 * connection: either side may start an offer whenever `negotiationneeded` fires (tracks or
 * data channels added, `restartIce()`); when both offer at once (glare), the impolite side
 * ignores the incoming offer and the polite side rolls its own back and answers. The polite
 * side's changes then come back as a new `negotiationneeded` once it is stable again.
 *
 * Contract:
 * - Nothing is offered before `start()`: an earlier `negotiationneeded` is remembered and
 *   acted on by `start()` (a call is negotiated only once accepted).
 * - Remote signals are applied one at a time in arrival order (`receive` chains them).
 * - An offer or answer identical to the last one applied is a repeat (a re-sent request
 *   relayed twice) and is ignored; so is an answer when no offer of ours is outstanding.
 * - Candidates trickle both ways; a local `null` candidate is sent as `candidate: null`
 *   (end of candidates) and a remote one ends the remote side's gathering.
 */
export class PerfectNegotiator {
  private readonly options: NegotiatorOptions;
  private makingOffer = false;
  private ignoreOffer = false;
  private started = false;
  private pending = false;
  private stopped = false;
  private lastRemoteSdp: string | null = null;
  private chain: Promise<void> = Promise.resolve();
  private readonly listeners: Array<[string, (event: { candidate: IceCandidateLike | null }) => void]>;

  constructor(options: NegotiatorOptions) {
    this.options = options;
    this.listeners = [
      ['negotiationneeded', () => this.negotiationNeeded()],
      ['icecandidate', (event: { candidate: IceCandidateLike | null }) => this.localCandidate(event.candidate)],
      ['iceconnectionstatechange', () => this.options.pc.iceConnectionState === 'failed' && this.restartIce()],
    ];
    for (const [type, listener] of this.listeners) options.pc.addEventListener(type, listener);
  }

  /** Allows offers from now on; makes the one asked for before, if any. */
  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    if (this.pending) this.negotiationNeeded();
  }

  /** Applies a remote offer, answer or candidate after those received before it. */
  receive(signal: NegotiationSignal): Promise<void> {
    this.chain = this.chain.then(() => (this.stopped ? undefined : this.apply(signal))).catch((error: unknown) => this.options.onError(error));
    return this.chain;
  }

  /** An ICE restart: the next offer carries new ICE credentials (once started). */
  restartIce(): void {
    if (this.stopped || this.options.pc.signalingState === 'closed') return;
    this.options.pc.restartIce();
  }

  /** Detaches from the peer connection; later events and signals are ignored. */
  stop(): void {
    this.stopped = true;
    for (const [type, listener] of this.listeners) this.options.pc.removeEventListener(type, listener);
  }

  private negotiationNeeded(): void {
    if (this.stopped) return;
    if (!this.started) {
      this.pending = true;
      return;
    }
    this.pending = false;
    void this.makeOffer();
  }

  private async makeOffer(): Promise<void> {
    const { pc } = this.options;
    try {
      this.makingOffer = true;
      await pc.setLocalDescription();
      // a glare rollback may have replaced it meanwhile: send only an offer that is still ours
      const local = pc.localDescription;
      if (!this.stopped && local?.type === 'offer') this.options.send({ kind: 'offer', sdp: local.sdp });
    } catch (error) {
      if (!this.stopped) this.options.onError(error);
    } finally {
      this.makingOffer = false;
    }
  }

  private async apply(signal: NegotiationSignal): Promise<void> {
    const { pc } = this.options;
    if (signal.kind === 'ice') {
      try {
        await pc.addIceCandidate(signal.candidate);
      } catch (error) {
        // candidates of an offer we ignored cannot apply; anything else is a real failure
        if (!this.ignoreOffer) throw error;
      }
      return;
    }
    if (signal.sdp === this.lastRemoteSdp) return;
    if (signal.kind === 'answer') {
      if (pc.signalingState !== 'have-local-offer') return; // stale: the offer it answers was rolled back
      this.lastRemoteSdp = signal.sdp;
      await pc.setRemoteDescription({ type: 'answer', sdp: signal.sdp });
      return;
    }
    const collision = this.makingOffer || pc.signalingState !== 'stable';
    const polite = this.options.polite();
    this.ignoreOffer = collision && !polite;
    if (this.ignoreOffer) return;
    this.lastRemoteSdp = signal.sdp;
    // glare on the polite side: drop our own offer, explicitly (stacks without implicit rollback)
    if (collision) await pc.setLocalDescription({ type: 'rollback' });
    await pc.setRemoteDescription({ type: 'offer', sdp: signal.sdp });
    await pc.setLocalDescription();
    const local = pc.localDescription;
    if (!this.stopped && local?.type === 'answer') this.options.send({ kind: 'answer', sdp: local.sdp });
  }

  private localCandidate(candidate: IceCandidateLike | null): void {
    if (this.stopped) return;
    this.options.send({ kind: 'ice', candidate: candidate ? candidateJson(candidate) : null });
  }
}
