/** Store contract, rosters: see store-contract.ts for how the suite runs. */
import { beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/store.ts';
import type { ContractContext } from './store-contract.ts';
import { ids, member, live, bySession, endNow, record, request, T0, LIVE } from './store-contract-helpers.ts';

export function rosterContract(t: ContractContext): void {
  let a: Store;
  let b: Store;
  beforeEach(() => {
    [a, b] = [t.a(), t.b()];
  });

describe('rosters', () => {
  it('joinRoom returns the roster with the joiner and members joined on other nodes', async () => {
    const room = ids('room');
    const alice = member('alice', 'patient');
    const bob = member('bob', 'caregiver');
    await live(a, LIVE, alice);
    await live(b, LIVE, bob);
    expect(await a.joinRoom(room, alice, T0, null)).toEqual([alice]);
    expect(bySession(await b.joinRoom(room, bob, T0, null))).toEqual(bySession([alice, bob]));
    expect(bySession(await a.roomMembers(room, T0))).toEqual(bySession([alice, bob]));
  });

  it('lists each session once: rejoining replaces, two sessions of one user are two members', async () => {
    const room = ids('room');
    const phone = member('carol', 'caregiver');
    const laptop = { ...phone, sessionId: ids('session') };
    await live(a, LIVE, phone, laptop);
    await a.joinRoom(room, phone, T0, null);
    await a.joinRoom(room, phone, T0, null);
    const roster = await b.joinRoom(room, laptop, T0, null);
    expect(bySession(roster)).toEqual(bySession([phone, laptop]));
  });

  it('leaveRoom removes the session for every node; the room empties', async () => {
    const room = ids('room');
    const alice = member('alice', 'patient');
    const bob = member('bob', 'caregiver');
    await live(a, LIVE, alice, bob);
    await a.joinRoom(room, alice, T0, null);
    await b.joinRoom(room, bob, T0, null);
    await b.leaveRoom(room, alice.sessionId, null);
    expect(await a.roomMembers(room, T0)).toEqual([bob]);
    await a.leaveRoom(room, bob.sessionId, null);
    expect(await b.roomMembers(room, T0)).toEqual([]);
  });

  it('leaveRoom of an absent session or room is a no-op', async () => {
    const room = ids('room');
    const alice = member('alice', 'patient');
    await live(a, LIVE, alice);
    await a.leaveRoom(ids('room'), alice.sessionId, null);
    await a.joinRoom(room, alice, T0, null);
    await b.leaveRoom(room, ids('session'), null);
    expect(await b.roomMembers(room, T0)).toEqual([alice]);
  });

  it('leaveRoom is fenced by epoch: once the session was taken over, or forgotten on purpose, the old epoch leaves nothing', async () => {
    const room = ids('room');
    const alice = member('alice', 'patient');
    await live(a, LIVE, alice);
    const rec = record(alice);
    const first = await a.openSession(rec, Date.now());
    await a.joinRoom(room, alice, T0, null);
    const taken = await b.takeOver(request(rec), Date.now());
    if (!taken?.complete) throw new Error('expected a complete takeover');
    expect(await a.leaveRoom(room, alice.sessionId, first)).toBe(false);
    expect(await b.roomMembers(room, T0)).toEqual([alice]);
    expect(await b.leaveRoom(room, alice.sessionId, taken.epoch)).toBe(true);
    expect(await b.roomMembers(room, T0)).toEqual([]);
    await b.joinRoom(room, alice, T0, null);
    // closed cleanly (forgotten on purpose): a stale connection of it is fenced too
    expect(await b.endSession(alice.sessionId, taken.epoch, { resumableUntil: null, now: Date.now() })).toBe(true);
    await live(a, LIVE, alice);
    await a.joinRoom(room, alice, T0, null);
    expect(await a.leaveRoom(room, alice.sessionId, taken.epoch)).toBe(false);
    // a session the store never registered (no epoch) is never fenced
    expect(await a.leaveRoom(room, alice.sessionId, null)).toBe(true);
    expect(await a.roomMembers(room, T0)).toEqual([]);
  });

  it('joinRoom is fenced by epoch like leaveRoom: a stale connection adds the session to no room', async () => {
    const [room, other] = [ids('room'), ids('room')];
    const alice = member('alice', 'patient');
    await live(a, LIVE, alice);
    const rec = record(alice);
    const first = await a.openSession(rec, Date.now());
    expect(await a.joinRoom(room, alice, T0, first)).toEqual([alice]);
    const taken = await b.takeOver(request(rec), Date.now());
    if (!taken?.complete) throw new Error('expected a complete takeover');
    expect(await a.joinRoom(other, alice, T0, first)).toBeNull();
    expect(await b.roomMembers(other, T0)).toEqual([]);
    expect(await b.joinRoom(other, alice, T0, taken.epoch)).toEqual([alice]);
  });

  it('rooms are independent', async () => {
    const [one, two] = [ids('room'), ids('room')];
    const alice = member('alice', 'patient');
    await live(a, LIVE, alice);
    await a.joinRoom(one, alice, T0, null);
    expect(await b.roomMembers(two, T0)).toEqual([]);
    await b.leaveRoom(two, alice.sessionId, null);
    expect(await a.roomMembers(one, T0)).toEqual([alice]);
  });

  it('lists only sessions live at `now`: lapsed and ended ones are left out', async () => {
    const room = ids('room');
    const [alice, bob, carol, dave] = [member('alice', 'patient'), member('bob', 'caregiver'), member('carol', 'caregiver'), member('dave', 'caregiver')];
    await live(a, LIVE, alice, carol, dave);
    await live(b, T0 + 10, bob);
    for (const m of [alice, bob, carol]) await a.joinRoom(room, m, T0, null);
    expect(await endNow(b, carol.sessionId)).toBe(true);
    // live until a deadline means live at it, not after it
    expect(bySession(await b.roomMembers(room, T0 + 10))).toEqual(bySession([alice, bob]));
    expect(await b.roomMembers(room, T0 + 11)).toEqual([alice]);
    expect(bySession(await b.joinRoom(room, dave, T0 + 11, null))).toEqual(bySession([alice, dave]));
  });
});

}
