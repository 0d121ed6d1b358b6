/**
 * The slice of WebRTC's `RTCPeerConnection` a CallSession uses, typed structurally (no DOM
 * types), so the browser's, react-native-webrtc's and a test's fake all fit, and the SDK
 * compiles where no DOM library is present.
 */

/** A handler type checked bivariantly, so DOM's listener types and the SDK's fit one slot. */
type Handler<E> = { bivarianceHack(event: E): void }['bivarianceHack'];

/** `RTCSessionDescriptionInit`: an offer or answer to apply, or `{ type: 'rollback' }`. */
export interface SessionDescriptionLike {
  type: 'offer' | 'answer' | 'pranswer' | 'rollback';
  sdp?: string;
}

/** `RTCIceCandidateInit`, as the protocol's `ice` signal carries it. */
export interface IceCandidateLike {
  candidate?: string;
  sdpMid?: string | null;
  sdpMLineIndex?: number | null;
  usernameFragment?: string | null;
}

/** The `icecandidate` event: `candidate` null marks the end of gathering. */
export interface IceCandidateEventLike {
  readonly candidate: IceCandidateLike | null;
}

/**
 * What CallSession needs from a peer connection. The events it listens to with
 * `addEventListener`: `negotiationneeded`, `icecandidate`, `connectionstatechange`,
 * `iceconnectionstatechange`. Everything else (tracks, data channels, stats) is the app's.
 */
export interface PeerConnectionLike {
  /** 'stable' | 'have-local-offer' | 'have-remote-offer' | ... | 'closed' */
  readonly signalingState: string;
  /** 'new' | 'connecting' | 'connected' | 'disconnected' | 'failed' | 'closed' (absent on some older stacks) */
  readonly connectionState?: string;
  /** 'new' | 'checking' | 'connected' | 'completed' | 'disconnected' | 'failed' | 'closed' */
  readonly iceConnectionState: string;
  readonly localDescription: { readonly type: string; readonly sdp: string } | null;
  /** With no argument: creates and applies the offer or answer the current state calls for. */
  setLocalDescription(description?: SessionDescriptionLike): Promise<void>;
  setRemoteDescription(description: SessionDescriptionLike): Promise<void>;
  /** null (or no argument): the remote side has no more candidates */
  addIceCandidate(candidate?: IceCandidateLike | null): Promise<void>;
  /** Asks for an ICE restart: the next offer (negotiationneeded follows) carries new credentials. */
  restartIce(): void;
  /** Replaces the configuration (new TURN credentials); optional: stacks without it keep the first */
  setConfiguration?(configuration: object): void;
  close(): void;
  addEventListener(type: string, listener: Handler<unknown>): void;
  removeEventListener(type: string, listener: Handler<unknown>): void;
}

/** An `RTCPeerConnection` constructor: the platform's, or a fake in tests. */
export type PeerConnectionConstructor<PC extends PeerConnectionLike = PeerConnectionLike> = new (configuration?: object) => PC;

/** @internal The global `RTCPeerConnection` (browsers), or null. */
export function globalPeerConnection(): PeerConnectionConstructor | null {
  const candidate = (globalThis as { RTCPeerConnection?: PeerConnectionConstructor }).RTCPeerConnection;
  return typeof candidate === 'function' ? candidate : null;
}

/** @internal A candidate as the protocol's `ice` signal body carries it (only the known fields). */
export function candidateJson(candidate: IceCandidateLike): { candidate: string; sdpMid?: string | null; sdpMLineIndex?: number | null; usernameFragment?: string | null } {
  const out: { candidate: string; sdpMid?: string | null; sdpMLineIndex?: number | null; usernameFragment?: string | null } = {
    candidate: candidate.candidate ?? '',
  };
  if (candidate.sdpMid !== undefined) out.sdpMid = candidate.sdpMid;
  if (candidate.sdpMLineIndex !== undefined) out.sdpMLineIndex = candidate.sdpMLineIndex;
  if (candidate.usernameFragment !== undefined) out.usernameFragment = candidate.usernameFragment;
  return out;
}
