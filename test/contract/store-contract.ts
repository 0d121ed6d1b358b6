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
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Member } from '../../src/protocol/index.ts';
import {
  type LoggedFrame,
  type PositionFix,
  type ResumeRecord,
  type ResumeRequest,
  type Store,
  StoreError,
  type StoreState,
} from '../../src/store/store.ts';

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

/** the caller's clock in presence tests, ms */
const T0 = 1_700_000_000_000;
/** a deadline far enough after T0 */
const LIVE = T0 + 60_000;

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

    describe('rosters', () => {
      it('joinRoom returns the roster with the joiner and members joined on other nodes', async () => {
        const room = ids('room');
        const alice = member('alice', 'patient');
        const bob = member('bob', 'caregiver');
        await live(a, LIVE, alice);
        await live(b, LIVE, bob);
        expect(await a.joinRoom(room, alice, T0)).toEqual([alice]);
        expect(bySession(await b.joinRoom(room, bob, T0))).toEqual(bySession([alice, bob]));
        expect(bySession(await a.roomMembers(room, T0))).toEqual(bySession([alice, bob]));
      });

      it('lists each session once: rejoining replaces, two sessions of one user are two members', async () => {
        const room = ids('room');
        const phone = member('carol', 'caregiver');
        const laptop = { ...phone, sessionId: ids('session') };
        await live(a, LIVE, phone, laptop);
        await a.joinRoom(room, phone, T0);
        await a.joinRoom(room, phone, T0);
        const roster = await b.joinRoom(room, laptop, T0);
        expect(bySession(roster)).toEqual(bySession([phone, laptop]));
      });

      it('leaveRoom removes the session for every node; the room empties', async () => {
        const room = ids('room');
        const alice = member('alice', 'patient');
        const bob = member('bob', 'caregiver');
        await live(a, LIVE, alice, bob);
        await a.joinRoom(room, alice, T0);
        await b.joinRoom(room, bob, T0);
        await b.leaveRoom(room, alice.sessionId);
        expect(await a.roomMembers(room, T0)).toEqual([bob]);
        await a.leaveRoom(room, bob.sessionId);
        expect(await b.roomMembers(room, T0)).toEqual([]);
      });

      it('leaveRoom of an absent session or room is a no-op', async () => {
        const room = ids('room');
        const alice = member('alice', 'patient');
        await live(a, LIVE, alice);
        await a.leaveRoom(ids('room'), alice.sessionId);
        await a.joinRoom(room, alice, T0);
        await b.leaveRoom(room, ids('session'));
        expect(await b.roomMembers(room, T0)).toEqual([alice]);
      });

      it('rooms are independent', async () => {
        const [one, two] = [ids('room'), ids('room')];
        const alice = member('alice', 'patient');
        await live(a, LIVE, alice);
        await a.joinRoom(one, alice, T0);
        expect(await b.roomMembers(two, T0)).toEqual([]);
        await b.leaveRoom(two, alice.sessionId);
        expect(await a.roomMembers(one, T0)).toEqual([alice]);
      });

      it('lists only sessions live at `now`: lapsed and ended ones are left out', async () => {
        const room = ids('room');
        const [alice, bob, carol, dave] = [member('alice', 'patient'), member('bob', 'caregiver'), member('carol', 'caregiver'), member('dave', 'caregiver')];
        await live(a, LIVE, alice, carol, dave);
        await live(b, T0 + 10, bob);
        for (const m of [alice, bob, carol]) await a.joinRoom(room, m, T0);
        expect(await b.endSession(carol.sessionId, 0)).toBe(true);
        // live until a deadline means live at it, not after it
        expect(bySession(await b.roomMembers(room, T0 + 10))).toEqual(bySession([alice, bob]));
        expect(await b.roomMembers(room, T0 + 11)).toEqual([alice]);
        expect(bySession(await b.joinRoom(room, dave, T0 + 11))).toEqual(bySession([alice, dave]));
      });
    });

    describe('presence', () => {
      it('userSessions lists a user’s sessions live at `now`, from every node', async () => {
        const phone = member('erin', 'caregiver');
        const laptop = { ...phone, sessionId: ids('session') };
        await live(a, T0 + 100, phone);
        await live(b, T0 + 50, laptop);
        expect(bySession(await a.userSessions(phone.userId, T0))).toEqual(bySession([phone, laptop]));
        expect(await b.userSessions(phone.userId, T0 + 51)).toEqual([phone]);
        expect(await b.userSessions(phone.userId, T0 + 101)).toEqual([]);
        expect(await a.userSessions(ids('user'), T0)).toEqual([]);
        // a later heartbeat from another node moves the deadline
        await live(b, T0 + 200, laptop);
        expect(await a.userSessions(phone.userId, T0 + 150)).toEqual([laptop]);
      });

      it('endSession removes the session from presence and every roster', async () => {
        const [one, two] = [ids('room'), ids('room')];
        const alice = member('alice', 'patient');
        const bob = member('bob', 'caregiver');
        await live(a, LIVE, alice, bob);
        for (const room of [one, two]) for (const m of [alice, bob]) await a.joinRoom(room, m, T0);
        expect(await b.endSession(alice.sessionId, 0)).toBe(true);
        expect(await a.userSessions(alice.userId, T0)).toEqual([]);
        expect(await a.roomMembers(one, T0)).toEqual([bob]);
        expect(await a.roomMembers(two, T0)).toEqual([bob]);
        // ended, it is never claimed as lapsed
        expect(mine(await b.claimLapsed(LIVE + 1, 1000), [alice, bob]).map((c) => c.member)).toEqual([bob]);
        // live again later (a new heartbeat), it is in no room: rosters were cleaned, not filtered
        await live(a, LIVE, alice);
        expect(await a.roomMembers(one, T0)).toEqual([]);
        expect(await a.endSession(ids('session'), 0)).toBe(true);
      });

      it('endSession is fenced by epoch: after a resume elsewhere the old owner changes nothing', async () => {
        const room = ids('room');
        const alice = member('alice', 'patient');
        await live(a, LIVE, alice);
        await a.joinRoom(room, alice, T0);
        const rec = record(alice);
        const first = await a.openSession(rec);
        const resumed = await b.resume(request(rec), Date.now());
        expect(resumed!.epoch).toBeGreaterThan(first);
        expect(await a.endSession(alice.sessionId, first)).toBe(false);
        expect(await b.userSessions(alice.userId, T0)).toEqual([alice]);
        expect(await b.roomMembers(room, T0)).toEqual([alice]);
        expect(await b.endSession(alice.sessionId, resumed!.epoch)).toBe(true);
        expect(await a.userSessions(alice.userId, T0)).toEqual([]);
        expect(await a.roomMembers(room, T0)).toEqual([]);
      });

      it('claimLapsed hands each lapsed session once, with its rooms, to concurrent claimers', async () => {
        const [one, two] = [ids('room'), ids('room')];
        const stayer = member('zoe', 'caregiver');
        const lapsing = Array.from({ length: 6 }, (_, i) => member(`user${i}`, 'caregiver'));
        await live(a, T0 + 10, ...lapsing);
        await live(b, LIVE, stayer);
        for (const m of [stayer, ...lapsing]) await a.joinRoom(one, m, T0);
        await b.joinRoom(two, lapsing[0]!, T0);
        // not lapsed while `now` is at the deadline
        expect(mine(await a.claimLapsed(T0 + 10, 1000), lapsing)).toEqual([]);

        const claims = await Promise.all([a.claimLapsed(T0 + 11, 1000), b.claimLapsed(T0 + 11, 1000), a.claimLapsed(T0 + 11, 1000)]);
        const claimed = claims.flatMap((c) => mine(c, lapsing));
        expect(bySession(claimed.map((c) => c.member))).toEqual(bySession(lapsing));
        for (const c of claimed) {
          expect(c.rooms.sort()).toEqual(c.member.sessionId === lapsing[0]!.sessionId ? [one, two].sort() : [one]);
        }
        expect(mine(await b.claimLapsed(T0 + 11, 1000), lapsing)).toEqual([]);
        // removed from the rosters, not just filtered: live again, they are in no room
        await live(a, LIVE, ...lapsing);
        expect(await b.roomMembers(one, T0)).toEqual([stayer]);
        expect(await b.roomMembers(two, T0)).toEqual([]);
      });

      it('claimLapsed takes at most `limit` at a time', async () => {
        const lapsing = Array.from({ length: 3 }, (_, i) => member(`user${i}`, 'patient'));
        await live(a, T0 + 10, ...lapsing);
        const first = await b.claimLapsed(T0 + 11, 2);
        const second = await a.claimLapsed(T0 + 11, 2);
        expect(first).toHaveLength(2);
        expect(second).toHaveLength(1);
        expect(bySession([...first, ...second].map((c) => c.member))).toEqual(bySession(lapsing));
        expect(await b.claimLapsed(T0 + 11, 2)).toEqual([]);
        expect(await b.claimLapsed(T0 + 11, 0)).toEqual([]);
      });

      it('a claimed session keeps its resume record', async () => {
        const alice = member('alice', 'patient');
        const rec = record(alice);
        await live(a, T0 + 10, alice);
        await a.openSession(rec);
        expect(mine(await b.claimLapsed(T0 + 11, 1000), [alice])).toHaveLength(1);
        expect(await b.resume(request(rec), Date.now())).toMatchObject({ member: alice });
      });
    });

    describe('locations', () => {
      it('lastPosition is null for an unknown patient', async () => {
        expect(await a.lastPosition(ids('patient'))).toBeNull();
      });

      it('lastPosition returns the latest write, from any node', async () => {
        const patient = ids('patient');
        const first = fix(patient, 1);
        const second = fix(patient, 2);
        await a.recordPosition(patient, first);
        expect(await b.lastPosition(patient)).toEqual(first);
        await b.recordPosition(patient, second);
        expect(await a.lastPosition(patient)).toEqual(second);
        expect(await a.lastPosition(ids('patient'))).toBeNull();
      });

      it('keeps optional position fields exactly', async () => {
        const patient = ids('patient');
        const full = fix(patient, 3);
        full.position = { ...full.position, heading: 359.5, speed: 1.25, battery: 0 };
        await a.recordPosition(patient, full);
        expect(await b.lastPosition(patient)).toStrictEqual(full);
        expect(await b.trail(patient, 0, 10)).toStrictEqual([full]);
      });

      it('trail: entries with ts >= since, oldest first, the newest `limit`', async () => {
        const patient = ids('patient');
        const fixes = [1, 2, 3, 4, 5].map((n) => fix(patient, n));
        for (const [i, f] of fixes.entries()) await (i % 2 ? a : b).recordPosition(patient, f);
        expect(await a.trail(patient, 0, 100)).toEqual(fixes);
        expect(await b.trail(patient, fixes[2]!.ts, 100)).toEqual(fixes.slice(2));
        expect(await b.trail(patient, fixes[2]!.ts - 0.5, 2)).toEqual(fixes.slice(3));
        expect(await a.trail(patient, fixes[4]!.ts + 1, 100)).toEqual([]);
        expect(await a.trail(ids('patient'), 0, 100)).toEqual([]);
      });

      it('trail keeps arrival order when a fix is stamped earlier than the one before it', async () => {
        const patient = ids('patient');
        const [late, early, next] = [fix(patient, 10), fix(patient, 5), fix(patient, 11)];
        for (const f of [late, early, next]) await a.recordPosition(patient, f);
        expect(await b.trail(patient, 0, 10)).toEqual([late, early, next]);
        expect(await b.trail(patient, late.ts, 10)).toEqual([late, next]);
        expect(await b.lastPosition(patient)).toEqual(next);
      });

      it('trail keeps at most `trailMaxEntries`, the newest', async () => {
        await withCluster({ trailMaxEntries: 3 }, async (a, b) => {
          const patient = ids('patient');
          const fixes = [1, 2, 3, 4, 5].map((n) => fix(patient, n));
          for (const f of fixes) await a.recordPosition(patient, f);
          expect(await b.trail(patient, 0, 100)).toEqual(fixes.slice(2));
          expect(await b.trail(patient, 0, 2)).toEqual(fixes.slice(3));
        });
      });

      it('trail drops entries older than `trailWindowMs` before the newest', async () => {
        await withCluster({ trailWindowMs: 60_000 }, async (a, b) => {
          const patient = ids('patient');
          const at = (ms: number): PositionFix => ({ ...fix(patient, 1), ts: T0 + ms });
          const fixes = [at(0), at(30_000), at(60_000), at(90_000)];
          for (const f of fixes.slice(0, 3)) await a.recordPosition(patient, f);
          expect(await b.trail(patient, 0, 100)).toEqual(fixes.slice(0, 3));
          await b.recordPosition(patient, fixes[3]!);
          expect(await a.trail(patient, 0, 100)).toEqual(fixes.slice(1));
          expect(await a.trail(patient, T0 + 60_000, 100)).toEqual(fixes.slice(2));
        });
      });
    });

    describe('resume', () => {
      it('openSession and resume: a new, higher epoch each time, on any node', async () => {
        const alice = member('alice', 'patient');
        const rec = record(alice, { subscriptions: ['user:alice', 'room:r1'] });
        const first = await a.openSession(rec);
        const resumed = await b.resume(request(rec), Date.now());
        expect(resumed).toEqual({
          epoch: expect.any(Number),
          member: alice,
          subscriptions: ['user:alice', 'room:r1'],
          missed: [],
          lastLoggedSeq: 0,
          parked: [],
          complete: true,
        });
        expect(resumed!.epoch).toBeGreaterThan(first);
        const other = await b.openSession(record(member('bob', 'caregiver')));
        expect(other).toBeGreaterThan(resumed!.epoch);
      });

      it('resume is null for a wrong secret, another user, an unknown session or an expired record', async () => {
        const alice = member('alice', 'patient');
        const rec = record(alice);
        const epoch = await a.openSession(rec);
        const now = Date.now();
        expect(await b.resume({ ...request(rec), secret: 'guess' }, now)).toBeNull();
        expect(await b.resume({ ...request(rec), userId: 'mallory' }, now)).toBeNull();
        expect(await b.resume({ ...request(rec), sessionId: ids('session') }, now)).toBeNull();
        // attached: lives attachedTtlMs from openSession
        expect(await b.resume(request(rec), now + rec.attachedTtlMs + 60_000)).toBeNull();
        // detached: resumable while now < resumableUntil
        await a.detachSession(alice.sessionId, epoch, now + 30_000);
        expect(await b.resume(request(rec), now + 30_000)).toBeNull();
        expect(await b.resume(request(rec), now + 29_999)).not.toBeNull();
      });

      it('returns the frames logged after lastSeq in order, then the parked ones', async () => {
        const alice = member('alice', 'patient');
        const rec = record(alice);
        const epoch = await a.openSession(rec);
        await a.logDeliveries(alice.sessionId, epoch, frames(1, 3));
        await a.logDeliveries(alice.sessionId, epoch, frames(4, 5));
        await a.saveSubscriptions(alice.sessionId, epoch, ['user:x', 'location:p']);
        await a.detachSession(alice.sessionId, epoch, Date.now() + 30_000);
        expect(await b.park(alice.userId, '{"parked":1}', Date.now(), false)).toBe(1);
        expect(await a.park(alice.userId, '{"parked":"2/ü"}', Date.now(), false)).toBe(1);
        const resumed = await b.resume(request(rec, 2), Date.now());
        expect(resumed).toMatchObject({
          member: alice,
          subscriptions: ['user:x', 'location:p'],
          missed: frames(3, 5),
          lastLoggedSeq: 5,
          parked: ['{"parked":1}', '{"parked":"2/ü"}'],
          complete: true,
        });
        // parked frames are handed over once
        const again = await a.resume(request(rec, 5), Date.now());
        expect(again).toMatchObject({ missed: [], lastLoggedSeq: 5, parked: [], complete: true });
      });

      it('complete is false when the log no longer reaches back to lastSeq + 1', async () => {
        const alice = member('alice', 'patient');
        const rec = record(alice, { maxFrames: 3 });
        const epoch = await a.openSession(rec);
        await a.logDeliveries(alice.sessionId, epoch, frames(1, 6));
        const now = Date.now();
        expect(await b.resume(request(rec, 2), now)).toMatchObject({ missed: frames(4, 6), lastLoggedSeq: 6, complete: false });
        expect(await b.resume(request(rec, 3), now)).toMatchObject({ missed: frames(4, 6), complete: true });
        expect(await b.resume(request(rec, 6), now)).toMatchObject({ missed: [], complete: true });
      });

      it('ignores writes carrying an older epoch once the session was resumed elsewhere', async () => {
        const alice = member('alice', 'patient');
        const rec = record(alice);
        const old = await a.openSession(rec);
        await a.logDeliveries(alice.sessionId, old, frames(1, 2));
        const resumed = await b.resume(request(rec, 2), Date.now());
        const epoch = resumed!.epoch;
        await a.logDeliveries(alice.sessionId, old, frames(3, 4));
        await a.saveSubscriptions(alice.sessionId, old, ['room:stale']);
        await a.detachSession(alice.sessionId, old, null);
        await b.logDeliveries(alice.sessionId, epoch, [{ seq: 3, frame: '{"n":"new"}' }]);
        const after = await a.resume(request(rec, 2), Date.now());
        expect(after).toMatchObject({
          subscriptions: rec.subscriptions,
          missed: [{ seq: 3, frame: '{"n":"new"}' }],
          lastLoggedSeq: 3,
          complete: true,
        });
      });

      it('park: `attached` while a session is attached unless forced; counts resumable sessions', async () => {
        const phone = member('frank', 'patient');
        const laptop = { ...phone, sessionId: ids('session') };
        const [phoneRec, laptopRec] = [record(phone), record(laptop)];
        const phoneEpoch = await a.openSession(phoneRec);
        await b.openSession(laptopRec);
        const now = Date.now();
        expect(await a.park(phone.userId, 'f1', now, false)).toBe('attached');
        await a.detachSession(phone.sessionId, phoneEpoch, now + 30_000);
        expect(await b.park(phone.userId, 'f2', now, false)).toBe('attached');
        expect(await b.park(phone.userId, 'f3', now, true)).toBe(2);
        expect(await a.park(ids('user'), 'f4', now, false)).toBe(0);
        expect((await a.resume(request(phoneRec), now))!.parked).toEqual(['f3']);
        expect((await a.resume(request(laptopRec), now))!.parked).toEqual(['f3']);
      });

      it('park skips expired and forgotten records and keeps the newest `maxFrames`', async () => {
        const phone = member('gina', 'patient');
        const laptop = { ...phone, sessionId: ids('session') };
        const tablet = { ...phone, sessionId: ids('session') };
        const now = Date.now();
        const phoneRec = record(phone, { maxFrames: 2 });
        await a.detachSession(phone.sessionId, await a.openSession(phoneRec), now + 30_000);
        await a.detachSession(laptop.sessionId, await a.openSession(record(laptop)), now + 10_000);
        await a.detachSession(tablet.sessionId, await a.openSession(record(tablet)), null);
        await live(b, LIVE, phone);
        expect(await b.park(phone.userId, 'p1', now, false)).toBe(2);
        for (const frame of ['p2', 'p3']) expect(await b.park(phone.userId, frame, now + 20_000, false)).toBe(1);
        expect(await b.park(phone.userId, 'p4', now + 30_000, false)).toBe(0);
        expect((await a.resume(request(phoneRec), now))!.parked).toEqual(['p2', 'p3']);
      });

      it('detachSession(null) forgets the record; presence is untouched', async () => {
        const alice = member('alice', 'patient');
        const rec = record(alice);
        await live(a, LIVE, alice);
        const epoch = await a.openSession(rec);
        await a.logDeliveries(alice.sessionId, epoch, frames(1, 1));
        await a.detachSession(alice.sessionId, epoch, null);
        expect(await b.resume(request(rec), Date.now())).toBeNull();
        expect(await b.park(alice.userId, 'f', Date.now(), true)).toBe(0);
        expect(await b.userSessions(alice.userId, T0)).toEqual([alice]);
      });

      it('openSession again replaces the record: new secret, empty log', async () => {
        const alice = member('alice', 'patient');
        const rec = record(alice);
        const first = await a.openSession(rec);
        await a.logDeliveries(alice.sessionId, first, frames(1, 3));
        const fresh = { ...rec, secret: randomUUID(), subscriptions: ['user:new'] };
        const second = await b.openSession(fresh);
        expect(second).toBeGreaterThan(first);
        expect(await a.resume(request(rec), Date.now())).toBeNull();
        expect(await a.resume(request(fresh), Date.now())).toMatchObject({ subscriptions: ['user:new'], missed: [], lastLoggedSeq: 0 });
      });
    });

    it('returns copies: mutating arguments or results never changes what is stored', async () => {
      const room = ids('room');
      const patient = ids('patient');
      const alice = member('alice', 'patient');
      const original = { ...alice };
      await live(a, LIVE, alice);
      const roster = await a.joinRoom(room, alice, T0);
      alice.role = 'admin';
      roster[0]!.userId = 'mallory';
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
      await expect(a.logDeliveries(ids('session'), 1, [])).rejects.toBeInstanceOf(StoreError);
      await a.close();
      expect(a.state).toBe('closed');
      expect(await b.roomMembers(ids('room'), T0)).toEqual([]);
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

/** Heartbeat: `members` live until `until`. */
function live(store: Store, until: number, ...members: Member[]): Promise<void> {
  return store.touchSessions(members.map((m) => ({ member: m, nodeId: 'node-test' })), until);
}

function record(m: Member, overrides: Partial<ResumeRecord> = {}): ResumeRecord {
  return { member: m, secret: randomUUID(), subscriptions: [`user:${m.userId}`], attachedTtlMs: 60_000, maxFrames: 10, ...overrides };
}

function request(rec: ResumeRecord, lastSeq = 0): ResumeRequest {
  return { sessionId: rec.member.sessionId, secret: rec.secret, userId: rec.member.userId, lastSeq };
}

/** Frames `from`..`to` as JSON text with characters a codec could mangle (slash, quote, non-ASCII). */
function frames(from: number, to: number): LoggedFrame[] {
  return Array.from({ length: to - from + 1 }, (_, i) => ({
    seq: from + i,
    frame: JSON.stringify({ type: 'signal', seq: from + i, body: 'a/b "ü" \\n' }),
  }));
}

/** Claims of the given sessions only: a shared backend may hold other tests' lapsed sessions. */
function mine<T extends { member: Member }>(claims: T[], members: Member[]): T[] {
  const wanted = new Set(members.map((m) => m.sessionId));
  return claims.filter((c) => wanted.has(c.member.sessionId));
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
