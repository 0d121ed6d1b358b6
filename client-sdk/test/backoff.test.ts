import { afterEach, describe, expect, it } from 'vitest';
import { fullJitterBackoff } from '../src/index.ts';
import { stateIs, nextEvent } from './support/events.ts';
import { FakeServer } from './support/fake-server.ts';
import { closeAll, testClient } from './support/sdk.ts';

describe('full-jitter backoff', () => {
  it('draws each delay from [0, min(cap, base * 2^attempt))', () => {
    const low = fullJitterBackoff({ baseMs: 500, capMs: 30_000, random: () => 0 });
    const high = fullJitterBackoff({ baseMs: 500, capMs: 30_000, random: () => 0.999_999 });
    const ceilings = [500, 1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000];
    ceilings.forEach((ceiling, attempt) => {
      expect(low.nextDelay(attempt)).toBe(0);
      expect(high.nextDelay(attempt)).toBe(ceiling - 1);
    });
    expect(high.nextDelay(10_000)).toBe(29_999); // 2^10000 overflows to Infinity, still capped
  });

  it('stays inside the bounds with the default random source', () => {
    const policy = fullJitterBackoff();
    for (let attempt = 0; attempt < 12; attempt++) {
      for (let i = 0; i < 200; i++) {
        const delay = policy.nextDelay(attempt)!;
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBeLessThan(Math.min(30_000, 500 * 2 ** attempt));
      }
    }
  });

  it('spreads delays over the whole range (jitter, not a fixed step)', () => {
    const policy = fullJitterBackoff({ baseMs: 1_000, capMs: 1_000 });
    const buckets = new Set(Array.from({ length: 500 }, () => Math.floor(policy.nextDelay(0)! / 100)));
    expect(buckets.size).toBe(10);
  });

  it('gives up (null) after maxAttempts', () => {
    const policy = fullJitterBackoff({ maxAttempts: 2, random: () => 0.5 });
    expect(policy.nextDelay(0)).toBe(250);
    expect(policy.nextDelay(1)).toBe(500);
    expect(policy.nextDelay(2)).toBeNull();
  });
});

describe('the client and its reconnect policy', () => {
  let server: FakeServer;
  afterEach(async () => {
    closeAll();
    await server.close();
  });

  it('counts failed attempts up and restarts from 0 after a welcome', async () => {
    server = await FakeServer.start();
    const asked: number[] = [];
    server.refusals.push(503, 503); // the first two upgrades fail, retryably
    const client = testClient({ url: server.url, reconnect: { nextDelay: (attempt) => (asked.push(attempt), 0) } });
    const first = await server.nextConnection();
    await stateIs(client, 'open');
    expect(asked).toEqual([0, 1]);

    first.close(1012, 'draining');
    await nextEvent(client, 'state', (s) => s.state === 'open');
    expect(asked).toEqual([0, 1, 0]);
  });

  it('closes with the last cause when the policy gives up', async () => {
    server = await FakeServer.start();
    server.refusals.push(503, 503, 503);
    const client = testClient({ url: server.url, reconnect: fullJitterBackoff({ maxAttempts: 2, baseMs: 1 }) });
    const closed = await nextEvent(client, 'state', (s) => s.state === 'closed');
    expect(closed.reason).toMatch(/reconnect policy gave up after 2 attempt\(s\); last: upgrade refused with HTTP 503/);
    expect(closed.error).toMatchObject({ code: 'CONNECTION_CLOSED', httpStatus: 503, retryable: false });
  });
});
