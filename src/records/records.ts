import type { CallHistory } from './call-history.ts';

export type * from './call-history.ts';

/**
 * Durable records: what must outlive Redis's soft state and a node's memory. Composed of one
 * small part per concern, each with its contract in its own file, and each adapter is composed
 * the same way (memory.ts of memory-*.ts, postgres.ts of postgres-*.ts):
 * - `calls`: call history (call-history.ts)
 *
 * Adapters: `MemoryRecords` (the embedded default: one process, gone on restart) and
 * `PostgresRecords` (DATABASE_URL). Contract common to every part: each operation is atomic;
 * when the backend is unreachable it rejects with `RecordsError` (a bounded wait, never an
 * unbounded queue); times are ms since the Unix epoch from the caller's clock.
 */
export interface Records {
  readonly calls: CallHistory;
  readonly state: RecordsState;
  /**
   * Connects and brings the schema up to date. Resolves once the first attempt settled, whether
   * or not it worked: a node boots while the database is down, and the adapter keeps trying.
   */
  start(): Promise<void>;
  onState(listener: (state: RecordsState) => void): void;
  close(): Promise<void>;
}

export type RecordsState = 'connecting' | 'up' | 'down' | 'closed';

export class RecordsError extends Error {
  readonly code = 'UNAVAILABLE';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'RecordsError';
  }
}
