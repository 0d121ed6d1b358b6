import { z } from 'zod';
import { Member, Position, Sender } from '../protocol/index.ts';
import type { PositionFix } from './store.ts';

/**
 * Key layout and value codecs of `RedisStore`. Every key starts with the store's prefix; values
 * are JSON validated on the way out, so a record written by another version or by hand is
 * reported instead of reaching the core. The Lua scripts (`redis-*.ts`) build the same names.
 *
 * A session's six keys (hash, rooms, log, pending, journal, jorder) always carry one TTL: `sessionGraceMs`
 * after the later of its presence deadline and its resume record's deadline (see `redis-scripts.ts`).
 */
export const redisKeys = {
  /** zset: member = sessionId, score = live until (ms); TTL refreshed by heartbeats; claimLapsed bounds it */
  presence: (prefix: string): string => `${prefix}presence`,
  /** string: the last epoch given; no TTL (one integer), it must never go back */
  epoch: (prefix: string): string => `${prefix}epoch`,
  /**
   * hash: member (JSON Member), uid, and once opened the record: epoch, secret (SHA-256 hex of the
   * client's secret), subs (JSON string[]), attached ('1' | '0'), until (record deadline, ms), ttl
   * (attachedTtlMs), the bounds lf lb pf pb js dpu (ResumeBounds), last and hole (seqs), lost
   * ('1' once a pending message was dropped), lbytes and pbytes (bytes of log and pending), jn
   */
  session: (prefix: string, id: string): string => `${prefix}session:${id}`,
  /** set: rooms the session joined, so ending it can clean every roster */
  sessionRooms: (prefix: string, id: string): string => `${prefix}session:${id}:rooms`,
  /** list: `seq|offset|frame` of frames delivered, newest within the log bounds */
  sessionLog: (prefix: string, id: string): string => `${prefix}session:${id}:log`,
  /** zset: `offset|frame` of direct messages owed to the session, score = offset */
  sessionPending: (prefix: string, id: string): string => `${prefix}session:${id}:pending`,
  /** hash: request id -> `n|offset` of requests that took effect (n orders them), newest `js` */
  sessionJournal: (prefix: string, id: string): string => `${prefix}session:${id}:journal`,
  /**
   * zset: the journal's request ids, score = n, so the oldest is forgotten in O(log n). Entries a
   * node of an earlier version added during a rolling deploy are not in it: they stay until the
   * session ends, beyond `js`
   */
  sessionJournalOrder: (prefix: string, id: string): string => `${prefix}session:${id}:jorder`,
  /** zset: offsets of direct messages to the user handed to a session to deliver (no longer withdrawn), newest 1 024; expires after 7 days unused */
  userHanded: (prefix: string, userId: string): string => `${prefix}user:${userId}:handed`,
  /** string: the last offset given to a direct message to the user; expires after 7 days unused */
  userOffset: (prefix: string, userId: string): string => `${prefix}user:${userId}:offset`,
  /** set: the user's session ids; TTL at least that of each session's keys; ids of gone sessions removed lazily */
  userSessions: (prefix: string, userId: string): string => `${prefix}user:${userId}:sessions`,
  /** hash: field = sessionId, value = JSON Member; expires `roomTtlMs` after the latest join */
  roomMembers: (prefix: string, room: string): string => `${prefix}room:${room}:members`,
  /** string: JSON PositionFix; expires `positionTtlMs` after the latest write */
  lastPosition: (prefix: string, patientId: string): string => `${prefix}loc:${patientId}:last`,
  /**
   * stream: fields ts, fix (JSON PositionFix); ids `<ms>-<n>` with ms = the fix's ts, raised to
   * the previous entry's ms when a fix arrives out of order; about `trailMaxEntries` entries;
   * expires `trailWindowMs` after the latest write
   */
  trail: (prefix: string, patientId: string): string => `${prefix}loc:${patientId}:trail`,
};

const StoredFix = z.strictObject({ position: Position, from: Sender, ts: z.number() });
const StoredStrings = z.array(z.string());

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

/** Throws when the stored value is not a JSON array of strings. */
export function decodeStrings(raw: string): string[] {
  return StoredStrings.parse(parseJson(raw));
}

function parseJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}
