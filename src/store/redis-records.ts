import { z } from 'zod';
import { Member, Position, Sender } from '../protocol/index.ts';
import type { PositionFix } from './store.ts';

/**
 * Key layout and value codecs of `RedisStore`. Every key starts with the store's prefix; values
 * are JSON validated on the way out, so a record written by another version or by hand is
 * reported instead of reaching the core.
 */
export const redisKeys = {
  /** hash: field = sessionId, value = JSON Member; expires `roomTtlMs` after the latest join */
  roomMembers: (prefix: string, room: string): string => `${prefix}room:${room}:members`,
  /** string: JSON PositionFix; expires `positionTtlMs` after the latest write */
  lastPosition: (prefix: string, patientId: string): string => `${prefix}loc:${patientId}:last`,
};

const StoredFix = z.strictObject({ position: Position, from: Sender, ts: z.number() });

export const encodeRecord = (value: Member | PositionFix): string => JSON.stringify(value);

/** The member stored under one roster field, or an error naming what is wrong with it. */
export function decodeMember(raw: string): { ok: true; member: Member } | { ok: false; error: unknown } {
  const parsed = Member.safeParse(parseJson(raw));
  return parsed.success ? { ok: true, member: parsed.data } : { ok: false, error: parsed.error };
}

/** Throws when the stored value is not a valid PositionFix. */
export function decodeFix(raw: string): PositionFix {
  return StoredFix.parse(parseJson(raw));
}

function parseJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}
