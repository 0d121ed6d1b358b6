/**
 * The one message every system in the comparison carries: a trickled ICE candidate as a Tether
 * `signal` frame, 250-odd bytes of JSON. Tether and the ws echo get exactly this text; Socket.IO
 * emits the same object; the amqplib ceiling publishes the same bytes. Each receiver finds the
 * message number in `callId`.
 */
const CANDIDATE =
  'candidate:842163049 1 udp 1677729535 203.0.113.7 54321 typ srflx raddr 10.0.0.5 rport 54321 generation 0 ufrag EEtu network-id 3 network-cost 10';

export interface SignalMessage {
  to: string;
  callId: string;
  signal: { kind: 'ice'; candidate: { candidate: string; sdpMid: string; sdpMLineIndex: number } };
}

export function signalMessage(seq: number, toUser: string): SignalMessage {
  return { to: `user:${toUser}`, callId: String(seq), signal: { kind: 'ice', candidate: { candidate: CANDIDATE, sdpMid: '0', sdpMLineIndex: 0 } } };
}

/** The Tether request frame for message `seq`; its request id is the seq too. */
export function signalFrame(seq: number, toUser: string): string {
  return JSON.stringify({ type: 'signal', id: seq.toString(36), ...signalMessage(seq, toUser) });
}

/** Bytes of a typical frame, for the report. */
export const MESSAGE_BYTES = Buffer.byteLength(signalFrame(12345678, 'rr-0'));
