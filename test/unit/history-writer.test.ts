/**
 * HistoryWriter.settled(): everything written before it was called has been tried once when it
 * resolves, also entries written while an earlier batch was in flight (they go in the next one).
 */
import { describe, expect, it } from 'vitest';
import { HistoryWriter } from '../../src/calls/history-writer.ts';
import type { CallHistoryEntry } from '../../src/records/call-history.ts';
import { MemoryRecords } from '../../src/records/memory.ts';

const quiet = { warn: () => {}, info: () => {} };

function entry(callId: string): CallHistoryEntry {
  return { userId: 'u', callId, peerId: 'p', direction: 'outgoing', media: 'audio', kind: 'call', startedAt: 1, answeredAt: null, endedAt: 2, reason: 'cancelled', escalated: false };
}

describe('HistoryWriter', () => {
  it('settles only after the batch that was waiting behind a slow write', async () => {
    const records = new MemoryRecords();
    await records.start();
    const write = records.calls.recordCalls.bind(records.calls);
    let release!: () => void;
    const firstHeld = new Promise<void>((resolve) => (release = resolve));
    let calls = 0;
    // the first write stays in flight until released: the second entry waits behind it
    records.calls.recordCalls = async (entries) => {
      if (calls++ === 0) await firstHeld;
      return write(entries);
    };
    const writer = new HistoryWriter(records, quiet);
    writer.write([entry('a')]);
    const first = writer.settled(); // starts writing 'a' now
    writer.write([entry('b')]);
    const settled = writer.settled();
    release();
    await Promise.all([first, settled]);
    const kept = await records.calls.listCalls('u', { before: null, limit: 10 });
    expect(kept.map((e) => e.callId).sort()).toEqual(['a', 'b']);
    expect(calls).toBe(2);
  });
});
