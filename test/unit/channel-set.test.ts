import { describe, expect, it } from 'vitest';
import { ChannelSet } from '../../src/core/channel-set.ts';

describe('ChannelSet', () => {
  it('answers like a Set<string> through adds and deletes, from one channel to many and back', () => {
    const ours = new ChannelSet();
    const model = new Set<string>();
    const ops: Array<['add' | 'delete', string]> = [
      ['delete', 'user:a'],
      ['add', 'user:a'],
      ['add', 'user:a'],
      ['delete', 'room:x'],
      ['delete', 'user:a'],
      ['add', 'room:x'],
      ['add', 'user:a'],
      ['add', 'location:p'],
      ['delete', 'room:x'],
      ['add', 'room:x'],
      ['delete', 'user:a'],
      ['delete', 'location:p'],
      ['delete', 'room:x'],
      ['add', 'user:b'],
    ];
    for (const [op, channel] of ops) {
      if (op === 'add') {
        expect(ours.add(channel)).toBe(ours);
        model.add(channel);
      } else {
        expect(ours.delete(channel)).toBe(model.delete(channel));
      }
      expect([...ours]).toEqual([...model]);
      expect(ours.size).toBe(model.size);
      for (const c of ['user:a', 'user:b', 'room:x', 'location:p']) expect(ours.has(c)).toBe(model.has(c));
    }
  });
});
