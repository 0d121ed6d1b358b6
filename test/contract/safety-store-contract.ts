/**
 * The SafetyStore contract (src/safety/safety-store.ts), written once and run against every
 * implementation (safety-store-memory.test.ts, safety-store-redis.test.ts). The factory returns
 * two stores over the same data, as two nodes share one Redis, so each promise is checked across
 * instances; races are real concurrent calls. Times are explicit; nothing waits.
 *
 * To extend: an `it` per promise of the interface's doc comment.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SafetyCommit, SafetyStore } from '../../src/safety/safety-store.ts';
import { StoreError } from '../../src/store/store.ts';

export interface SafetyStores {
  stores: [SafetyStore, SafetyStore];
  close(): Promise<void>;
}

/** Far enough ahead that due times and outbox leases of other tests in a shared store are never claimed here. */
const T0 = Date.now() + 365 * 86_400_000;
const pid = (): string => `p-${randomUUID().slice(0, 8)}`;

function commit(over: Partial<SafetyCommit> = {}): SafetyCommit {
  return { expected: 0, state: '{"n":1}', due: null, outbox: [], opened: [], closed: [], now: T0, leaseMs: 1_000, ...over };
}

export function describeSafetyStoreContract(name: string, make: () => Promise<SafetyStores>): void {
  describe(`SafetyStore contract: ${name}`, () => {
    let s: SafetyStores;
    let a: SafetyStore;
    let b: SafetyStore;
    beforeEach(async () => {
      s = await make();
      [a, b] = s.stores;
    });
    afterEach(() => s.close());

    it('commits by compare-and-set: the version moves by one, a stale expectation is refused', async () => {
      const p = pid();
      expect(await b.load(p)).toEqual({ version: 0, state: null, zones: null });
      expect(await a.commit(p, commit({ state: 'one' }))).toBe(true);
      expect(await b.load(p)).toMatchObject({ version: 1, state: 'one' });
      expect(await b.commit(p, commit({ expected: 0, state: 'stale' }))).toBe(false);
      expect(await b.commit(p, commit({ expected: 1, state: 'two' }))).toBe(true);
      expect(await a.load(p)).toMatchObject({ version: 2, state: 'two' });
    });

    it('lets exactly one of many racing commits on one version through', async () => {
      const p = pid();
      await a.commit(p, commit());
      const outcomes = await Promise.all(Array.from({ length: 10 }, (_, i) => [a, b][i % 2]!.commit(p, commit({ expected: 1, state: `w${i}`, outbox: [{ id: `o-${p}-${i}`, body: `${i}` }] }))));
      expect(outcomes.filter(Boolean)).toHaveLength(1);
      const winner = outcomes.indexOf(true);
      expect(await a.load(p)).toMatchObject({ version: 2, state: `w${winner}` });
      // only the winner's announcement exists
      const items = await b.claimOutbox(T0 + 1_000, 1_000, 1_000);
      expect(items.filter((i) => i.id.startsWith(`o-${p}-`))).toEqual([{ id: `o-${p}-${winner}`, body: `${winner}` }]);
    });

    it('hands a due patient to one claimer, and again after the lease if nobody committed', async () => {
      const p = pid();
      await a.commit(p, commit({ due: T0 + 10 }));
      expect(await b.claimDue(T0 + 5, 100, 1_000)).not.toContain(p);
      const claims = await Promise.all([a.claimDue(T0 + 10, 100, 1_000), b.claimDue(T0 + 10, 100, 1_000)]);
      expect(claims.flat().filter((x) => x === p)).toHaveLength(1);
      expect(await a.claimDue(T0 + 500, 100, 1_000)).not.toContain(p);
      // the claimer died: after the lease another takes it
      expect(await b.claimDue(T0 + 1_010, 100, 1_000)).toContain(p);
    });

    it('lets a commit replace or clear the due time', async () => {
      const p = pid();
      await a.commit(p, commit({ due: T0 + 10 }));
      await b.commit(p, commit({ expected: 1, due: T0 + 50 }));
      expect(await a.claimDue(T0 + 20, 100, 1_000)).not.toContain(p);
      expect(await a.claimDue(T0 + 50, 100, 1_000)).toContain(p);
      await b.commit(p, commit({ expected: 2, due: null }));
      expect(await a.claimDue(T0 + 100_000, 100, 1_000)).not.toContain(p);
    });

    it('keeps outbox items for other nodes until the lease, hands each to one claimer, and forgets acked ones', async () => {
      const p = pid();
      const items = [{ id: `x-${p}-1`, body: 'one' }, { id: `x-${p}-2`, body: 'two' }];
      await a.commit(p, commit({ outbox: items, leaseMs: 2_000 }));
      const mine = (list: Array<{ id: string }>) => list.filter((i) => i.id.startsWith(`x-${p}-`));
      expect(mine(await b.claimOutbox(T0 + 1_999, 100, 1_000))).toEqual([]);
      await a.ackOutbox([items[0]!.id]);
      const claims = await Promise.all([a.claimOutbox(T0 + 2_000, 100, 1_000), b.claimOutbox(T0 + 2_000, 100, 1_000)]);
      expect(mine(claims.flat())).toEqual([items[1]]);
      expect(mine(await a.claimOutbox(T0 + 2_500, 100, 1_000))).toEqual([]);
      expect(mine(await b.claimOutbox(T0 + 3_000, 100, 1_000))).toEqual([items[1]]);
      await b.ackOutbox([items[1]!.id]);
      expect(mine(await a.claimOutbox(T0 + 100_000, 100, 1_000))).toEqual([]);
    });

    it('counts open alerts cluster-wide', async () => {
      const [p, q] = [pid(), pid()];
      const before = await a.openAlerts();
      await a.commit(p, commit({ opened: [`al-${p}-1`, `al-${p}-2`] }));
      await b.commit(q, commit({ opened: [`al-${q}-1`] }));
      expect(await b.openAlerts()).toBe(before + 3);
      await a.commit(p, commit({ expected: 1, closed: [`al-${p}-1`] }));
      expect(await b.openAlerts()).toBe(before + 2);
    });

    it('keeps the zone copy with the higher revision', async () => {
      const p = pid();
      await a.putZones(p, { rev: 2, body: '[2]' });
      await b.putZones(p, { rev: 1, body: '[1]' });
      expect((await a.load(p)).zones).toEqual({ rev: 2, body: '[2]' });
      await b.putZones(p, { rev: 3, body: '[3]' });
      await a.commit(p, commit());
      expect(await a.load(p)).toMatchObject({ version: 1, zones: { rev: 3, body: '[3]' } });
    });

    it('rejects with StoreError once closed', async () => {
      await a.close();
      await expect(a.load(pid())).rejects.toBeInstanceOf(StoreError);
      await expect(a.commit(pid(), commit())).rejects.toBeInstanceOf(StoreError);
    });
  });
}
