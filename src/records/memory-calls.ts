import type { CallHistory, CallHistoryEntry, CallHistoryPage } from './call-history.ts';

/** Call history held in memory: per user, newest `maxPerUser` entries (oldest by start forgotten). */
export class MemoryCallHistory implements CallHistory {
  private readonly byUser: Map<string, Map<string, CallHistoryEntry>>;
  private readonly maxPerUser: number;
  private readonly assertUp: () => void;

  constructor(byUser: Map<string, Map<string, CallHistoryEntry>>, maxPerUser: number, assertUp: () => void) {
    this.byUser = byUser;
    this.maxPerUser = maxPerUser;
    this.assertUp = assertUp;
  }

  async recordCalls(entries: readonly CallHistoryEntry[]): Promise<void> {
    this.assertUp();
    for (const entry of entries) {
      let calls = this.byUser.get(entry.userId);
      if (!calls) this.byUser.set(entry.userId, (calls = new Map()));
      calls.set(entry.callId, { ...entry });
      if (calls.size > this.maxPerUser) {
        const oldest = [...calls.values()].sort(newestFirst).at(-1)!;
        calls.delete(oldest.callId);
      }
    }
  }

  async listCalls(userId: string, { before, limit }: CallHistoryPage): Promise<CallHistoryEntry[]> {
    this.assertUp();
    const calls = [...(this.byUser.get(userId)?.values() ?? [])].sort(newestFirst);
    const older = before ? calls.filter((c) => c.startedAt < before.startedAt || (c.startedAt === before.startedAt && c.callId < before.callId)) : calls;
    return older.slice(0, limit).map((c) => ({ ...c }));
  }

  async pruneCalls(endedBefore: number): Promise<number> {
    this.assertUp();
    let pruned = 0;
    for (const [userId, calls] of this.byUser) {
      for (const [callId, entry] of calls) {
        if (entry.endedAt < endedBefore) {
          calls.delete(callId);
          pruned++;
        }
      }
      if (calls.size === 0) this.byUser.delete(userId);
    }
    return pruned;
  }
}

function newestFirst(a: CallHistoryEntry, b: CallHistoryEntry): number {
  return b.startedAt - a.startedAt || (a.callId < b.callId ? 1 : a.callId > b.callId ? -1 : 0);
}
