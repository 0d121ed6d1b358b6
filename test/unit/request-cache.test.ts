import { describe, expect, it } from 'vitest';
import { RequestCache } from '../../src/core/request-cache.ts';

describe('RequestCache', () => {
  it('remembers the most recent answers only', async () => {
    const cache = new RequestCache(2);
    for (const id of ['a', 'b', 'c']) cache.set(id, Promise.resolve({ type: 'ack', id }));
    expect(cache.get('a')).toBeUndefined();
    expect(await cache.get('c')).toEqual({ type: 'ack', id: 'c' });
  });
});
