/** Store contract, session records (src/store/session-records.ts): see store-contract.ts for how the suite runs. */
import { beforeEach, expect, it } from 'vitest';
import type { SessionRecord, Store, TakeOver } from '../../src/store/store.ts';
import type { ContractContext } from './store-contract.ts';
import { detach, direct, frames, ids, live, member, record, request } from './store-contract-helpers.ts';

type Taken = Extract<TakeOver, { complete: true }>;

export function sessionsContract(t: ContractContext): void {
  let a: Store;
  let b: Store;
  beforeEach(() => {
    a = t.a();
    b = t.b();
  });

  async function takeOver(store: Store, rec: SessionRecord, lastSeq = 0, now = Date.now()): Promise<Taken> {
    const taken = await store.takeOver(request(rec, lastSeq), now);
    if (!taken?.complete) throw new Error(`expected a complete takeover, got ${JSON.stringify(taken)}`);
    return taken;
  }

  it('openSession and takeOver: a new epoch each time, on any node; the session keeps its member and channels', async () => {
    const alice = member('alice', 'patient');
    const rec = record(alice, { subscriptions: [`user:${alice.userId}`, 'room:r1'] });
    const first = await a.openSession(rec, Date.now());
    const taken = await takeOver(b, rec);
    expect(taken).toMatchObject({ member: alice, subscriptions: rec.subscriptions, missed: [], lastSeq: 0, pending: [], journal: [] });
    expect(taken.epoch).not.toBe(first);
    const again = await takeOver(a, rec);
    expect(new Set([first, taken.epoch, again.epoch]).size).toBe(3);
    const other = await b.openSession(record(member('bob', 'caregiver')), Date.now());
    expect([first, taken.epoch, again.epoch]).not.toContain(other);
  });

  it('takeOver needs the secret, the same user and a live record: attached for attachedTtlMs, detached until resumableUntil', async () => {
    const alice = member('alice', 'patient');
    const rec = record(alice);
    const now = Date.now();
    const epoch = await a.openSession(rec, now);
    expect(await b.takeOver({ ...request(rec), secret: 'guess' }, now)).toBeNull();
    expect(await b.takeOver({ ...request(rec), userId: 'mallory' }, now)).toBeNull();
    expect(await b.takeOver({ ...request(rec), sessionId: ids('session') }, now)).toBeNull();
    expect(await b.takeOver(request(rec), now + rec.attachedTtlMs)).toBeNull();
    expect(await detach(a, alice.sessionId, epoch, now + 30_000)).toBe(true);
    expect(await b.takeOver(request(rec), now + 30_000)).toBeNull();
    expect(await b.takeOver(request(rec), now + 29_999)).not.toBeNull();
  });

  it('returns the frames logged after lastSeq, in order, with their offsets, and the highest seq', async () => {
    const alice = member('alice', 'patient');
    const rec = record(alice);
    const epoch = await a.openSession(rec, Date.now());
    const [one, two] = frames(1, 2);
    expect(await a.logDeliveries([{ sessionId: alice.sessionId, epoch, frames: [one!, { ...two!, offset: 1_764_000_000_000_001 }] }])).toEqual(['ok']);
    expect(await b.logDeliveries([{ sessionId: alice.sessionId, epoch, frames: frames(3, 5) }])).toEqual(['ok']);
    const taken = await takeOver(b, rec, 1);
    expect(taken.missed).toEqual([{ ...two!, offset: 1_764_000_000_000_001 }, ...frames(3, 5)]);
    expect(taken.lastSeq).toBe(5);
    // every direct message still in the log, before lastSeq too: the client may hold it
    expect((await takeOver(a, rec, 5)).delivered).toEqual([1_764_000_000_000_001]);
  });

  it('logs many sessions in one call; each entry is fenced by its own epoch', async () => {
    const [ra, rb] = [record(member('a', 'patient')), record(member('b', 'patient'))];
    const [ea, eb] = [await a.openSession(ra, Date.now()), await a.openSession(rb, Date.now())];
    const outcomes = await b.logDeliveries([
      { sessionId: ra.member.sessionId, epoch: ea, frames: frames(1, 2) },
      { sessionId: rb.member.sessionId, epoch: eb + 1, frames: frames(1, 1) },
      { sessionId: ids('session'), epoch: 1, frames: frames(1, 1) },
      { sessionId: rb.member.sessionId, epoch: eb, frames: [] },
    ]);
    expect(outcomes).toEqual(['ok', 'fenced', 'missing', 'ok']);
    expect((await takeOver(a, ra)).missed).toEqual(frames(1, 2));
    expect((await takeOver(a, rb)).missed).toEqual([]);
  });

  it('tells a session forgotten on purpose (fenced) from one the store has no trace of (missing: lost data)', async () => {
    const [gone, lost] = [record(member('g', 'patient')), record(member('l', 'patient'))];
    const now = Date.now();
    const goneEpoch = await a.openSession(gone, now);
    expect(await a.endSession(gone.member.sessionId, goneEpoch, { resumableUntil: null, now })).toBe(true);
    const unknown = ids('session');
    expect(await b.logDeliveries([
      { sessionId: gone.member.sessionId, epoch: goneEpoch, frames: frames(1, 1) },
      { sessionId: unknown, epoch: 7, frames: frames(1, 1) },
    ])).toEqual(['fenced', 'missing']);
    expect(await b.pendingFor([{ sessionId: gone.member.sessionId, epoch: goneEpoch }, { sessionId: unknown, epoch: 7 }])).toEqual(['fenced', 'missing']);
    // ending it again is fenced; registering it again is refused; the one lost is recreated
    expect(await b.endSession(gone.member.sessionId, goneEpoch, { resumableUntil: null, now })).toBe(false);
    const again = await b.registerAgain([{ record: gone, epoch: goneEpoch, seq: 1 }, { record: lost, epoch: 7, seq: 3 }], now);
    expect(again[0]).toBe('taken');
    expect(again[1]).toEqual({ epoch: 7 });
    // so is a session dropped by a resume that found it incomplete
    const incomplete = record(member('i', 'patient'));
    const incompleteEpoch = await a.openSession(incomplete, now);
    expect(await b.takeOver({ ...request(incomplete), lastSeq: 5 }, now)).toEqual({ complete: false });
    expect(await a.logDeliveries([{ sessionId: incomplete.member.sessionId, epoch: incompleteEpoch, frames: frames(1, 1) }])).toEqual(['fenced']);
  });

  it('fences the old owner after a takeover: its log writes, subscriptions and end change nothing', async () => {
    const alice = member('alice', 'patient');
    const rec = record(alice);
    const old = await a.openSession(rec, Date.now());
    await a.logDeliveries([{ sessionId: alice.sessionId, epoch: old, frames: frames(1, 2) }]);
    const taken = await takeOver(b, rec, 2);
    expect(await a.logDeliveries([{ sessionId: alice.sessionId, epoch: old, frames: frames(3, 4) }])).toEqual(['fenced']);
    await a.saveSubscriptions(alice.sessionId, old, ['room:stale']);
    expect(await a.endSession(alice.sessionId, old, { resumableUntil: null, now: Date.now() })).toBe(false);
    expect(await b.logDeliveries([{ sessionId: alice.sessionId, epoch: taken.epoch, frames: frames(3, 3) }])).toEqual(['ok']);
    const after = await takeOver(a, rec, 2);
    expect(after.missed).toEqual(frames(3, 3));
    expect(after.subscriptions).toEqual(rec.subscriptions);
  });

  it('is incomplete, and forgets the session, when the log no longer reaches back to lastSeq + 1', async () => {
    const rec = record(member('alice', 'patient'), {}, { logFrames: 3 });
    const epoch = await a.openSession(rec, Date.now());
    await a.logDeliveries([{ sessionId: rec.member.sessionId, epoch, frames: frames(1, 6) }]);
    // 4..6 kept: a client at 3 misses nothing, a client at 2 missed 3
    expect((await b.takeOver(request(rec, 3), Date.now()))?.complete).toBe(true);
    expect(await b.takeOver(request(rec, 2), Date.now())).toEqual({ complete: false });
    expect(await b.takeOver(request(rec, 6), Date.now())).toBeNull();
  });

  it('keeps the log within its bytes: the oldest frames go first', async () => {
    const rec = record(member('alice', 'patient'), {}, { logBytes: 250 });
    const epoch = await a.openSession(rec, Date.now());
    const big = (seq: number) => ({ seq, frame: 'x'.repeat(100) });
    await a.logDeliveries([{ sessionId: rec.member.sessionId, epoch, frames: [big(1), big(2), big(3)] }]);
    expect((await takeOver(b, rec, 1)).missed.map((f) => f.seq)).toEqual([2, 3]);
  });

  it('a gap in the logged seqs is a hole: a resume from before it is incomplete, from after it complete', async () => {
    // 3 and 4 were sent while the store could not be reached: logged around, or declared
    const [after, before, declared] = [record(member('a', 'patient')), record(member('b', 'patient')), record(member('c', 'patient'))];
    for (const rec of [after, before]) {
      const epoch = await a.openSession(rec, Date.now());
      await a.logDeliveries([{ sessionId: rec.member.sessionId, epoch, frames: frames(1, 2) }]);
      await a.logDeliveries([{ sessionId: rec.member.sessionId, epoch, frames: frames(5, 5) }]);
    }
    const epoch = await a.openSession(declared, Date.now());
    await a.logDeliveries([{ sessionId: declared.member.sessionId, epoch, frames: frames(1, 2) }]);
    await a.logDeliveries([{ sessionId: declared.member.sessionId, epoch, frames: [], unlogged: { toSeq: 4, offsets: [] } }]);
    expect((await takeOver(b, after, 4)).missed).toEqual(frames(5, 5));
    expect(await b.takeOver(request(before, 2), Date.now())).toEqual({ complete: false });
    expect(await b.takeOver(request(declared, 2), Date.now())).toEqual({ complete: false });
  });

  it('takes a declaration of more unlogged offsets than one script can unpack (a long outage), in a log write and an end', async () => {
    const rec = record(member('alice', 'patient'));
    const epoch = await a.openSession(rec, Date.now());
    const many = Array.from({ length: 10_000 }, (_, i) => 1_000 + i);
    expect(await a.logDeliveries([{ sessionId: rec.member.sessionId, epoch, frames: [], unlogged: { toSeq: 10_000, offsets: many } }])).toEqual(['ok']);
    expect(await a.endSession(rec.member.sessionId, epoch, { resumableUntil: Date.now() + 30_000, now: Date.now(), unlogged: { toSeq: 10_000, offsets: many } })).toBe(true);
  });

  it('a lastSeq above anything numbered is incomplete', async () => {
    const rec = record(member('alice', 'patient'));
    const epoch = await a.openSession(rec, Date.now());
    await a.logDeliveries([{ sessionId: rec.member.sessionId, epoch, frames: frames(1, 2) }]);
    expect(await b.takeOver(request(rec, 9_007_199_254_740_991), Date.now())).toEqual({ complete: false });
  });

  it('endSession with resumableUntil: null forgets the session and what was kept for it', async () => {
    const alice = member('alice', 'patient');
    const rec = record(alice);
    await live(a, Date.now() + 60_000, alice);
    const epoch = await a.openSession(rec, Date.now());
    await a.logDeliveries([{ sessionId: alice.sessionId, epoch, frames: frames(1, 1) }]);
    expect(await a.endSession(alice.sessionId, epoch, { resumableUntil: null, now: Date.now() })).toBe(true);
    expect(await b.takeOver(request(rec), Date.now())).toBeNull();
    expect(await b.userSessions(alice.userId, Date.now())).toEqual([]);
    expect(await b.appendDirect([direct(alice.userId, 'f')], Date.now())).toEqual([{ kind: 'nobody' }]);
  });

  it('endSession declares frames sent but never logged: a hole, and their direct messages are no longer owed', async () => {
    const alice = member('alice', 'patient');
    const rec = record(alice);
    const epoch = await a.openSession(rec, Date.now());
    await a.logDeliveries([{ sessionId: alice.sessionId, epoch, frames: frames(1, 1) }]);
    const [kept] = await b.appendDirect([direct(alice.userId, '{"n":1}')], Date.now());
    if (kept?.kind !== 'kept') throw new Error('not kept');
    const end = { resumableUntil: Date.now() + 30_000, now: Date.now(), unlogged: { toSeq: 2, offsets: [kept.offset] } };
    expect(await a.endSession(alice.sessionId, epoch, end)).toBe(true);
    expect(await a.pendingFor([{ sessionId: alice.sessionId, epoch }])).toEqual([[]]);
    // the client that has frame 2 resumes from it, and learns the offset it may hold
    expect(await b.takeOver(request(rec, 2), Date.now())).toMatchObject({ complete: true, missed: [], pending: [], delivered: [kept.offset] });
    expect(await a.takeOver(request(rec, 1), Date.now())).toEqual({ complete: false });
  });

  it('keeps at most detachedPerUser detached sessions of a user: the ones kept longest', async () => {
    const user = member('alice', 'patient').userId;
    const now = Date.now();
    const recs = Array.from({ length: 4 }, () => record({ userId: user, role: 'patient', sessionId: ids('session') }, {}, { detachedPerUser: 2 }));
    const epochs = [];
    for (const rec of recs) epochs.push(await a.openSession(rec, now));
    // detached one by one, each kept a little longer than the last
    for (const [i, rec] of recs.entries()) await detach(a, rec.member.sessionId, epochs[i]!, now + 10_000 + i);
    const resumable = await Promise.all(recs.map((rec) => b.takeOver(request(rec), now)));
    expect(resumable.map((r) => r !== null)).toEqual([false, false, true, true]);
  });

  it('saveSubscriptions replaces what a takeOver restores', async () => {
    const rec = record(member('alice', 'patient'));
    const epoch = await a.openSession(rec, Date.now());
    await b.saveSubscriptions(rec.member.sessionId, epoch, ['user:x', 'room:r/ü']);
    expect((await takeOver(a, rec)).subscriptions).toEqual(['user:x', 'room:r/ü']);
  });

  it('registerAgain keeps a record at its epoch, recreates a lost one with a hole up to seq, and reports one taken over', async () => {
    const [kept, lost, taken, orphan] = [record(member('k', 'patient')), record(member('l', 'patient')), record(member('t', 'patient')), record(member('o', 'patient'))];
    const now = Date.now();
    const keptEpoch = await a.openSession(kept, now);
    const takenEpoch = await a.openSession(taken, now);
    const orphanEpoch = await a.openSession(orphan, now);
    await takeOver(b, taken);
    const outcomes = await b.registerAgain(
      [
        { record: kept, epoch: keptEpoch, seq: 0 },
        { record: lost, epoch: 12_345, seq: 7 },
        { record: taken, epoch: takenEpoch, seq: 0 },
        { record: orphan, epoch: null, seq: 0 },
      ],
      now,
    );
    expect(outcomes[0]).toEqual({ epoch: keptEpoch });
    expect(outcomes[2]).toBe('taken');
    expect(outcomes[3]).toEqual({ epoch: orphanEpoch });
    // recreated at the caller's epoch: its writes in flight stay valid
    const recreated = outcomes[1];
    expect(recreated).toEqual({ epoch: 12_345 });
    if (recreated === 'taken' || recreated === undefined) throw new Error('expected a recreated record');
    // a node that never got that reply adopts the record
    expect(await a.registerAgain([{ record: lost, epoch: null, seq: 7 }], now)).toEqual([recreated]);
    expect(await a.logDeliveries([{ sessionId: lost.member.sessionId, epoch: recreated.epoch, frames: frames(8, 8) }])).toEqual(['ok']);
    expect(await a.takeOver(request(lost, 6), now)).toEqual({ complete: false });
  });

  it('registerAgain attaches again a record claimed as lapsed while its node stalled: it stays owed direct signals past the resume window', async () => {
    const pat = member('pat', 'patient');
    const now = Date.now();
    const rec = record(pat, { attachedTtlMs: 600_000 });
    const epoch = await a.openSession(rec, now);
    await live(a, now + 1_000, pat);
    // the node stalls; another one claims the lapse: detached, resumable for 5 s
    expect((await b.claimLapsed(now + 2_000, 10, now + 7_000)).map((l) => l.member.sessionId)).toContain(pat.sessionId);
    expect(await a.registerAgain([{ record: rec, epoch, seq: 0 }], now + 3_000)).toEqual([{ epoch }]);
    await live(a, now + 60_000, pat);
    const [kept] = await b.appendDirect([direct(pat.userId, 'f')], now + 30_000);
    expect(kept).toMatchObject({ kind: 'kept', sessions: 1 });
  });

  it('registerAgain after a data loss: the higher epoch wins, whichever node registers first', async () => {
    const rec = record(member('p', 'patient'));
    const now = Date.now();
    // a stale owner (lower epoch) recreates the record first; the current owner replaces it
    expect(await a.registerAgain([{ record: rec, epoch: 100, seq: 0 }], now)).toEqual([{ epoch: 100 }]);
    expect(await b.registerAgain([{ record: rec, epoch: 200, seq: 0 }], now)).toEqual([{ epoch: 200 }]);
    expect(await a.registerAgain([{ record: rec, epoch: 100, seq: 0 }], now)).toEqual(['taken']);
    expect(await a.logDeliveries([{ sessionId: rec.member.sessionId, epoch: 100, frames: frames(1, 1) }])).toEqual(['fenced']);
    // epochs given later are still higher
    const next = await a.openSession(record(member('q', 'patient')), now);
    expect(next).toBeGreaterThan(200);
  });

  it('remembers the requests a session made, newest journalSize, and hands them over with the session', async () => {
    const rec = record(member('alice', 'patient'), {}, { journalSize: 3 });
    await a.openSession(rec, Date.now());
    await a.recordRequests([1, 2, 3, 4].map((n) => ({ sessionId: rec.member.sessionId, requestId: `r${n}` })));
    await b.recordRequests([{ sessionId: rec.member.sessionId, requestId: 'r5', offset: 1_764_000_000_000_005 }]);
    await b.recordRequests([{ sessionId: ids('session'), requestId: 'nobody' }]);
    const journal = (await takeOver(a, rec)).journal;
    expect([...journal].sort((x, y) => x.requestId.localeCompare(y.requestId))).toEqual([
      { requestId: 'r3' },
      { requestId: 'r4' },
      { requestId: 'r5', offset: 1_764_000_000_000_005 },
    ]);
  });
}
