/**
 * RedisStore when Redis goes away: a private Redis per file, stopped, killed, frozen and started
 * again. The store must fail every call promptly with StoreError while Redis is unusable, report
 * `down`, and come back `up` by itself. 1000 ms is the correctness bound on a failing call.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RedisStore, type RedisStoreOptions } from '../../src/store/redis.ts';
import { type PositionFix, StoreError, type StoreState } from '../../src/store/store.ts';
import { type RedisInstance, startRedis } from '../support/redis.ts';

const PROMPT_MS = 1000;

let redis: RedisInstance;
const stores: RedisStore[] = [];

beforeAll(async () => {
  redis = await startRedis({ name: 'outage' });
});
afterEach(async () => {
  await Promise.all(stores.splice(0).map((store) => store.close()));
  // a test that failed midway may have left it frozen or stopped
  redis.resume();
  await redis.start();
});
afterAll(async () => {
  await redis?.stop();
});

function makeStore(options: Partial<RedisStoreOptions> = {}): RedisStore {
  const store = new RedisStore({ url: redis.url, prefix: `test:${randomUUID()}:`, reconnectMaxMs: 200, ...options });
  stores.push(store);
  return store;
}

/** Resolves when the store next reports `state`. */
function reaches(store: RedisStore, state: StoreState): Promise<void> {
  return new Promise((resolve) => store.onState((s) => s === state && resolve()));
}

/** Every Store operation, each with fresh ids. */
function everyCall(store: RedisStore): Array<[string, Promise<unknown>]> {
  const member = { userId: 'u', role: 'caregiver', sessionId: randomUUID() };
  const now = Date.now();
  const bounds = { logFrames: 10, logBytes: 10_000, pendingFrames: 10, pendingBytes: 10_000, journalSize: 10, detachedPerUser: 2 };
  const record = { member, secret: 's', subscriptions: [], attachedTtlMs: 60_000, bounds };
  const message = { userId: 'u', frame: '{}', senderSessionId: member.sessionId, senderEpoch: null, requestId: 'r' };
  return [
    ['joinRoom', store.joinRoom(`room-${randomUUID()}`, member, now, null)],
    ['leaveRoom', store.leaveRoom(`room-${randomUUID()}`, member.sessionId, null)],
    ['roomMembers', store.roomMembers(`room-${randomUUID()}`, now)],
    ['touchSessions', store.touchSessions([{ member, nodeId: 'n' }], now + 10_000)],
    ['endSession', store.endSession(member.sessionId, 1, { resumableUntil: now + 10_000, now })],
    ['userSessions', store.userSessions(member.userId, now)],
    ['claimLapsed', store.claimLapsed(now, 10, now)],
    ['recordPosition', store.recordPosition(`p-${randomUUID()}`, fix())],
    ['lastPosition', store.lastPosition(`p-${randomUUID()}`)],
    ['trail', store.trail(`p-${randomUUID()}`, 0, 10)],
    ['openSession', store.openSession(record, now)],
    ['registerAgain', store.registerAgain([{ record, epoch: 1, seq: 0 }], now)],
    ['saveSubscriptions', store.saveSubscriptions(member.sessionId, 1, ['user:u'])],
    ['logDeliveries', store.logDeliveries([{ sessionId: member.sessionId, epoch: 1, frames: [{ seq: 1, frame: '{}' }] }])],
    ['takeOver', store.takeOver({ sessionId: member.sessionId, secret: 's', userId: 'u', lastSeq: 0, liveUntil: now + 1_000 }, now)],
    ['recordRequests', store.recordRequests([{ sessionId: member.sessionId, requestId: 'r' }])],
    ['appendDirect', store.appendDirect([message], now)],
    ['voidDirect', store.voidDirect(message, 1)],
    ['pendingFor', store.pendingFor([{ sessionId: member.sessionId, epoch: 1 }])],
  ];
}

async function expectPromptStoreErrors(calls: Array<[string, Promise<unknown>]>, boundMs = PROMPT_MS): Promise<void> {
  const started = performance.now();
  await Promise.all(
    calls.map(async ([op, call]) => {
      const outcome = await call.then(
        () => 'resolved',
        (error: unknown) => error,
      );
      const ms = performance.now() - started;
      expect(outcome, op).toBeInstanceOf(StoreError);
      expect(ms, op).toBeLessThan(boundMs);
    }),
  );
}

