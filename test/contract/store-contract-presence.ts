/** Store contract, presence: see store-contract.ts for how the suite runs. */
import { beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/store.ts';
import type { ContractContext } from './store-contract.ts';
import { ids, member, live, record, request, mine, bySession, direct, endNow, T0, LIVE } from './store-contract-helpers.ts';

/** a resume deadline no test reaches */
const FAR = Number.MAX_SAFE_INTEGER;

export function presenceContract(t: ContractContext): void {
  let a: Store;
  let b: Store;
  beforeEach(() => {
    [a, b] = [t.a(), t.b()];
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
    for (const room of [one, two]) for (const m of [alice, bob]) await a.joinRoom(room, m, T0, null);
    expect(await endNow(b, alice.sessionId)).toBe(true);
    expect(await a.userSessions(alice.userId, T0)).toEqual([]);
    expect(await a.roomMembers(one, T0)).toEqual([bob]);
    expect(await a.roomMembers(two, T0)).toEqual([bob]);
    // ended, it is never claimed as lapsed
    expect(mine(await b.claimLapsed(LIVE + 1, 1000, FAR), [alice, bob]).map((c) => c.member)).toEqual([bob]);
    // live again later (a new heartbeat), it is in no room: rosters were cleaned, not filtered
    await live(a, LIVE, alice);
    expect(await a.roomMembers(one, T0)).toEqual([]);
    expect(await endNow(a, ids('session'))).toBe(true);
  });

  it('endSession is fenced by epoch: after a resume elsewhere the old owner changes nothing', async () => {
    const room = ids('room');
    const alice = member('alice', 'patient');
    await live(a, LIVE, alice);
    await a.joinRoom(room, alice, T0, null);
    const rec = record(alice);
    const first = await a.openSession(rec, Date.now());
    const resumed = await b.takeOver(request(rec), Date.now());
    if (!resumed?.complete) throw new Error('expected a complete takeover');
    expect(resumed.epoch).not.toBe(first);
    expect(await a.endSession(alice.sessionId, first, { resumableUntil: null, now: Date.now() })).toBe(false);
    expect(await b.userSessions(alice.userId, T0)).toEqual([alice]);
    expect(await b.roomMembers(room, T0)).toEqual([alice]);
    expect(await b.endSession(alice.sessionId, resumed.epoch, { resumableUntil: null, now: Date.now() })).toBe(true);
    expect(await a.userSessions(alice.userId, T0)).toEqual([]);
    expect(await a.roomMembers(room, T0)).toEqual([]);
  });

  it('claimLapsed hands each lapsed session once, with its rooms, to concurrent claimers', async () => {
    const [one, two] = [ids('room'), ids('room')];
    const stayer = member('zoe', 'caregiver');
    const lapsing = Array.from({ length: 6 }, (_, i) => member(`user${i}`, 'caregiver'));
    await live(a, T0 + 10, ...lapsing);
    await live(b, LIVE, stayer);
    for (const m of [stayer, ...lapsing]) await a.joinRoom(one, m, T0, null);
    await b.joinRoom(two, lapsing[0]!, T0, null);
    // not lapsed while `now` is at the deadline
    expect(mine(await a.claimLapsed(T0 + 10, 1000, FAR), lapsing)).toEqual([]);

    const claims = await Promise.all([a.claimLapsed(T0 + 11, 1000, FAR), b.claimLapsed(T0 + 11, 1000, FAR), a.claimLapsed(T0 + 11, 1000, FAR)]);
    const claimed = claims.flatMap((c) => mine(c, lapsing));
    expect(bySession(claimed.map((c) => c.member))).toEqual(bySession(lapsing));
    for (const c of claimed) {
      expect(c.rooms.sort()).toEqual(c.member.sessionId === lapsing[0]!.sessionId ? [one, two].sort() : [one]);
    }
    expect(mine(await b.claimLapsed(T0 + 11, 1000, FAR), lapsing)).toEqual([]);
    // removed from the rosters, not just filtered: live again, they are in no room
    await live(a, LIVE, ...lapsing);
    expect(await b.roomMembers(one, T0)).toEqual([stayer]);
    expect(await b.roomMembers(two, T0)).toEqual([]);
  });

  it('claimLapsed takes at most `limit` at a time', async () => {
    const lapsing = Array.from({ length: 3 }, (_, i) => member(`user${i}`, 'patient'));
    await live(a, T0 + 10, ...lapsing);
    const first = await b.claimLapsed(T0 + 11, 2, FAR);
    const second = await a.claimLapsed(T0 + 11, 2, FAR);
    expect(first).toHaveLength(2);
    expect(second).toHaveLength(1);
    expect(bySession([...first, ...second].map((c) => c.member))).toEqual(bySession(lapsing));
    expect(await b.claimLapsed(T0 + 11, 2, FAR)).toEqual([]);
    expect(await b.claimLapsed(T0 + 11, 0, FAR)).toEqual([]);
  });

  it('takeOver lists the session live until liveUntil: a node that took it over and never renews it (a lost reply) leaves it to lapse, and it is claimed like any other', async () => {
    const alice = member('alice', 'patient');
    const rec = record(alice);
    const now = Date.now();
    await a.openSession(rec, now);
    expect(await b.takeOver(request(rec, 0, T0 + 10), now)).toMatchObject({ complete: true });
    expect(await a.userSessions(alice.userId, T0 + 10)).toEqual([alice]);
    expect(mine(await a.claimLapsed(T0 + 10, 1000, now + 5_000), [alice])).toEqual([]);
    expect(mine(await a.claimLapsed(T0 + 11, 1000, now + 5_000), [alice]).map((c) => c.member)).toEqual([alice]);
    // detached: resumable until the claim's deadline, no longer for attachedTtlMs
    expect(await b.takeOver(request(rec), now + 5_000)).toBeNull();
  });

  it('a claimed session stays resumable, detached, until the given time, and is still owed direct messages', async () => {
    const alice = member('alice', 'patient');
    const rec = record(alice);
    await live(a, T0 + 10, alice);
    const now = Date.now();
    await a.openSession(rec, now);
    expect(mine(await b.claimLapsed(T0 + 11, 1000, now + 5_000), [alice])).toHaveLength(1);
    // detached: a direct message is still kept for it
    const [kept] = await a.appendDirect([direct(alice.userId, 'f')], now);
    expect(kept).toMatchObject({ kind: 'kept', sessions: 1 });
    expect(await b.takeOver(request(rec), now + 5_000)).toBeNull();
    expect(await b.takeOver(request(rec), now + 4_999)).toMatchObject({ member: alice, pending: [{ frame: 'f' }] });
  });
});

}
