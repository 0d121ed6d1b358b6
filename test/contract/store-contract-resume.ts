/** Store contract, resume: see store-contract.ts for how the suite runs. */
import { randomUUID } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/store.ts';
import type { ContractContext } from './store-contract.ts';
import { ids, member, live, record, request, frames, T0, LIVE } from './store-contract-helpers.ts';

export function resumeContract(t: ContractContext): void {
  let a: Store;
  let b: Store;
  beforeEach(() => {
    [a, b] = [t.a(), t.b()];
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
    await a.logDeliveries([{ sessionId: alice.sessionId, epoch, frames: frames(1, 3) }]);
    await a.logDeliveries([{ sessionId: alice.sessionId, epoch, frames: frames(4, 5) }]);
    await a.saveSubscriptions(alice.sessionId, epoch, ['user:x', 'location:p']);
    await a.detachSession(alice.sessionId, epoch, Date.now() + 30_000);
    expect(await b.park(alice.userId, '{"parked":1}', Date.now())).toEqual({ parked: 1, attached: 0 });
    expect(await a.park(alice.userId, '{"parked":"2/ü"}', Date.now())).toEqual({ parked: 1, attached: 0 });
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
    await a.logDeliveries([{ sessionId: alice.sessionId, epoch, frames: frames(1, 6) }]);
    const now = Date.now();
    expect(await b.resume(request(rec, 2), now)).toMatchObject({ missed: frames(4, 6), lastLoggedSeq: 6, complete: false });
    expect(await b.resume(request(rec, 3), now)).toMatchObject({ missed: frames(4, 6), complete: true });
    expect(await b.resume(request(rec, 6), now)).toMatchObject({ missed: [], complete: true });
  });

  it('logs many sessions in one call, each fenced by its own epoch', async () => {
    const [alice, bob, carol] = [member('alice', 'patient'), member('bob', 'caregiver'), member('carol', 'caregiver')];
    const [ra, rb, rc] = [record(alice), record(bob), record(carol, { maxFrames: 2 })];
    const [ea, eb, ec] = [await a.openSession(ra), await a.openSession(rb), await a.openSession(rc)];
    await a.logDeliveries([
      { sessionId: alice.sessionId, epoch: ea, frames: frames(1, 2) },
      { sessionId: bob.sessionId, epoch: eb + 1000, frames: frames(1, 3) },
      { sessionId: carol.sessionId, epoch: ec, frames: [] },
      { sessionId: 'no-such-session', epoch: 1, frames: frames(1, 1) },
      { sessionId: carol.sessionId, epoch: ec, frames: frames(1, 3) },
    ]);
    const now = Date.now();
    expect(await b.resume(request(ra), now)).toMatchObject({ missed: frames(1, 2), lastLoggedSeq: 2 });
    expect(await b.resume(request(rb), now)).toMatchObject({ missed: [], lastLoggedSeq: 0 });
    expect(await b.resume(request(rc), now)).toMatchObject({ missed: frames(2, 3), complete: false });
  });

  it('ignores writes carrying an older epoch once the session was resumed elsewhere', async () => {
    const alice = member('alice', 'patient');
    const rec = record(alice);
    const old = await a.openSession(rec);
    await a.logDeliveries([{ sessionId: alice.sessionId, epoch: old, frames: frames(1, 2) }]);
    const resumed = await b.resume(request(rec, 2), Date.now());
    const epoch = resumed!.epoch;
    await a.logDeliveries([{ sessionId: alice.sessionId, epoch: old, frames: frames(3, 4) }]);
    await a.saveSubscriptions(alice.sessionId, old, ['room:stale']);
    await a.detachSession(alice.sessionId, old, null);
    await b.logDeliveries([{ sessionId: alice.sessionId, epoch, frames: [{ seq: 3, frame: '{"n":"new"}' }] }]);
    const after = await a.resume(request(rec, 2), Date.now());
    expect(after).toMatchObject({
      subscriptions: rec.subscriptions,
      missed: [{ seq: 3, frame: '{"n":"new"}' }],
      lastLoggedSeq: 3,
      complete: true,
    });
  });

  it('park: parks for detached resumable sessions only, and counts the attached ones', async () => {
    const phone = member('frank', 'patient');
    const laptop = { ...phone, sessionId: ids('session') };
    const [phoneRec, laptopRec] = [record(phone), record(laptop)];
    const phoneEpoch = await a.openSession(phoneRec);
    await b.openSession(laptopRec);
    const now = Date.now();
    expect(await a.park(phone.userId, 'f1', now)).toEqual({ parked: 0, attached: 2 });
    await a.detachSession(phone.sessionId, phoneEpoch, now + 30_000);
    expect(await b.park(phone.userId, 'f2', now)).toEqual({ parked: 1, attached: 1 });
    expect(await a.park(ids('user'), 'f3', now)).toEqual({ parked: 0, attached: 0 });
    expect((await a.resume(request(phoneRec), now))!.parked).toEqual(['f2']);
    expect((await a.resume(request(laptopRec), now))!.parked).toEqual([]);
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
    expect(await b.park(phone.userId, 'p1', now)).toEqual({ parked: 2, attached: 0 });
    for (const frame of ['p2', 'p3']) expect(await b.park(phone.userId, frame, now + 20_000)).toEqual({ parked: 1, attached: 0 });
    expect(await b.park(phone.userId, 'p4', now + 30_000)).toEqual({ parked: 0, attached: 0 });
    expect((await a.resume(request(phoneRec), now))!.parked).toEqual(['p2', 'p3']);
  });

  it('detachSession(null) forgets the record; presence is untouched', async () => {
    const alice = member('alice', 'patient');
    const rec = record(alice);
    await live(a, LIVE, alice);
    const epoch = await a.openSession(rec);
    await a.logDeliveries([{ sessionId: alice.sessionId, epoch, frames: frames(1, 1) }]);
    await a.detachSession(alice.sessionId, epoch, null);
    expect(await b.resume(request(rec), Date.now())).toBeNull();
    expect(await b.park(alice.userId, 'f', Date.now())).toEqual({ parked: 0, attached: 0 });
    expect(await b.userSessions(alice.userId, T0)).toEqual([alice]);
  });

  it('openSession again replaces the record: new secret, empty log', async () => {
    const alice = member('alice', 'patient');
    const rec = record(alice);
    const first = await a.openSession(rec);
    await a.logDeliveries([{ sessionId: alice.sessionId, epoch: first, frames: frames(1, 3) }]);
    const fresh = { ...rec, secret: randomUUID(), subscriptions: ['user:new'] };
    const second = await b.openSession(fresh);
    expect(second).toBeGreaterThan(first);
    expect(await a.resume(request(rec), Date.now())).toBeNull();
    expect(await a.resume(request(fresh), Date.now())).toMatchObject({ subscriptions: ['user:new'], missed: [], lastLoggedSeq: 0 });
  });
});

}
