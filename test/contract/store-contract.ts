/**
 * The Store contract (src/store/store.ts), written once and run against every implementation:
 * `describeStoreContract('redis', factory)`. The factory returns at least two started stores over
 * the same backing data, as two nodes share one Redis, so every cluster-wide promise is checked
 * across instances. Each test also uses fresh ids, so a shared backend needs no reset.
 *
 * Time is the caller's: presence tests pass explicit `now` / `until` values around `T0` instead of
 * waiting, and resume tests pass `Date.now()`-based ones (a record opened now lives
 * `attachedTtlMs` from the real clock). Nothing sleeps.
 *
 * To extend: add an `it` per promise of the interface's doc comment, using `ids()` for anything
 * that names stored data, and a second store wherever "cluster-wide" is part of the promise.
 * Tests that need other bounds build their own cluster with `withCluster(options, ...)`.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Store, StoreError, type StoreState } from '../../src/store/store.ts';
import { LIVE, T0, fix, ids, live, member } from './store-contract-helpers.ts';
import { locationContract } from './store-contract-locations.ts';
import { presenceContract } from './store-contract-presence.ts';
import { directContract } from './store-contract-direct.ts';
import { sessionsContract } from './store-contract-sessions.ts';
import { rosterContract } from './store-contract-rosters.ts';

export interface StoreCluster {
  /** at least two, started, over the same data */
  stores: Store[];
  close(): Promise<void>;
}

/** Bounds every implementation takes (`MemoryStoreOptions`, `RedisStoreOptions`). */
export interface StoreContractOptions {
  trailMaxEntries?: number;
  trailWindowMs?: number;
}

/** What the per-interface parts of the suite get: the two stores of the current test. */
export interface ContractContext {
  a(): Store;
  b(): Store;
  withCluster(options: StoreContractOptions, test: (a: Store, b: Store) => Promise<void>): Promise<void>;
}

export function describeStoreContract(name: string, makeStore: (options?: StoreContractOptions) => Promise<StoreCluster>): void {
  describe(`Store contract: ${name}`, () => {
    let cluster: StoreCluster;
    let a: Store;
    let b: Store;

    beforeEach(async () => {
      cluster = await makeStore();
      expect(cluster.stores.length).toBeGreaterThanOrEqual(2);
      [a, b] = cluster.stores as [Store, Store];
    });
    afterEach(async () => {
      await cluster.close();
    });

    async function withCluster(options: StoreContractOptions, test: (a: Store, b: Store) => Promise<void>): Promise<void> {
      const own = await makeStore(options);
      try {
        await test(own.stores[0]!, own.stores[1]!);
      } finally {
        await own.close();
      }
    }

    it('starts up', () => {
      for (const store of cluster.stores) expect(store.state).toBe('up');
    });

    const context: ContractContext = { a: () => a, b: () => b, withCluster };
    describe('rosters', () => rosterContract(context));
    describe('presence', () => presenceContract(context));
    describe('locations', () => locationContract(context));
    describe('session records', () => sessionsContract(context));
    describe('direct messages', () => directContract(context));

    it('returns copies: mutating arguments or results never changes what is stored', async () => {
      const room = ids('room');
      const patient = ids('patient');
      const alice = member('alice', 'patient');
      const original = { ...alice };
      await live(a, LIVE, alice);
      const roster = await a.joinRoom(room, alice, T0, null);
      alice.role = 'admin';
      roster![0]!.userId = 'mallory';
      (await a.roomMembers(room, T0))[0]!.role = 'admin';
      (await a.userSessions(original.userId, T0))[0]!.role = 'admin';
      expect(await b.roomMembers(room, T0)).toEqual([original]);
      expect(await b.userSessions(original.userId, T0)).toEqual([original]);

      const written = fix(patient, 4);
      const snapshot = structuredClone(written);
      await a.recordPosition(patient, written);
      written.position.lat = 0;
      const read = await a.lastPosition(patient);
      read!.position.lng = 0;
      read!.from.userId = 'mallory';
      (await a.trail(patient, 0, 10))[0]!.position.lat = 1;
      expect(await b.lastPosition(patient)).toEqual(snapshot);
      expect(await b.trail(patient, 0, 10)).toEqual([snapshot]);
    });

    it('close reports closed; later calls reject with StoreError; close is idempotent', async () => {
      const seen: StoreState[] = [];
      a.onState((state) => seen.push(state));
      await a.close();
      expect(a.state).toBe('closed');
      expect(seen).toEqual(['closed']);
      const call = a.roomMembers(ids('room'), T0);
      await expect(call).rejects.toBeInstanceOf(StoreError);
      await expect(call).rejects.toMatchObject({ code: 'UNAVAILABLE' });
      await expect(a.touchSessions([], LIVE)).rejects.toBeInstanceOf(StoreError);
      await expect(a.logDeliveries([{ sessionId: ids('session'), epoch: 1, frames: [] }])).rejects.toBeInstanceOf(StoreError);
      await a.close();
      expect(a.state).toBe('closed');
      expect(await b.roomMembers(ids('room'), T0)).toEqual([]);
    });
  });
}
