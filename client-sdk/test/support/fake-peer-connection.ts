/**
 * A fake RTCPeerConnection for CallSession unit tests: no media and no network, only the parts
 * of WebRTC that negotiation depends on, with the real rules:
 * - operations (set*Description, addIceCandidate) run one at a time on a chain, asynchronously;
 * - the signaling-state machine, including `{ type: 'rollback' }`, and no implicit rollback: a
 *   remote offer in 'have-local-offer' fails (so a test sees that the SDK rolled back itself);
 * - `negotiationneeded` fires (on a later task) when stable, with no operation pending, and
 *   local changes are not yet negotiated: `addTrack(name)` (stands for tracks and data
 *   channels) or `restartIce()`; an answer carries local tracks only in the sections the
 *   offer has (it cannot add any), so the answerer's extra tracks need an offer of its own;
 * - local candidates trickle after each description with new ICE credentials (and again after
 *   a rollback, which drops the offer's transport), ending in null;
 *   a remote candidate for other credentials fails, as one of an ignored offer does;
 * - `connectionState` becomes 'connected' once stable with both descriptions and a candidate.
 * SDPs are readable text (`fake offer pc1#2 ufrag=pc1-u1 tracks=a,b restart`). `ops` records
 * every operation for assertions; `until(predicate)` waits for a state, re-checked on every
 * change. Extend with more of the API as CallSession starts using it.
 */
import type { IceCandidateLike, PeerConnectionLike, SessionDescriptionLike } from '../../src/index.ts';

type Description = { type: 'offer' | 'answer'; sdp: string };

export class FakePeerConnection extends EventTarget implements PeerConnectionLike {
  private static count = 0;
  readonly id = `pc${++FakePeerConnection.count}`;
  signalingState = 'stable';
  connectionState = 'new';
  iceConnectionState = 'new';
  localDescription: Description | null = null;
  remoteDescription: Description | null = null;
  /** every operation applied, in order: 'SLD offer', 'SLD rollback', 'SRD answer', 'ICE end', ... */
  readonly ops: string[] = [];
  readonly remoteCandidates: Array<IceCandidateLike | null> = [];
  /** the constructor's configuration, then each one given to setConfiguration */
  configuration: object | undefined;
  private readonly tracks = new Set<string>();
  private readonly negotiated = new Set<string>();
  private restartWanted = 0;
  private restartDone = 0;
  private generation = 1;
  private offers = 0;
  private announcedUfrag: string | null = null;
  private chain: Promise<unknown> = Promise.resolve();
  private checkQueued = false;
  private pendingOps = 0;
  private waiters: Array<{ check: () => boolean; resolve: () => void }> = [];

  constructor(configuration?: object) {
    super();
    this.configuration = configuration;
  }

  /** Local tracks and channels that were negotiated with the peer. */
  get negotiatedTracks(): string[] {
    return [...this.negotiated].sort();
  }

  /** Tracks named in the peer's current description. */
  get remoteTracks(): string[] {
    return parse(this.remoteDescription?.sdp).tracks;
  }

  get ufrag(): string {
    return `${this.id}-u${this.generation}`;
  }

  /** Adds a local track or data channel (by name): negotiation is needed. */
  addTrack(name: string): void {
    this.tracks.add(name);
    this.queueNegotiationCheck();
  }

  restartIce(): void {
    this.restartWanted = this.generation + 1;
    this.queueNegotiationCheck();
  }

  setConfiguration(configuration: object): void {
    this.configuration = configuration;
    this.ops.push('setConfiguration');
  }

  setLocalDescription(description?: SessionDescriptionLike): Promise<void> {
    return this.op(() => {
      const type = description?.type ?? (this.signalingState === 'have-remote-offer' ? 'answer' : 'offer');
      if (type === 'rollback') return this.rollback();
      if (type === 'pranswer') throw invalid('this fake has no pranswer');
      if (type === 'offer') {
        if (this.signalingState !== 'stable' && this.signalingState !== 'have-local-offer') throw invalid(`SLD offer in ${this.signalingState}`);
        if (this.restartWanted > this.generation) this.generation = this.restartWanted;
        const restart = this.restartWanted > this.restartDone ? ' restart' : '';
        this.localDescription = { type, sdp: `fake offer ${this.id}#${++this.offers} ufrag=${this.ufrag} tracks=${[...this.tracks].join(',')}${restart}` };
        this.signalingState = 'have-local-offer';
      } else {
        if (this.signalingState !== 'have-remote-offer') throw invalid(`SLD answer in ${this.signalingState}`);
        if (this.restartWanted > this.generation || parse(this.remoteDescription?.sdp).restart) this.generation = Math.max(this.restartWanted, this.generation + 1);
        this.restartDone = Math.max(this.restartDone, this.restartWanted);
        // an answer cannot add media sections: it carries local tracks only in those the offer has
        const carried = [...this.tracks].slice(0, parse(this.remoteDescription?.sdp).tracks.length);
        this.localDescription = { type, sdp: `fake answer ${this.id} ufrag=${this.ufrag} tracks=${carried.join(',')}` };
        for (const track of carried) this.negotiated.add(track);
        this.signalingState = 'stable';
      }
      this.ops.push(`SLD ${type}${parse(this.localDescription?.sdp).restart ? ' restart' : ''}`);
      this.trickle();
    });
  }

