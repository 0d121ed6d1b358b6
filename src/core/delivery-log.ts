import type { ServerMessage } from '../protocol/index.ts';
import { atEndOfTurn } from './next-turn.ts';
import type { Logger } from 'pino';
import type { LogOutcome, SessionFrames, Store } from '../store/store.ts';

/** A frame a session numbered and will write to its socket once it is logged. */
export interface OutgoingFrame {
  seq: number;
  frame: ServerMessage;
  /** `frame` serialized once, for both the socket and the log */
  text: string;
  /** a direct message's offset */
  offset?: number;
}

/** What the log needs from a session (implemented by Session). */
export interface LoggedSession {
  readonly id: string;
  /** the Store epoch its frames are logged under */
  readonly epoch: number | null;
  /** frames sent while the Store was unreachable, to declare with the next write */
  readonly unlogged: SessionFrames['unlogged'];
  /** the outcome for frames it appended, in order: 'failed' when the Store could not be reached */
  logged(frames: OutgoingFrame[], outcome: LogOutcome | 'failed', declared: SessionFrames['unlogged']): void;
}

/**
 * Logs what this node's sessions deliver before they write it to their sockets, for the whole
 * node at once: frames appended during a turn of the event loop go to the Store in one
 * `logDeliveries` call (at the end of the turn, with the node's other batches: next-turn.ts), with at most one call in flight (frames appended meanwhile go in the
 * next). A session's frames stay in seq order, and each session hears the outcome of its frames in
 * the order it appended them. So a client can never hold a frame its session's record does not
 * know, which is what lets a resume tell exactly what it missed.
 */
export class DeliveryLog {
  private next = new Map<LoggedSession, OutgoingFrame[]>();
  private writing = false;
  private scheduled = false;
  private readonly store: Store;
  private readonly logger: Logger;

  constructor(store: Store, logger: Logger) {
    this.store = store;
    this.logger = logger;
  }

  append(session: LoggedSession, frame: OutgoingFrame): void {
    const frames = this.next.get(session);
    if (frames) frames.push(frame);
    else this.next.set(session, [frame]);
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled || this.writing) return;
    this.scheduled = true;
    atEndOfTurn(() => {
      this.scheduled = false;
      void this.write();
    });
  }

  private async write(): Promise<void> {
    if (this.writing || this.next.size === 0) return;
    this.writing = true;
    const batch = this.next;
    this.next = new Map();
    const sessions = [...batch.keys()];
    const entries: SessionFrames[] = sessions.map((session) => ({
      sessionId: session.id,
      epoch: session.epoch ?? 0,
      frames: batch.get(session)!.map(({ seq, text, offset }) => (offset === undefined ? { seq, frame: text } : { seq, frame: text, offset })),
      ...(session.unlogged ? { unlogged: session.unlogged } : {}),
    }));
    let outcomes: Array<LogOutcome | 'failed'>;
    try {
      outcomes = await this.store.logDeliveries(entries);
    } catch (error) {
      this.logger.debug({ err: error, sessions: sessions.length }, 'resume log not written: frames sent unlogged');
      outcomes = sessions.map(() => 'failed');
    }
    sessions.forEach((session, i) => session.logged(batch.get(session)!, outcomes[i]!, entries[i]!.unlogged));
    this.writing = false;
    if (this.next.size > 0) this.schedule();
  }
}
