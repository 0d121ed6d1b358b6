import type { Logger } from 'pino';
import type { CallHistoryEntry, Records } from '../records/records.ts';

/** entries held while the records database is unavailable, at most; past it the oldest go */
const HELD_LIMIT = 10_000;
const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 30_000;

/**
 * Writes call history without making a call wait for the database: entries are written in
 * batches, and while the database is unavailable they are held (at most HELD_LIMIT, oldest
 * dropped with a warning) and written again with backoff, and at once when the records report
 * `up`. Writes are idempotent per (user, call), so writing one twice is harmless. What is held
 * is lost if the node stops first.
 */
export class HistoryWriter {
  private held: CallHistoryEntry[] = [];
  private writing: Promise<void> | null = null;
  private timer: NodeJS.Timeout | undefined;
  private failures = 0;
  private stopped = false;
  private readonly records: Records;
  private readonly logger: Pick<Logger, 'warn' | 'info'>;

  constructor(records: Records, logger: Pick<Logger, 'warn' | 'info'>) {
    this.records = records;
    this.logger = logger;
    records.onState((state) => state === 'up' && this.held.length > 0 && this.flushSoon(0));
  }

  write(entries: readonly CallHistoryEntry[]): void {
    if (this.stopped || entries.length === 0) return;
    this.held.push(...entries);
    if (this.held.length > HELD_LIMIT) {
      const dropped = this.held.length - HELD_LIMIT;
      this.held = this.held.slice(dropped);
      this.logger.warn({ dropped }, 'call history dropped: records database unavailable too long');
    }
    if (this.failures === 0) this.flushSoon(0);
  }

  /** Resolves once everything written so far was tried once (tests, shutdown). */
  async settled(): Promise<void> {
    if (!this.writing && this.timer && this.failures === 0) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.writing = this.flush().finally(() => (this.writing = null));
    }
    while (this.writing) await this.writing;
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.held.length > 0) this.logger.warn({ entries: this.held.length }, 'call history not written at shutdown');
  }

  private flushSoon(delayMs: number): void {
    if (this.writing || this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.writing = this.flush().finally(() => (this.writing = null));
    }, delayMs);
    this.timer.unref();
  }

  private async flush(): Promise<void> {
    const batch = this.held;
    this.held = [];
    try {
      await this.records.calls.recordCalls(batch);
      if (this.failures > 0) this.logger.info({ entries: batch.length }, 'call history written after the records database returned');
      this.failures = 0;
    } catch (error) {
      this.held = [...batch, ...this.held];
      const delay = Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** this.failures++);
      if (this.failures === 1) this.logger.warn({ err: error, entries: this.held.length, retryInMs: delay }, 'call history not written: records unavailable; held');
      this.writing = null;
      this.flushSoon(delay);
      return;
    }
    if (this.held.length > 0) {
      this.writing = null;
      this.flushSoon(0);
    }
  }
}