  setRemoteDescription(description: SessionDescriptionLike): Promise<void> {
    return this.op(() => {
      if (description.type === 'rollback') return this.rollback();
      const sdp = description.sdp ?? '';
      if (description.type === 'offer') {
        if (this.signalingState !== 'stable') throw invalid(`SRD offer in ${this.signalingState} (this fake does no implicit rollback)`);
        this.remoteDescription = { type: 'offer', sdp };
        this.signalingState = 'have-remote-offer';
      } else if (description.type === 'answer') {
        if (this.signalingState !== 'have-local-offer') throw invalid(`SRD answer in ${this.signalingState}`);
        this.remoteDescription = { type: 'answer', sdp };
        for (const track of parse(this.localDescription?.sdp).tracks) this.negotiated.add(track);
        if (parse(this.localDescription?.sdp).restart) this.restartDone = this.generation;
        this.signalingState = 'stable';
      } else {
        throw invalid(`unsupported description type ${description.type}`);
      }
      this.ops.push(`SRD ${description.type}${parse(sdp).restart ? ' restart' : ''}`);
    });
  }

  addIceCandidate(candidate?: IceCandidateLike | null): Promise<void> {
    return this.op(() => {
      if (!this.remoteDescription) throw invalid('addIceCandidate without a remote description');
      const ufrag = parse(this.remoteDescription.sdp).ufrag;
      if (candidate?.usernameFragment && candidate.usernameFragment !== ufrag) {
        throw new DOMException(`candidate for ${candidate.usernameFragment}, remote is ${ufrag}`, 'OperationError');
      }
      this.remoteCandidates.push(candidate ?? null);
      this.ops.push(candidate ? `ICE ${candidate.candidate}` : 'ICE end');
    });
  }

  close(): void {
    this.signalingState = 'closed';
    this.setConnection('closed');
    this.ops.push('close');
    this.changed();
  }

  /** Forces the connection state (e.g. 'failed'), as the network would. */
  setConnection(state: string): void {
    if (this.connectionState === state) return;
    this.connectionState = state;
    this.iceConnectionState = state;
    this.dispatchEvent(new Event('iceconnectionstatechange'));
    this.dispatchEvent(new Event('connectionstatechange'));
  }

  /** Resolves once `check()` holds, re-checked after every operation and event. */
  until(check: () => boolean): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ check, resolve }));
  }

  private op(run: () => void): Promise<void> {
    this.pendingOps++;
    const result = this.chain.then(async () => {
      await new Promise((resolve) => setImmediate(resolve)); // operations complete on a later task
      try {
        if (this.signalingState === 'closed') throw invalid('closed');
        run();
      } finally {
        this.pendingOps--;
        this.afterOp();
      }
    });
    this.chain = result.catch(() => {});
    return result;
  }

  private rollback(): void {
    if (this.signalingState !== 'have-local-offer' && this.signalingState !== 'have-remote-offer') throw invalid(`rollback in ${this.signalingState}`);
    if (this.signalingState === 'have-local-offer') this.localDescription = null;
    else this.remoteDescription = null;
    // the offer's transport is dropped: the next description gathers (and trickles) again
    this.announcedUfrag = null;
    this.signalingState = 'stable';
    this.ops.push('SLD rollback');
  }

  private afterOp(): void {
    if (this.signalingState === 'closed') return;
    const connectable = this.signalingState === 'stable' && this.localDescription && this.remoteDescription && this.remoteCandidates.some((c) => c !== null);
    if (connectable && this.connectionState !== 'connected') this.setConnection('connected');
    this.queueNegotiationCheck();
    this.changed();
  }

  private needsNegotiation(): boolean {
    return [...this.tracks].some((t) => !this.negotiated.has(t)) || this.restartWanted > this.restartDone;
  }

  /** `negotiationneeded` on a later task, when stable and something is not negotiated. */
  private queueNegotiationCheck(): void {
    if (this.checkQueued) return;
    this.checkQueued = true;
    setImmediate(() => {
      this.checkQueued = false;
      // as the spec says: only when stable and no operation is pending (re-checked after each)
      if (this.signalingState === 'stable' && this.pendingOps === 0 && this.needsNegotiation()) this.dispatchEvent(new Event('negotiationneeded'));
    });
  }

  /** After a description with new credentials: two host candidates, then the end (null). */
  private trickle(): void {
    const ufrag = this.ufrag;
    if (this.announcedUfrag === ufrag) return;
    this.announcedUfrag = ufrag;
    setImmediate(() => {
      if (this.signalingState === 'closed') return;
      for (const n of [1, 2]) {
        const candidate = { candidate: `candidate:${n} 1 udp 2122260223 10.0.0.${n} ${50_000 + n} typ host`, sdpMid: '0', sdpMLineIndex: 0, usernameFragment: ufrag };
        this.dispatchEvent(Object.assign(new Event('icecandidate'), { candidate }));
      }
      this.dispatchEvent(Object.assign(new Event('icecandidate'), { candidate: null }));
    });
  }

  private changed(): void {
    const ready = this.waiters.filter((w) => w.check());
    this.waiters = this.waiters.filter((w) => !ready.includes(w));
    ready.forEach((w) => w.resolve());
  }
}

/** A constructor that records every instance, to pass as `RTCPeerConnection`. */
export function fakePeerConnections(): { RTCPeerConnection: new (configuration?: object) => FakePeerConnection; created: FakePeerConnection[] } {
  const created: FakePeerConnection[] = [];
  class Recorded extends FakePeerConnection {
    constructor(configuration?: object) {
      super(configuration);
      created.push(this);
    }
  }
  return { RTCPeerConnection: Recorded, created };
}

function parse(sdp: string | undefined): { ufrag: string; tracks: string[]; restart: boolean } {
  const ufrag = /ufrag=(\S+)/.exec(sdp ?? '')?.[1] ?? '';
  const tracks = /tracks=(\S*)/.exec(sdp ?? '')?.[1] ?? '';
  return { ufrag, tracks: tracks ? tracks.split(',') : [], restart: / restart$/.test(sdp ?? '') };
}

function invalid(message: string): DOMException {
  return new DOMException(message, 'InvalidStateError');
}
