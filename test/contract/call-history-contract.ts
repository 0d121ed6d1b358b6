/**
 * The CallHistory contract (src/records/call-history.ts), written once and run against every
 * Records adapter: `describeCallHistoryContract('postgres', factory)`. The factory returns at
 * least two started Records over the same data, as two nodes share one database, so every
 * promise is checked across instances. Each test uses fresh user ids, so a shared database needs
 * no reset; times are explicit values around T0, nothing waits.
 *
 * To extend: an `it` per promise of the interface's doc comment. The safety engineer's
 * `SafetyRecords` gets its own suite beside this one, run by the same two test files.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CallHistoryEntry } from '../../src/records/call-history.ts';
import { type Records, RecordsError } from '../../src/records/records.ts';

export interface RecordsCluster {
  /** at least two, started, over the same data */
  records: Records[];
  close(): Promise<void>;
}

const T0 = 1_790_000_000_000;
const user = (name: string): string => `${name}-${randomUUID().slice(0, 8)}`;

function entry(userId: string, n: number, overrides: Partial<CallHistoryEntry> = {}): CallHistoryEntry {
  return {
    userId,
    callId: `call-${n}-${randomUUID().slice(0, 6)}`,
    peerId: 'peer',
    direction: 'outgoing',
    media: 'audio',
    kind: 'call',
    startedAt: T0 + n * 1_000,
    answeredAt: null,
    endedAt: T0 + n * 1_000 + 30_000,
    reason: 'missed',
    escalated: false,
    ...overrides,
  };
}

export function describeCallHistoryContract(name: string, makeRecords: () => Promise<RecordsCluster>): void {
  describe(`CallHistory contract: ${name}`, () => {
    let cluster: RecordsCluster;
    let a: Records;
    let b: Records;

    beforeEach(async () => {
      cluster = await makeRecords();
      [a, b] = cluster.records as [Records, Records];
      expect(a.state).toBe('up');
    });
    afterEach(async () => {
      await cluster.close();
    });

    it('keeps every field of an entry as written, readable from another instance', async () => {
      const carol = user('carol');
      const answered = entry(carol, 1, { peerId: 'pat', direction: 'incoming', media: 'video', kind: 'sos', answeredAt: T0 + 1_500, reason: 'completed' });
      const escalated = entry(carol, 2, { reason: 'missed', escalated: true });
      await a.calls.recordCalls([answered, escalated]);
      expect(await b.calls.listCalls(carol, { before: null, limit: 10 })).toEqual([escalated, answered]);
    });

    it('lists one user only, newest first, at most `limit`', async () => {
      const [carol, dave] = [user('carol'), user('dave')];
      const mine = [3, 1, 2].map((n) => entry(carol, n));
      await a.calls.recordCalls([...mine, entry(dave, 4)]);
      const listed = await b.calls.listCalls(carol, { before: null, limit: 2 });
      expect(listed.map((c) => c.startedAt)).toEqual([T0 + 3_000, T0 + 2_000]);
      expect(await b.calls.listCalls(user('nobody'), { before: null, limit: 10 })).toEqual([]);
    });

    it('replaces an entry written again for the same user and call (a retried write)', async () => {
      const carol = user('carol');
      const first = entry(carol, 1);
      await a.calls.recordCalls([first]);
      const again = { ...first, answeredAt: first.startedAt + 100, reason: 'completed' as const };
      await b.calls.recordCalls([again, again]);
      expect(await a.calls.listCalls(carol, { before: null, limit: 10 })).toEqual([again]);
    });

    it('pages by the last entry seen without skipping or repeating, ties on startedAt broken by callId', async () => {
      const carol = user('carol');
      // five calls, two starting in the same millisecond
      const calls = [1, 2, 3, 3, 4].map((n) => entry(carol, n));
      await a.calls.recordCalls(calls);
      const seen: CallHistoryEntry[] = [];
      let before = null;
      for (let page = 0; page < 5; page++) {
        const got: CallHistoryEntry[] = await b.calls.listCalls(carol, { before, limit: 2 });
        if (got.length === 0) break;
        seen.push(...got);
        const last = got.at(-1)!;
        before = { startedAt: last.startedAt, callId: last.callId };
        // an entry written between pages, newer than everything: never in a later (older) page
        if (page === 0) await a.calls.recordCalls([entry(carol, 9)]);
      }
      expect(seen.map((c) => c.callId).sort()).toEqual(calls.map((c) => c.callId).sort());
      expect(new Set(seen.map((c) => c.callId)).size).toBe(5);
    });

    it('prunes entries that ended before the cutoff, of every user, and says how many', async () => {
      const [carol, dave] = [user('carol'), user('dave')];
      const long = T0 - 400 * 86_400_000;
      const old = [entry(carol, 1, { startedAt: long, endedAt: long + 1 }), entry(dave, 2, { startedAt: long, endedAt: long + 2 })];
      const recent = entry(carol, 3);
      await a.calls.recordCalls([...old, recent]);
      expect(await b.calls.pruneCalls(long + 3)).toBeGreaterThanOrEqual(2);
      expect(await a.calls.listCalls(carol, { before: null, limit: 10 })).toEqual([recent]);
      expect(await a.calls.listCalls(dave, { before: null, limit: 10 })).toEqual([]);
    });

    it('returns copies: changing what it returned or was given changes nothing kept', async () => {
      const carol = user('carol');
      const written = entry(carol, 1);
      const snapshot = { ...written };
      await a.calls.recordCalls([written]);
      written.reason = 'completed';
      (await a.calls.listCalls(carol, { before: null, limit: 1 }))[0]!.peerId = 'mallory';
      expect(await b.calls.listCalls(carol, { before: null, limit: 1 })).toEqual([snapshot]);
    });

    it('rejects with RecordsError once closed; close is idempotent', async () => {
      await a.close();
      expect(a.state).toBe('closed');
      await expect(a.calls.listCalls(user('carol'), { before: null, limit: 1 })).rejects.toBeInstanceOf(RecordsError);
      await expect(a.calls.recordCalls([entry(user('carol'), 1)])).rejects.toBeInstanceOf(RecordsError);
      await a.close();
      expect(await b.calls.listCalls(user('carol'), { before: null, limit: 1 })).toEqual([]);
    });
  });
}
