import type { Logger } from 'pino';
import type { LoggedFrame, SessionFrames, Store } from '../store/store.ts';

/**
 * Writes what this node's sessions were delivered to their resume logs, for the whole node at
 * once: frames appended during one turn of the event loop (typically everything one broker read
 * delivered) go to the Store in one `logDeliveries` call, after that turn's I/O (`setImmediate`).
 *
 * Order per session is kept: one session's frames stay in seq order within a batch, and batches
 * are issued in order on one Store connection. `flush()` issues what is pending now; a session
 * calls it before it detaches, so its last frames are written before the detach.
 *
 * Best effort, like the log itself: a failed write is logged at debug and not retried; a resume
 * then reports `complete: false` if it needed the lost frames.
 */
export class ResumeLogWriter {
  private pending = new Map<string, SessionFrames & { frames: LoggedFrame[] }>();
  private scheduled: NodeJS.Immediate | undefined;
  private readonly store: Store;
  private readonly logger: Logger;

  constructor(store: Store, logger: Logger) {
    this.store = store;
    this.logger = logger;
  }

  append(sessionId: string, epoch: number, frame: LoggedFrame): void {
    const entry = this.pending.get(sessionId);
    if (entry && entry.epoch === epoch) {
      entry.frames.push(frame);
    } else {
      // a session that changed epoch within one turn: its earlier frames go first, on their own
      if (entry) this.flush();
      this.pending.set(sessionId, { sessionId, epoch, frames: [frame] });
    }
    this.scheduled ??= setImmediate(() => this.flush());
  }

  flush(): void {
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    if (this.pending.size === 0) return;
    const batch = [...this.pending.values()];
    this.pending = new Map();
    this.store.logDeliveries(batch).catch((error: unknown) => {
      this.logger.debug({ err: error, sessions: batch.length }, 'resume log not written');
    });
  }
}
