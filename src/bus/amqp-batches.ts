import type { BusError } from './bus.ts';

/** One publish waiting for its broker message's outcome. */
export interface Frame {
  /** its encoded envelope (envelope.ts) */
  text: string;
  resolve(): void;
  reject(error: BusError): void;
}

/** Publishes to one channel with the same options, sent as one broker message. */
export interface Batch {
  channel: string;
  mandatory: boolean;
  ttlMs: number | undefined;
  frames: Frame[];
  /** UTF-16 length of the frames' texts, a bound on the body's size */
  length: number;
}

/** a batch is closed once its texts reach this many characters (a few 64 KiB frames at most) */
const MAX_BATCH_LENGTH = 256 * 1024;

/**
 * Gathers the publishes of one turn of the event loop and hands them to `send` at its end (a
 * setImmediate), publishes to the same channel with the same `mandatory` and `ttlMs` together
 * (when `coalesce`), in the order they were made. A batch shares one broker message and so one
 * fate: routed or returned (`mandatory`: every frame in it has the same destination, so a return
 * means the same for each), confirmed or not. A publish with other options than the open batch
 * of its channel closes that batch and opens a new one after it, so per channel the broker gets
 * the frames in publish order.
 * @internal
 */
export class PublishBatches {
  /** every batch of this turn, in the order opened */
  private batches: Batch[] = [];
  /** the batch still open per channel */
  private readonly open = new Map<string, Batch>();
  private scheduled = false;
  /** frames gathered and not yet sent */
  waiting = 0;
  private readonly send: (batches: Batch[]) => void;
  private readonly coalesce: boolean;

  constructor(send: (batches: Batch[]) => void, coalesce: boolean) {
    this.send = send;
    this.coalesce = coalesce;
  }

  add(channel: string, text: string, mandatory: boolean, ttlMs: number | undefined): Promise<void> {
    return new Promise((resolve, reject) => {
      let batch = this.open.get(channel);
      if (batch && (batch.mandatory !== mandatory || batch.ttlMs !== ttlMs || batch.length + text.length > MAX_BATCH_LENGTH)) {
        batch = undefined;
      }
      if (!batch) {
        batch = { channel, mandatory, ttlMs, frames: [], length: 0 };
        this.batches.push(batch);
        if (this.coalesce) this.open.set(channel, batch);
      }
      batch.frames.push({ text, resolve, reject });
      batch.length += text.length;
      this.waiting++;
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Rejects every frame not yet sent with `error`, in order. */
  fail(error: BusError): void {
    const batches = this.take();
    for (const batch of batches) for (const frame of batch.frames) frame.reject(error);
  }

  private flush(): void {
    this.scheduled = false;
    const batches = this.take();
    if (batches.length > 0) this.send(batches);
  }

  private take(): Batch[] {
    const batches = this.batches;
    this.batches = [];
    this.open.clear();
    this.waiting = 0;
    return batches;
  }
}
