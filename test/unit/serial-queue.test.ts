import { describe, expect, it } from 'vitest';
import { SerialQueue } from '../../src/core/serial-queue.ts';

describe('SerialQueue', () => {
  it('runs each task after the previous one settled, through failures and idle spells', async () => {
    const queue = new SerialQueue();
    const log: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const a = queue.run(async () => {
      log.push('a start');
      await gate;
      log.push('a end');
      return 'a';
    });
    const b = queue.run(async () => {
      log.push('b');
      throw new Error('b failed');
    });
    const c = queue.run(async () => {
      log.push('c');
      return 'c';
    });
    release();
    expect(await a).toBe('a');
    await expect(b).rejects.toThrow('b failed');
    expect(await c).toBe('c');
    // idle now; the next task still runs on its own turn, not synchronously
    const d = queue.run(async () => {
      log.push('d');
      return 'd';
    });
    log.push('after run(d)');
    expect(await d).toBe('d');
    expect(log).toEqual(['a start', 'a end', 'b', 'c', 'after run(d)', 'd']);
  });
});
