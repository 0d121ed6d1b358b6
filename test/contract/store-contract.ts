/**
 * The Store contract (src/store/store.ts), written once and run against every implementation:
 * `describeStoreContract('redis', factory)`. The factory returns at least two started stores over
 * the same backing data, as two nodes share one Redis, so every cluster-wide promise is checked
 * across instances. Each test uses fresh room and patient ids, so a shared backend needs no reset.
 *
 * To extend: add an `it` per promise of the interface's doc comment, using `ids()` for anything
 * that names stored data, and a second store wherever "cluster-wide" is part of the promise.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Member } from '../../src/protocol/index.ts';
import { type PositionFix, type Store, StoreError, type StoreState } from '../../src/store/store.ts';

export interface StoreCluster {
  /** at least two, started, over the same data */
  stores: Store[];
  close(): Promise<void>;
}

export function describeStoreContract(name: string, makeStore: () => Promise<StoreCluster>): void {
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

    it('starts up', () => {
      for (const store of cluster.stores) expect(store.state).toBe('up');
    });

    it('joinRoom returns the roster with the joiner and members joined on other nodes', async () => {
      const room = ids('room');
      const alice = member('alice', 'patient');
      const bob = member('bob', 'caregiver');
      expect(await a.joinRoom(room, alice)).toEqual([alice]);
      expect(bySession(await b.joinRoom(room, bob))).toEqual(bySession([alice, bob]));
      expect(bySession(await a.roomMembers(room))).toEqual(bySession([alice, bob]));
    });

    it('lists each session once: rejoining replaces, two sessions of one user are two members', async () => {
      const room = ids('room');
      const phone = member('carol', 'caregiver');
      const laptop = { ...phone, sessionId: ids('session') };
      await a.joinRoom(room, phone);
      await a.joinRoom(room, phone);
      const roster = await b.joinRoom(room, laptop);
      expect(bySession(roster)).toEqual(bySession([phone, laptop]));
    });

    it('leaveRoom removes the session for every node; the room empties', async () => {
      const room = ids('room');
      const alice = member('alice', 'patient');
      const bob = member('bob', 'caregiver');
      await a.joinRoom(room, alice);
      await b.joinRoom(room, bob);
      await b.leaveRoom(room, alice.sessionId);
      expect(await a.roomMembers(room)).toEqual([bob]);
      await a.leaveRoom(room, bob.sessionId);
      expect(await b.roomMembers(room)).toEqual([]);
    });

    it('leaveRoom of an absent session or room is a no-op', async () => {
      const room = ids('room');
      const alice = member('alice', 'patient');
      await a.leaveRoom(ids('room'), alice.sessionId);
      await a.joinRoom(room, alice);
      await b.leaveRoom(room, ids('session'));
      expect(await b.roomMembers(room)).toEqual([alice]);
    });

    it('rooms are independent', async () => {
      const [one, two] = [ids('room'), ids('room')];
      const alice = member('alice', 'patient');
      await a.joinRoom(one, alice);
      expect(await b.roomMembers(two)).toEqual([]);
      await b.leaveRoom(two, alice.sessionId);
      expect(await a.roomMembers(one)).toEqual([alice]);
    });

    it('lastPosition is null for an unknown patient', async () => {
      expect(await a.lastPosition(ids('patient'))).toBeNull();
    });

    it('lastPosition returns the latest write, from any node', async () => {
      const patient = ids('patient');
      const first = fix(patient, 1);
      const second = fix(patient, 2);
      await a.setLastPosition(patient, first);
      expect(await b.lastPosition(patient)).toEqual(first);
      await b.setLastPosition(patient, second);
      expect(await a.lastPosition(patient)).toEqual(second);
      expect(await a.lastPosition(ids('patient'))).toBeNull();
    });

    it('keeps optional position fields exactly', async () => {
      const patient = ids('patient');
      const full = fix(patient, 3);
      full.position = { ...full.position, heading: 359.5, speed: 1.25, battery: 0 };
      await a.setLastPosition(patient, full);
      expect(await b.lastPosition(patient)).toStrictEqual(full);
    });

    it('returns copies: mutating arguments or results never changes what is stored', async () => {
      const room = ids('room');
      const patient = ids('patient');
      const alice = member('alice', 'patient');
      const original = { ...alice };
      const roster = await a.joinRoom(room, alice);
      alice.role = 'admin';
      roster[0]!.userId = 'mallory';
      (await a.roomMembers(room))[0]!.role = 'admin';
      expect(await b.roomMembers(room)).toEqual([original]);

      const written = fix(patient, 4);
      const snapshot = structuredClone(written);
      await a.setLastPosition(patient, written);
      written.position.lat = 0;
      const read = await a.lastPosition(patient);
      read!.position.lng = 0;
      read!.from.userId = 'mallory';
      expect(await b.lastPosition(patient)).toEqual(snapshot);
    });

    it('close reports closed; later calls reject with StoreError; close is idempotent', async () => {
      const seen: StoreState[] = [];
      a.onState((state) => seen.push(state));
      await a.close();
      expect(a.state).toBe('closed');
      expect(seen).toEqual(['closed']);
      const call = a.roomMembers(ids('room'));
      await expect(call).rejects.toBeInstanceOf(StoreError);
      await expect(call).rejects.toMatchObject({ code: 'UNAVAILABLE' });
      await a.close();
      expect(a.state).toBe('closed');
      expect(await b.roomMembers(ids('room'))).toEqual([]);
    });
  });
}

/** A fresh id, unique across runs and test files sharing a backend. */
export function ids(kind: string): string {
  return `${kind}-${randomUUID()}`;
}

function member(userId: string, role: string): Member {
  return { userId: `${userId}-${randomUUID().slice(0, 8)}`, role, sessionId: ids('session') };
}

function fix(patientId: string, n: number): PositionFix {
  return {
    position: { lat: 48.1 + n / 1000, lng: 11.5 + n / 1000, accuracy: 5 + n, timestamp: 1_700_000_000_000 + n },
    from: { userId: patientId, role: 'patient', sessionId: ids('session') },
    ts: 1_700_000_000_500 + n,
  };
}

function bySession(members: Member[]): Member[] {
  return [...members].sort((x, y) => x.sessionId.localeCompare(y.sessionId));
}