/** Works again, scripts included: a restarted Redis has lost its script cache. */
async function expectWorking(store: RedisStore): Promise<void> {
  const room = `room-${randomUUID()}`;
  const member = { userId: 'u', role: 'patient', sessionId: randomUUID() };
  const now = Date.now();
  await store.touchSessions([{ member, nodeId: 'n' }], now + 10_000);
  expect(await store.joinRoom(room, member, now, null)).toEqual([member]);
  const patient = `p-${randomUUID()}`;
  const written = fix();
  await store.recordPosition(patient, written);
  expect(await store.lastPosition(patient)).toEqual(written);
  expect(await store.trail(patient, 0, 10)).toEqual([written]);
}

function fix(): PositionFix {
  return {
    position: { lat: 1, lng: 2, accuracy: 3, timestamp: 1_700_000_000_000 },
    from: { userId: 'p', role: 'patient', sessionId: randomUUID() },
    ts: 1_700_000_000_001,
  };
}

describe('RedisStore outage', () => {
  it('stopped: goes down, every call rejects promptly, back up by itself when Redis returns', async () => {
    const store = makeStore();
    await store.start();
    expect(store.state).toBe('up');
    await expectWorking(store);

    const down = reaches(store, 'down');
    await redis.stop();
    await down;
    expect(store.state).toBe('down');
    await expectPromptStoreErrors(everyCall(store));

    const up = reaches(store, 'up');
    await redis.start();
    await up;
    await expectWorking(store);
  });

  it('crashed mid-call: calls in flight and after reject promptly; recovers', async () => {
    const store = makeStore();
    await store.start();
    // each call either completes before the crash or fails with StoreError
    const inFlight = everyCall(store).map(([, call]) => call.then(() => StoreError, (error: unknown) => error));
    const down = reaches(store, 'down');
    await redis.kill();
    for (const outcome of await Promise.all(inFlight)) expect(outcome === StoreError || outcome instanceof StoreError).toBe(true);
    await down;
    await expectPromptStoreErrors(everyCall(store));

    const up = reaches(store, 'up');
    await redis.start();
    await up;
    await expectWorking(store);
  });

  it('frozen: a call without a reply fails after commandTimeoutMs, the store goes down, then recovers', async () => {
    const store = makeStore({ commandTimeoutMs: 300 });
    await store.start();
    const down = reaches(store, 'down');
    redis.pause();
    await expectPromptStoreErrors(everyCall(store));
    await down;
    await expectPromptStoreErrors(everyCall(store), 100);

    const up = reaches(store, 'up');
    redis.resume();
    await up;
    await expectWorking(store);
  });

  it('boots while Redis is down: start resolves with state down, connects by itself later', async () => {
    await redis.stop();
    const store = makeStore();
    const seen: StoreState[] = [];
    store.onState((state) => seen.push(state));
    await store.start();
    expect(store.state).toBe('down');
    await expectPromptStoreErrors(everyCall(store));

    const up = reaches(store, 'up');
    await redis.start();
    await up;
    expect(seen).toEqual(['down', 'up']);
    await expectWorking(store);
  });

  it('close while down leaves no timer or socket behind', async () => {
    await redis.stop();
    const before = activeResources();
    const store = makeStore();
    await store.start();
    expect(store.state).toBe('down');
    await store.close();
    expect(store.state).toBe('closed');
    expectNoneAdded(before);
    await expect(store.roomMembers('r', Date.now())).rejects.toBeInstanceOf(StoreError);
  });

  it('close while up leaves no timer or socket behind', async () => {
    const before = activeResources();
    const store = makeStore();
    await store.start();
    await expectWorking(store);
    await store.close();
    expectNoneAdded(before);
  });
});

/** No kind of timer or handle is more numerous than in `before` (the helper's own may have closed since). */
function expectNoneAdded(before: Record<string, number>): void {
  for (const [kind, count] of Object.entries(activeResources())) expect(count, kind).toBeLessThanOrEqual(before[kind] ?? 0);
}

function activeResources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) counts[kind] = (counts[kind] ?? 0) + 1;
  return counts;
}
