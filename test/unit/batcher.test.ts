import { describe, expect, it } from 'vitest';
import { Batcher } from '../../src/core/batcher.ts';
import { atEndOfTurn } from '../../src/core/next-turn.ts';

describe('atEndOfTurn', () => {
  it('runs what one turn queued together, in order, before anything queued after it, and what they queue in the next turn', async () => {
    const log: string[] = [];
    atEndOfTurn(() => log.push('a'));
    setImmediate(() => log.push('other'));
    atEndOfTurn(() => {
      log.push('b');
      atEndOfTurn(() => log.push('next turn'));
    });
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    expect(log).toEqual(['a', 'b', 'other', 'next turn']);
  });
});

describe('Batcher', () => {
  it('hands one turn\'s items to `run` together, and two batchers\' runs start in the same turn', async () => {
    const started: string[] = [];
    const runs = (name: string) => async (items: number[]) => {
      started.push(`${name}:${items.join(',')}`);
      return items.map((n) => n * 10);
    };
    const a = new Batcher(runs('a'));
    const b = new Batcher(runs('b'));
    const results = Promise.all([a.add(1), b.add(2), a.add(3)]);
    setImmediate(() => started.push('other'));
    expect(await results).toEqual([10, 20, 30]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(started).toEqual(['a:1,3', 'b:2', 'other']);
  });

  it('calls `then` callbacks in the order items were added, batch after batch, one run in flight', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const batches: number[][] = [];
    const batcher = new Batcher<number, number>(async (items) => {
      batches.push(items);
      if (batches.length === 1) await gate;
      return items;
    });
    const order: number[] = [];
    batcher.then(1, (n) => order.push(n), () => {});
    await new Promise((resolve) => setImmediate(resolve));
    // the first run is in flight: these wait for the next one
    const last = Promise.withResolvers<void>();
    batcher.then(2, (r) => order.push(r), () => {});
    batcher.then(3, (r) => order.push(r) && last.resolve(), () => {});
    release();
    await last.promise;
    expect(order).toEqual([1, 2, 3]);
    expect(batches).toEqual([[1], [2, 3]]);
  });

  it('calls every item\'s `failed` callback, in order, when its run rejects', async () => {
    const batcher = new Batcher<number, number>(() => Promise.reject(new Error('store down')));
    const failed: string[] = [];
    const last = Promise.withResolvers<void>();
    batcher.then(1, () => {}, (e) => failed.push(`1 ${(e as Error).message}`));
    batcher.then(2, () => {}, (e) => failed.push(`2 ${(e as Error).message}`) && last.resolve());
    await last.promise;
    expect(failed).toEqual(['1 store down', '2 store down']);
  });
});
