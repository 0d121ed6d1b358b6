/** Store contract, direct messages (src/store/direct-inbox.ts): see store-contract.ts for how the suite runs. */
import { beforeEach, expect, it } from 'vitest';
import type { DirectMessage, DirectOutcome, Store } from '../../src/store/store.ts';
import type { ContractContext } from './store-contract.ts';
import { detach, direct, endNow, ids, live, member, record, request } from './store-contract-helpers.ts';

export function directContract(t: ContractContext): void {
  let a: Store;
  let b: Store;
  beforeEach(() => {
    a = t.a();
    b = t.b();
  });

  function offsetOf(outcome: DirectOutcome | undefined): number {
    if (!outcome || outcome.kind === 'nobody' || outcome.kind === 'fenced') throw new Error(`expected an offset, got ${JSON.stringify(outcome)}`);
    return outcome.offset;
  }

  it('keeps a direct message for every resumable session of the user, attached or detached, under increasing offsets', async () => {
    const user = member('alice', 'patient').userId;
    const phone = record({ userId: user, role: 'patient', sessionId: ids('session') });
    const laptop = record({ userId: user, role: 'patient', sessionId: ids('session') });
    const now = Date.now();
    const phoneEpoch = await a.openSession(phone, now);
    const laptopEpoch = await b.openSession(laptop, now);
    await detach(a, phone.member.sessionId, phoneEpoch, now + 30_000);
    const first = await a.appendDirect([direct(user, '{"n":1} | ü'), direct(user, '{"n":2}')], now);
    const [third] = await b.appendDirect([direct(user, '{"n":3}')], now);
    expect(first.map((o) => o.kind)).toEqual(['kept', 'kept']);
    expect(first[0]).toMatchObject({ sessions: 2 });
    const offsets = [offsetOf(first[0]), offsetOf(first[1]), offsetOf(third)];
    expect(offsets).toEqual([...offsets].sort((x, y) => x - y));
    expect(new Set(offsets).size).toBe(3);
    const owed = offsets.map((offset, i) => ({ offset, frame: ['{"n":1} | ü', '{"n":2}', '{"n":3}'][i]! }));
    expect(await b.pendingFor([{ sessionId: laptop.member.sessionId, epoch: laptopEpoch }])).toEqual([owed]);
    expect(await b.takeOver(request(phone), now)).toMatchObject({ complete: true, pending: owed });
  });

  it('keeps direct messages for a live session past its attached ttl: each renewal of its presence renews its record', async () => {
    const pat = member('pat', 'patient');
    const now = Date.now();
    await a.openSession(record(pat, { attachedTtlMs: 60_000 }), now);
    // still connected 100 s later (its node renews presence), past the record's first 60 s
    await live(b, now + 100_000, pat);
    const [kept] = await a.appendDirect([direct(pat.userId, 'f')], now + 70_000);
    expect(kept).toMatchObject({ kind: 'kept', sessions: 1 });
  });

  it('says whether a user with nothing resumable is live anyway (still numbered and journaled), or has no session at all', async () => {
    const alice = member('alice', 'patient');
    const carol = record(member('carol', 'caregiver'));
    const now = Date.now();
    await a.openSession(carol, now);
    expect(await a.appendDirect([direct(alice.userId, 'f')], now)).toEqual([{ kind: 'nobody' }]);
    await live(b, now + 60_000, alice);
    const sent = direct(alice.userId, 'f', { sessionId: carol.member.sessionId, requestId: 'r1' });
    const [liveOnly] = await a.appendDirect([sent], now);
    expect(liveOnly).toEqual({ kind: 'live-only', offset: expect.any(Number) });
    // a retry of it is recognized: same offset, so a recipient drops the copy
    expect(await b.appendDirect([sent], now)).toEqual([{ kind: 'duplicate', offset: offsetOf(liveOnly) }]);
    await endNow(b, alice.sessionId);
    expect(await a.appendDirect([direct(alice.userId, 'f')], now)).toEqual([{ kind: 'nobody' }]);
  });

  it('a request its sender already sent gets the first offset back and is kept once', async () => {
    const carol = record(member('carol', 'caregiver'));
    const pat = record(member('pat', 'patient'));
    const now = Date.now();
    await a.openSession(carol, now);
    const patEpoch = await a.openSession(pat, now);
    const sent = direct(pat.member.userId, '{"offer":1}', { sessionId: carol.member.sessionId, requestId: 'r1' });
    const [first] = await a.appendDirect([sent], now);
    const [again] = await b.appendDirect([{ ...sent, frame: '{"offer":"retry"}' }], now);
    expect(again).toEqual({ kind: 'duplicate', offset: offsetOf(first) });
    expect(await a.pendingFor([{ sessionId: pat.member.sessionId, epoch: patEpoch }])).toEqual([[{ offset: offsetOf(first), frame: '{"offer":1}' }]]);
    // and the sender's journal hands it over with the sender's session
    expect(await b.takeOver(request(carol), now)).toMatchObject({ journal: [{ requestId: 'r1', offset: offsetOf(first) }] });
  });

  it('a message is owed until a frame carrying its offset is logged, or declared unlogged', async () => {
    const pat = record(member('pat', 'patient'));
    const now = Date.now();
    const epoch = await a.openSession(pat, now);
    const outcomes = await a.appendDirect([direct(pat.member.userId, 'one'), direct(pat.member.userId, 'two'), direct(pat.member.userId, 'three')], now);
    const [one, two, three] = outcomes.map(offsetOf);
    await b.logDeliveries([{ sessionId: pat.member.sessionId, epoch, frames: [{ seq: 1, frame: '{"numbered":"one"}', offset: one! }] }]);
    await b.logDeliveries([{ sessionId: pat.member.sessionId, epoch, frames: [], unlogged: { toSeq: 2, offsets: [three!] } }]);
    expect(await a.pendingFor([{ sessionId: pat.member.sessionId, epoch }])).toEqual([[{ offset: two, frame: 'two' }]]);
  });

  it('voidDirect withdraws a message from every session and forgets the request', async () => {
    const carol = record(member('carol', 'caregiver'));
    const pat = record(member('pat', 'patient'));
    const now = Date.now();
    await a.openSession(carol, now);
    const patEpoch = await a.openSession(pat, now);
    const sent = direct(pat.member.userId, 'f', { sessionId: carol.member.sessionId, requestId: 'r1' });
    const [kept] = await a.appendDirect([sent], now);
    await b.voidDirect(sent, offsetOf(kept));
    expect(await a.pendingFor([{ sessionId: pat.member.sessionId, epoch: patEpoch }])).toEqual([[]]);
    const [retried] = await a.appendDirect([sent], now);
    expect(retried).toMatchObject({ kind: 'kept' });
    expect(offsetOf(retried)).toBeGreaterThan(offsetOf(kept));
  });

  it('keeps the newest journalSize requests of a sender however they were written, a withdrawn one not counted', async () => {
    const carol = record(member('carol', 'caregiver'), {}, { journalSize: 3 });
    const pat = record(member('pat', 'patient'));
    const now = Date.now();
    await a.openSession(carol, now);
    await a.openSession(pat, now);
    const send = (requestId: string): DirectMessage => direct(pat.member.userId, requestId, { sessionId: carol.member.sessionId, requestId });
    const [d1] = await a.appendDirect([send('d1')], now);
    await b.recordRequests([{ sessionId: carol.member.sessionId, requestId: 'w2' }]);
    const [d3] = await b.appendDirect([send('d3')], now);
    await a.voidDirect(send('d3'), offsetOf(d3));
    const [d4, d5] = await a.appendDirect([send('d4'), send('d5')], now);
    // d1, w2, d4, d5 were kept, d3 withdrawn: with room for 3, d1 is the one forgotten
    const journal = (await b.takeOver(request(carol), now))!;
    expect(journal).toMatchObject({ complete: true });
    const entries = journal.complete ? [...journal.journal].sort((x, y) => x.requestId.localeCompare(y.requestId)) : [];
    expect(entries).toEqual([
      { requestId: 'd4', offset: offsetOf(d4) },
      { requestId: 'd5', offset: offsetOf(d5) },
      { requestId: 'w2' },
    ]);
    expect(offsetOf(d1)).toBeLessThan(offsetOf(d4));
  });

  it('never keeps a message for the sender\'s own session (it receives nothing of its own)', async () => {
    const user = member('carol', 'caregiver').userId;
    const phone = record({ userId: user, role: 'caregiver', sessionId: ids('session') });
    const laptop = record({ userId: user, role: 'caregiver', sessionId: ids('session') });
    const now = Date.now();
    const phoneEpoch = await a.openSession(phone, now);
    const laptopEpoch = await a.openSession(laptop, now);
    const [kept] = await b.appendDirect([direct(user, 'note to self', { sessionId: phone.member.sessionId })], now);
    expect(kept).toMatchObject({ kind: 'kept', sessions: 1 });
    expect(await a.pendingFor([{ sessionId: phone.member.sessionId, epoch: phoneEpoch }, { sessionId: laptop.member.sessionId, epoch: laptopEpoch }])).toEqual([
      [],
      [{ offset: offsetOf(kept), frame: 'note to self' }],
    ]);
  });

  it('voidDirect leaves a message alone once its request was sent again: the retry owns it', async () => {
    const carol = record(member('carol', 'caregiver'));
    const pat = record(member('pat', 'patient'));
    const now = Date.now();
    await a.openSession(carol, now);
    const patEpoch = await a.openSession(pat, now);
    const sent = direct(pat.member.userId, 'f', { sessionId: carol.member.sessionId, requestId: 'r1' });
    const [first] = await a.appendDirect([sent], now);
    expect(await b.appendDirect([sent], now)).toEqual([{ kind: 'duplicate', offset: offsetOf(first) }]);
    await a.voidDirect(sent, offsetOf(first));
    expect(await b.pendingFor([{ sessionId: pat.member.sessionId, epoch: patEpoch }])).toEqual([[{ offset: offsetOf(first), frame: 'f' }]]);
    expect(await b.appendDirect([sent], now)).toEqual([{ kind: 'duplicate', offset: offsetOf(first) }]);
  });

  it('voidDirect leaves a message alone once it was handed to a session to deliver', async () => {
    const carol = record(member('carol', 'caregiver'));
    const [pat, other] = [record(member('pat', 'patient')), record(member('pat', 'patient'))];
    const now = Date.now();
    await a.openSession(carol, now);
    const patEpoch = await a.openSession(pat, now);
    const handed = direct(pat.member.userId, 'handed', { sessionId: carol.member.sessionId, requestId: 'r1' });
    const [first] = await a.appendDirect([handed], now);
    expect(await b.pendingFor([{ sessionId: pat.member.sessionId, epoch: patEpoch }])).toEqual([[{ offset: offsetOf(first), frame: 'handed' }]]);
    await a.voidDirect(handed, offsetOf(first));
    expect(await a.appendDirect([handed], now)).toEqual([{ kind: 'duplicate', offset: offsetOf(first) }]);
    // through a takeover too
    await a.openSession(other, now);
    const taken = direct(other.member.userId, 'taken', { sessionId: carol.member.sessionId, requestId: 'r2' });
    const [second] = await a.appendDirect([taken], now);
    expect(await b.takeOver(request(other), now)).toMatchObject({ pending: [{ frame: 'taken' }] });
    await a.voidDirect(taken, offsetOf(second));
    expect(await a.appendDirect([taken], now)).toEqual([{ kind: 'duplicate', offset: offsetOf(second) }]);
  });

  it('pendingFor answers fenced for a session held at another epoch, missing for one it has no trace of', async () => {
    const pat = record(member('pat', 'patient'));
    const epoch = await a.openSession(pat, Date.now());
    const taken = await b.takeOver(request(pat), Date.now());
    expect(taken?.complete).toBe(true);
    expect(await a.pendingFor([{ sessionId: pat.member.sessionId, epoch }, { sessionId: ids('session'), epoch: 1 }])).toEqual(['fenced', 'missing']);
  });

  it('keeps nothing from a sender whose session moved on: taken over, or forgotten', async () => {
    const user = member('dan', 'caregiver').userId;
    const dan = record({ userId: user, role: 'caregiver', sessionId: ids('session') });
    const carol = record(member('carol', 'caregiver'));
    const now = Date.now();
    const danEpoch = await a.openSession(dan, now);
    const carolEpoch = await a.openSession(carol, now);
    const taken = await b.takeOver(request(carol), now);
    if (!taken?.complete) throw new Error('not taken over');
    const stale = direct(user, 'stale', { sessionId: carol.member.sessionId, epoch: carolEpoch });
    expect(await a.appendDirect([stale], now)).toEqual([{ kind: 'fenced' }]);
    const current = direct(user, 'current', { sessionId: carol.member.sessionId, epoch: taken.epoch });
    const [kept] = await b.appendDirect([current], now);
    expect(kept).toMatchObject({ kind: 'kept' });
    await b.endSession(carol.member.sessionId, taken.epoch, { resumableUntil: null, now });
    expect(await a.appendDirect([{ ...current, requestId: ids('req') }], now)).toEqual([{ kind: 'fenced' }]);
    expect(await a.pendingFor([{ sessionId: dan.member.sessionId, epoch: danEpoch }])).toEqual([[{ offset: offsetOf(kept), frame: 'current' }]]);
  });

  it('keeps at most pendingFrames and pendingBytes per session: past them the oldest go, and a resume is incomplete', async () => {
    const [few, small] = [record(member('f', 'patient'), {}, { pendingFrames: 2 }), record(member('s', 'patient'), {}, { pendingBytes: 250 })];
    const now = Date.now();
    for (const rec of [few, small]) await a.openSession(rec, now);
    await a.appendDirect([1, 2, 3].map((n) => direct(few.member.userId, `m${n}`)), now);
    await a.appendDirect([1, 2, 3].map(() => direct(small.member.userId, 'x'.repeat(100))), now);
    expect(await b.takeOver(request(few), now)).toEqual({ complete: false });
    expect(await b.takeOver(request(small), now)).toEqual({ complete: false });
    const within = record(member('w', 'patient'), {}, { pendingFrames: 3 });
    await a.openSession(within, now);
    await a.appendDirect([1, 2, 3].map((n) => direct(within.member.userId, `m${n}`)), now);
    expect(await b.takeOver(request(within), now)).toMatchObject({ complete: true, pending: [{ frame: 'm1' }, { frame: 'm2' }, { frame: 'm3' }] });
  });

  it('offsets keep increasing for a user across sessions and stores', async () => {
    const user = member('u', 'patient').userId;
    const now = Date.now();
    const seen: number[] = [];
    for (const store of [a, b, a, b]) {
      await store.openSession(record({ userId: user, role: 'patient', sessionId: ids('session') }), now);
      seen.push(offsetOf((await store.appendDirect([direct(user, 'f')], now))[0]));
    }
    expect(seen).toEqual([...seen].sort((x, y) => x - y));
    expect(new Set(seen).size).toBe(4);
  });
}
