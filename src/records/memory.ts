import type { CallHistoryEntry } from './call-history.ts';
import { MemoryCallHistory } from './memory-calls.ts';
import { type Records, RecordsError, type RecordsState } from './records.ts';

/** What a `MemoryRecords` keeps; nodes of an in-process test cluster share one. */
export class MemoryRecordsData {
  /** userId -> callId -> entry */
  readonly calls = new Map<string, Map<string, CallHistoryEntry>>();
}

export interface MemoryRecordsOptions {
  data?: MemoryRecordsData;
  /** call history entries kept per user, newest; default 1 000 */
  maxCallsPerUser?: number;
}

/**
 * Records kept in this process: the embedded default when no DATABASE_URL is set. Nothing
 * survives a restart, and nodes in other processes see none of it.
 */
export class MemoryRecords implements Records {
  state: RecordsState = 'connecting';
  readonly calls: MemoryCallHistory;
  private readonly listeners: Array<(state: RecordsState) => void> = [];

  constructor(options: MemoryRecordsOptions = {}) {
    const data = options.data ?? new MemoryRecordsData();
    this.calls = new MemoryCallHistory(data.calls, options.maxCallsPerUser ?? 1_000, () => this.assertUp());
  }

  async start(): Promise<void> {
    this.setState('up');
  }

  onState(listener: (state: RecordsState) => void): void {
    this.listeners.push(listener);
  }

  async close(): Promise<void> {
    this.setState('closed');
  }

  private assertUp(): void {
    if (this.state !== 'up') throw new RecordsError(`memory records are ${this.state}`);
  }

  private setState(state: RecordsState): void {
    if (this.state === state || this.state === 'closed') return;
    this.state = state;
    for (const listener of this.listeners) listener(state);
  }
}
