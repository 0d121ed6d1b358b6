import { describe, expect, it } from 'vitest';
import { linkedByToken, mayJoinRoom, mayPublishLocation, maySubscribe } from '../../src/core/authorize.ts';
import type { Identity } from '../../src/core/identity.ts';
import { parseChannel } from '../../src/protocol/index.ts';

const carol: Identity = { userId: 'carol', role: 'caregiver', patients: ['pat'], contacts: ['doc'], rooms: ['care-*', 'lobby'], expiresAt: null };

describe('authorization rules', () => {
  it('grants channels from the token alone', () => {
    const may = (c: string) => maySubscribe(carol, parseChannel(c));
    expect([may('user:carol'), may('user:pat'), may('location:pat'), may('location:eve'), may('location:carol')]).toEqual([true, false, true, false, true]);
    expect([mayJoinRoom(carol, 'care-1'), mayJoinRoom(carol, 'lobby'), mayJoinRoom(carol, 'lobby2'), mayJoinRoom(carol, 'car')]).toEqual([true, true, false, false]);
    expect(mayJoinRoom({ ...carol, rooms: ['*'] }, 'anything')).toBe(true);
  });

  it('links users through patients and contacts, and only patients publish locations', () => {
    expect(['carol', 'pat', 'doc', 'eve'].map((u) => linkedByToken(carol, u))).toEqual([true, true, true, false]);
    expect([mayPublishLocation(carol), mayPublishLocation({ ...carol, role: 'patient' })]).toEqual([false, true]);
  });
});
