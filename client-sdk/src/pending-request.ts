import type { z } from 'zod';
import type { Ack, ClientMessage } from '../../src/protocol/index.ts';
import type { RequestSummary, TetherError } from './errors.ts';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** A request as the app writes it: a client message without its id (the SDK assigns one), defaults optional. */
export type RequestInput = DistributiveOmit<z.input<typeof ClientMessage>, 'id'>;

/** What an ack may carry: a subscribe result, a ping result, or nothing. */
export type AckResult = Ack['result'];

/** @internal One request from creation until it is answered or given up. */
export interface PendingRequest {
  /** validated, with its id; re-sent unchanged on every attempt */
  readonly frame: ClientMessage;
  /** the channel whose subscribe ack must arrive before this is sent, or null */
  readonly gate: string | null;
  /** issued by the SDK itself (re-subscribe, liveness ping), not by the app */
  readonly internal: boolean;
  readonly maxAttempts: number;
  /** sends so far */
  attempts: number;
  /** the attempt's answer timeout, or a RATE_LIMITED re-send delay */
  timer: unknown;
  /** the socket's frame count when last sent */
  framesAtSend: number;
  resolve(result: AckResult): void;
  reject(error: TetherError): void;
}

/** @internal */
export function summarize(frame: ClientMessage): RequestSummary {
  const summary: RequestSummary = { type: frame.type, id: frame.id };
  if ('channel' in frame) summary.channel = frame.channel;
  if ('to' in frame) summary.to = frame.to;
  return summary;
}
