/**
 * ReplyWatchdog, driven by hand: a clock the test moves and checks the test runs, so "the event
 * loop was busy" is a check that runs late, not a real stall.
 */
import { describe, expect, it } from 'vitest';
import { ReplyWatchdog, type WatchdogClock } from '../../src/store/reply-watchdog.ts';

class HandClock implements WatchdogClock {
  t = 1_000;
  check: (() => void) | null = null;
  now = (): number => this.t;
  every(_ms: number, check: () => void): () => void {
    this.check = check;
    return () => (this.check = null);
  }
  /** moves the clock by `ms`, then runs the check */
  tick(ms: number): void {
    this.t += ms;
    this.check?.();
  }
}

const never = (): Promise<never> => new Promise<never>(() => {});
const settledTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('ReplyWatchdog', () => {
  it('gives the connection up once a command waited the timeout and nothing came back, seen by on-time checks', () => {
    const clock = new HandClock();
    let dead = 0;
    const dog = new ReplyWatchdog(1_000, () => dead++, clock);
    dog.start();
    void dog.track(never());
    for (let i = 0; i < 4; i++) clock.tick(dog.tickMs);
    expect(dead).toBe(0);
    clock.tick(dog.tickMs);
    expect(dead).toBe(1);
    expect(clock.check).toBeNull();
  });

  it('judges nothing on a late check: a node too busy to read its replies keeps its connection', async () => {
    const clock = new HandClock();
    let dead = 0;
    const dog = new ReplyWatchdog(1_000, () => dead++, clock);
    dog.start();
    let reply!: () => void;
    const command = dog.track(new Promise<void>((resolve) => (reply = resolve)));
    // the loop was stuck for 3 s: the check runs late, and the reply is read right after it
    clock.tick(3_000);
    reply();
    await command;
    await settledTurn();
    clock.tick(dog.tickMs);
    expect(dead).toBe(0);
  });

  it('a steady trickle of replies keeps a connection with one slow command alive until that one has waited and nothing else answers', async () => {
    const clock = new HandClock();
    let dead = 0;
    const dog = new ReplyWatchdog(1_000, () => dead++, clock);
    dog.start();
    void dog.track(never());
    for (let i = 0; i < 8; i++) {
      await dog.track(Promise.resolve());
      clock.tick(dog.tickMs);
    }
    expect(dead).toBe(0);
    for (let i = 0; i < 5; i++) clock.tick(dog.tickMs);
    expect(dead).toBe(1);
  });
});
