import type {
  CallResult,
  CallsResult,
  ClientMessage,
  HistoryResult,
  LookupResult,
  PingResult,
  QueuedResult,
  SubscribeResult,
  TurnCredentials,
} from '../protocol/index.ts';
import type { z } from 'zod';
import { publishLocation, readHistory } from './location.ts';
import { lookup } from './lookup.ts';
import type { Session } from './session.ts';
import { sendSignal } from './signals.ts';
import { subscribe, unsubscribe } from './subscriptions.ts';

export type AckResult =
  | SubscribeResult
  | z.infer<typeof HistoryResult>
  | z.infer<typeof LookupResult>
  | z.infer<typeof QueuedResult>
  | z.infer<typeof PingResult>
  | CallResult
  | CallsResult
  | TurnCredentials
  | undefined;

/**
 * A request whose turn in the session's queue is over. `result` settles with the ack's result
 * or rejects with a TetherError; for publishes it waits on the bus confirm, which the queue
 * does not wait for.
 */
export interface Pending {
  result: Promise<AckResult>;
}

const done = (result: AckResult): Pending => ({ result: Promise.resolve(result) });

export async function handleRequest(session: Session, message: ClientMessage): Promise<Pending> {
  switch (message.type) {
    case 'subscribe':
      return done(await subscribe(session, message.channel));
    case 'unsubscribe':
      await unsubscribe(session, message.channel);
      return done(undefined);
    case 'signal':
      return { result: (await sendSignal(session, message)).confirmed };
    case 'location':
      return { result: (await publishLocation(session, message.position, message.id)).confirmed };
    case 'history':
      return done(await readHistory(session, message));
    case 'lookup':
      return done(await lookup(session, message.userId));
    case 'ping':
      return done({ ts: session.ctx.now() });
    case 'invite':
    case 'accept':
    case 'reject':
    case 'cancel':
    case 'hangup':
    case 'sos':
    case 'calls':
    case 'turn':
      return session.ctx.calls.handle(session, message);
    default:
      return assertNever(message);
  }
}

export function assertNever(value: never): never {
  throw new Error(`unhandled message: ${JSON.stringify(value)}`);
}
