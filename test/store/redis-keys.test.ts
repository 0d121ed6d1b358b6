/**
 * RedisStore specifics beyond the Store contract: key layout, expiries, lazy cleanup, round
 * trips, and records it cannot read. A plain ioredis client looks at the keys directly; MONITOR
 * counts the commands a call sends.
 *
 * To extend: use a fresh prefix (`fresh()`) per test when it lists keys, so other tests' keys
 * never show up.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Member } from '../../src/protocol/index.ts';
import { RedisStore, type RedisStoreOptions } from '../../src/store/redis.ts';
import type { PositionFix } from '../../src/store/store.ts';
import { FORGOTTEN_MARK_MS } from '../../src/store/session-records.ts';
import { monitorRedis } from '../support/redis-monitor.ts';

const GRACE = 30_000;
const BOUNDS = { logFrames: 5, logBytes: 10_000, pendingFrames: 5, pendingBytes: 10_000, journalSize: 5, detachedPerUser: 2 };
const OPTIONS = { roomTtlMs: 60_000, positionTtlMs: 120_000, trailWindowMs: 90_000, sessionGraceMs: GRACE };

describe('RedisStore keys', () => {
  const warnings: unknown[][] = [];
  const logger = { info: () => {}, warn: (...args: unknown[]) => void warnings.push(args) };
  const stores: RedisStore[] = [];
  let raw: Redis;

  beforeAll(async () => {
    raw = new Redis(inject('redisUrl'), { lazyConnect: true });
    await raw.connect();
  });
  afterAll(async () => {
    await Promise.all(stores.map((store) => store.close()));
    raw?.disconnect();
  });

  /** A started store in a namespace of its own. */
  async function fresh(options: Partial<RedisStoreOptions> = {}): Promise<{ store: RedisStore; ns: string }> {
    const ns = `test:${randomUUID()}:`;
    const store = new RedisStore({ url: inject('redisUrl'), prefix: ns, logger, ...OPTIONS, ...options });
    stores.push(store);
    await store.start();
    return { store, ns };
  }

  async function ttls(keys: string[]): Promise<number[]> {
    return Promise.all(keys.map((key) => raw.pttl(key)));
  }

  it('puts every key under the prefix; every key but the epoch counter expires', async () => {
    const { store, ns } = await fresh();
    const alice = member('alice');
    const now = Date.now();
    await store.touchSessions([{ member: alice, nodeId: 'n1' }], now + 10_000);
    await store.joinRoom('r1', alice, now, null);
    const epoch = await store.openSession({ member: alice, secret: 'sss', subscriptions: [], attachedTtlMs: 200_000, bounds: BOUNDS }, now);
    await store.logDeliveries([{ sessionId: alice.sessionId, epoch, frames: [{ seq: 1, frame: '{}' }] }]);
    // a direct message from bob: owed to her session, journaled for bob's
    const bob = member('bob');
    await store.openSession({ member: bob, secret: 'bbb', subscriptions: [], attachedTtlMs: 200_000, bounds: BOUNDS }, now);
    const [kept] = await store.appendDirect([{ userId: alice.userId, frame: '{}', senderSessionId: bob.sessionId, senderEpoch: null, requestId: 'r1' }], now);
    expect(kept).toMatchObject({ kind: 'kept', sessions: 1 });
    await store.recordPosition('p1', fix('p1', now));

    const session = `${ns}session:${alice.sessionId}`;
    const sessionKeys = [session, `${session}:rooms`, `${session}:log`, `${session}:pending`];
    const userKey = `${ns}user:${alice.userId}:sessions`;
    const offsetKey = `${ns}user:${alice.userId}:offset`;
    const bobKeys = [`${ns}session:${bob.sessionId}`, `${ns}session:${bob.sessionId}:journal`, `${ns}session:${bob.sessionId}:jorder`, `${ns}user:${bob.userId}:sessions`];
    const [roster, last, trail, presence, epochKey] = ['room:r1:members', 'loc:p1:last', 'loc:p1:trail', 'presence', 'epoch'].map((k) => ns + k);
    expect((await raw.keys(`${ns}*`)).sort()).toEqual([...sessionKeys, ...bobKeys, userKey, offsetKey, roster!, last!, trail!, presence!, epochKey!].sort());
    expectWithin(await raw.pttl(bobKeys[1]!), 200_000 + GRACE);
    expectWithin(await raw.pttl(bobKeys[2]!), 200_000 + GRACE);

    expect(await raw.pttl(epochKey!)).toBe(-1);
    expectWithin(await raw.pttl(offsetKey), 7 * 24 * 3_600_000);
    expectWithin(await raw.pttl(roster!), 60_000);
    expectWithin(await raw.pttl(last!), 120_000);
    expectWithin(await raw.pttl(trail!), 90_000);
    // a heartbeat keeps presence `2 * grace` past its deadline
    expectWithin(await raw.pttl(presence!), 10_000 + 2 * GRACE);
    // attached: the record's ttl plus grace, on all of the session's keys together
    for (const ttl of await ttls(sessionKeys)) expectWithin(ttl, 200_000 + GRACE);
    expect(await raw.pttl(userKey)).toBeGreaterThanOrEqual(Math.min(...(await ttls(sessionKeys))));

    // detached: out of presence and rooms, resumable for 100 s, so the keys live 100 s plus grace
    // (shortened, together)
    await store.endSession(alice.sessionId, epoch, { resumableUntil: Date.now() + 100_000, now: Date.now() });
    const remaining = sessionKeys.filter((k) => !k.endsWith(':rooms'));
    expect(await raw.exists(`${session}:rooms`)).toBe(0);
    for (const ttl of await ttls(remaining)) expectWithin(ttl, 100_000 + GRACE);
    // never shorter than presence needs: listed live for longer than the record, keys follow presence
    await store.touchSessions([{ member: alice, nodeId: 'n1' }], Date.now() + 500_000);
    for (const ttl of await ttls(remaining)) expectWithin(ttl, 500_000 + 2 * GRACE);
    expect(await raw.hget(session, 'secret')).not.toBe('sss');
  });

  it('deletes every key of a session that ends without a resume record', async () => {
    const { store, ns } = await fresh();
    const alice = member('alice');
    const now = Date.now();
    await store.touchSessions([{ member: alice, nodeId: 'n1' }], now + 10_000);
    await store.joinRoom('r1', alice, now, null);
    await store.joinRoom('r2', alice, now, null);
    expect(await raw.keys(`${ns}*`)).not.toEqual([]);
    await store.endSession(alice.sessionId, null, { resumableUntil: null, now: Date.now() });
    expect(await raw.keys(`${ns}*`)).toEqual([]);
  });

  it('a session closed cleanly leaves only a mark that it was forgotten, for FORGOTTEN_MARK_MS', async () => {
    const { store, ns } = await fresh();
    const alice = member('alice');
    const now = Date.now();
    await store.touchSessions([{ member: alice, nodeId: 'n1' }], now + 10_000);
    const epoch = await store.openSession({ member: alice, secret: 's', subscriptions: [], attachedTtlMs: 200_000, bounds: BOUNDS }, now);
    await store.endSession(alice.sessionId, epoch, { resumableUntil: null, now });
    const mark = `${ns}session:${alice.sessionId}:gone`;
    expect((await raw.keys(`${ns}session:*`)).sort()).toEqual([mark]);
    expectWithin(await raw.pttl(mark), FORGOTTEN_MARK_MS);
  });

  it('a claimed session with a record keeps its keys until the record’s deadline plus grace', async () => {
    const { store, ns } = await fresh();
    const alice = member('alice');
    const now = Date.now();
    await store.touchSessions([{ member: alice, nodeId: 'n1' }], now - 1_000);
    await store.openSession({ member: alice, secret: 's', subscriptions: [], attachedTtlMs: 200_000, bounds: BOUNDS }, now);
    // attached to a node that stopped renewing it: claimed, it is detached until the given time
    expect(await store.claimLapsed(now, 10, now + 50_000)).toEqual([{ member: alice, rooms: [] }]);
    expectWithin(await raw.pttl(`${ns}session:${alice.sessionId}`), 50_000 + GRACE);
    expect(await raw.exists(`${ns}presence`)).toBe(0);
  });

  it('drops ids of sessions whose keys expired from user sets and rosters when it reads them', async () => {
    const { store, ns } = await fresh();
    const phone = member('bob');
    const laptop = { ...phone, sessionId: randomUUID() };
    const now = Date.now();
    await store.touchSessions([phone, laptop].map((m) => ({ member: m, nodeId: 'n1' })), now + 10_000);
    await store.joinRoom('r1', phone, now, null);
    await store.joinRoom('r1', laptop, now, null);
    // as if the laptop's keys had expired and its presence entry been claimed
    await raw.del(`${ns}session:${laptop.sessionId}`);
    await raw.zrem(`${ns}presence`, laptop.sessionId);
    expect(await store.userSessions(phone.userId, now)).toEqual([phone]);
    expect(await raw.smembers(`${ns}user:${phone.userId}:sessions`)).toEqual([phone.sessionId]);
    expect(await store.roomMembers('r1', now)).toEqual([phone]);
    expect(await raw.hkeys(`${ns}room:r1:members`)).toEqual([phone.sessionId]);
  });

  it('refreshes a roster expiry on join and deletes an emptied roster', async () => {
    const { store, ns } = await fresh();
    const key = `${ns}room:r1:members`;
    const [u, v] = [member('u'), member('v')];
    const now = Date.now();
    await store.touchSessions([u, v].map((m) => ({ member: m, nodeId: 'n1' })), now + 10_000);
    await store.joinRoom('r1', u, now, null);
    await raw.pexpire(key, 5_000);
    await store.joinRoom('r1', v, now, null);
    expect(await raw.pttl(key)).toBeGreaterThan(50_000);
    await store.leaveRoom('r1', u.sessionId, null);
    await store.leaveRoom('r1', v.sessionId, null);
    expect(await raw.exists(key)).toBe(0);
    expect(await raw.scard(`${ns}session:${u.sessionId}:rooms`)).toBe(0);
  });

  it('leaves out and logs a roster entry it cannot read', async () => {
    const { store, ns } = await fresh();
    const m = member('u');
    const now = Date.now();
    const bad = ['bad-json', 'bad-shape'].map((sessionId) => ({ member: { ...m, sessionId }, nodeId: 'n1' }));
    await store.touchSessions([{ member: m, nodeId: 'n1' }, ...bad], now + 10_000);
    await raw.hset(`${ns}room:r1:members`, 'bad-json', '{', 'bad-shape', '{"userId":1}');
    warnings.length = 0;
    expect(await store.joinRoom('r1', m, now, null)).toEqual([m]);
    expect(warnings.map((args) => (args[0] as { sessionId: string }).sessionId).sort()).toEqual(['bad-json', 'bad-shape']);
  });

  it('rejects an unreadable last position with StoreError', async () => {
    const { store, ns } = await fresh();
    await raw.set(`${ns}loc:p1:last`, '{"position":{}}', 'PX', 60_000);
    await expect(store.lastPosition('p1')).rejects.toMatchObject({ name: 'StoreError', code: 'UNAVAILABLE' });
  });

  it('names trail entries by fix time, raised to keep ids growing when a fix is stamped earlier', async () => {
    const { store, ns } = await fresh();
    for (const ts of [5_000, 4_000, 6_000]) await store.recordPosition('p1', fix('p1', ts));
    const ids = (await raw.xrange(`${ns}loc:p1:trail`, '-', '+')).map(([id]) => id);
    expect(ids).toEqual(['5000-0', '5000-1', '6000-0']);
  });

  it('touchSessions sends one command per 5 000 sessions, all at once; logDeliveries one per 1 000 frames', async () => {
    const { store, ns } = await fresh();
    const sessions = Array.from({ length: 6_000 }, (_, i) => ({ member: member(`u${i}`), nodeId: 'n1' }));
    const first = sessions[0]!.member;
    // creates them, and loads the scripts (a Redis that never saw one answers EVALSHA with NOSCRIPT)
    await store.touchSessions(sessions, Date.now() + 10_000);
    const epoch = await store.openSession({ member: first, secret: 's', subscriptions: [], attachedTtlMs: 60_000, bounds: { ...BOUNDS, logFrames: 100 } }, Date.now());
    await store.logDeliveries([{ sessionId: first.sessionId, epoch, frames: [{ seq: 1, frame: '{}' }] }]);
    expect(await raw.zcard(`${ns}presence`)).toBe(6_000);

    const heartbeat = (batch: typeof sessions) => () => store.touchSessions(batch, Date.now() + 10_000);
    expect(names(await commandsSent(ns, heartbeat(sessions.slice(0, 5_000))))).toEqual(['evalsha']);
    expect(names(await commandsSent(ns, heartbeat(sessions)))).toEqual(['evalsha', 'evalsha']);
    const frames = Array.from({ length: 50 }, (_, i) => ({ seq: i + 2, frame: `{"n":${i}}` }));
    expect(names(await commandsSent(ns, async () => void (await store.logDeliveries([{ sessionId: first.sessionId, epoch, frames }]))))).toEqual(['evalsha']);
    expect(await raw.llen(`${ns}session:${first.sessionId}:log`)).toBe(51);
    // many sessions' frames: one call per 1 000 frames, so no one script holds Redis for long
    const many = Array.from({ length: 25 }, (_, i) => ({ sessionId: `s${i}`, epoch: 1, frames: Array.from({ length: 100 }, (_, j) => ({ seq: j + 1, frame: '{}' })) }));
    expect(names(await commandsSent(ns, async () => void (await store.logDeliveries(many))))).toEqual(['evalsha', 'evalsha', 'evalsha']);
  });

  /**
   * Commands a client sent while `action` ran that name the namespace (so: the store's), as
   * MONITOR reports them; commands run inside scripts are not counted.
   */
  async function commandsSent(ns: string, action: () => Promise<void>): Promise<string[][]> {
    const seen: string[][] = [];
    const marker = `marker-${randomUUID()}`;
    let markerShown!: () => void;
    const markerSeen = new Promise<void>((resolve) => (markerShown = resolve));
    const monitor = await monitorRedis(inject('redisUrl'), ({ source, args }) => {
      if (args.includes(marker)) markerShown();
      else if (source !== 'lua' && args.some((arg) => arg.startsWith(ns))) seen.push(args);
    });
    try {
      await action();
      // MONITOR reports in order: once the marker is shown, everything before it was
      await raw.echo(marker);
      await markerSeen;
      return seen;
    } finally {
      monitor.close();
    }
  }
});

function names(commands: string[][]): string[] {
  return commands.map((args) => args[0]!.toLowerCase());
}

/** `ttl` is set and at most `ms`, less only by the time the test took since setting it. */
function expectWithin(ttl: number, ms: number): void {
  expect(ttl).toBeLessThanOrEqual(ms);
  expect(ttl).toBeGreaterThan(ms - 5_000);
}

function member(userId: string): Member {
  return { userId: `${userId}-${randomUUID().slice(0, 8)}`, role: 'caregiver', sessionId: randomUUID() };
}

function fix(patientId: string, ts: number): PositionFix {
  return {
    position: { lat: 1, lng: 2, accuracy: 3, timestamp: 1 },
    from: { userId: patientId, role: 'patient', sessionId: 's' },
    ts,
  };
}
