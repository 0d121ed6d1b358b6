import type { Ack, ClientMessage, ErrorFrame } from '../protocol/index.ts';
import { TetherError, errorFrame } from './errors.ts';
import { handleRequest } from './requests.ts';
import { type Session, SessionEnded } from './session.ts';

export type Answer = Ack | ErrorFrame;

/** Requests that change something; a retry of one must not act twice. Reads are simply run again. */
const WRITES = new Set<ClientMessage['type']>(['signal', 'location', 'unsubscribe', 'invite', 'accept', 'reject', 'cancel', 'hangup', 'sos']);

/**
 * A session's requests by id, so that each id is answered exactly once however often it is sent:
 * a retry of a request still running waits for its answer; a retry of a write that took effect
 * gets the first answer again without acting twice. Only writes' answers are kept (they are
 * small), the newest `capacity`; a retryable error keeps nothing, so its retry runs again.
 *
 * Across a resume the session's journal (recorded in the Store when each write took effect)
 * seeds it, so a location or room signal retried on the new connection is answered from there.
 * A direct signal is not: it runs again, and the Store, which knows it was sent, hands back its
 * first offset (see sendSignal).
 */
export class RequestLedger {
  private readonly running = new Map<string, Promise<Answer | null>>();
  private readonly done = new Map<string, Answer>();
  private readonly capacity: number;

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  receive(session: Session, message: ClientMessage): void {
    const { id } = message;
    const running = this.running.get(id);
    if (running) {
      void running.then((answer) => answer && session.send(answer));
      return;
    }
    const past = this.done.get(id);
    if (past) {
      session.send(past);
      return;
    }
    const answer = session.queue
      .run(async () => {
        session.assertOpen();
        return handleRequest(session, message);
      })
      .then((pending) => pending.result)
      .then(
        (result): Answer => (result === undefined ? { type: 'ack', id } : { type: 'ack', id, result }),
        (error: unknown) => toErrorFrame(session, id, error),
      );
    this.running.set(id, answer);
    void answer.then((frame) => {
      this.running.delete(id);
      if (frame === null) return;
      if (WRITES.has(message.type) && !(frame.type === 'error' && frame.retryable)) this.remember(id, frame);
      session.send(frame);
    });
  }

  /** Requests the session made before a resume (see SessionRecords.recordRequests); direct signals are left to the Store. */
  restore(journal: ReadonlyArray<{ requestId: string; offset?: number }>): void {
    for (const { requestId, offset } of journal) if (offset === undefined) this.remember(requestId, { type: 'ack', id: requestId });
  }

  private remember(id: string, entry: Answer): void {
    this.done.delete(id);
    this.done.set(id, entry);
    if (this.done.size > this.capacity) this.done.delete(this.done.keys().next().value!);
  }
}

function toErrorFrame(session: Session, id: string, error: unknown): Answer | null {
  if (error instanceof SessionEnded) return null;
  if (error instanceof TetherError) {
    session.ctx.metrics.error(error.code);
    return errorFrame(id, error.code, error.message, error.details);
  }
  session.ctx.logger.error({ err: error, sessionId: session.id }, 'request failed unexpectedly');
  session.ctx.metrics.error('INTERNAL');
  return errorFrame(id, 'INTERNAL');
}
