import type { Logger } from 'pino';
import type { Member } from '../protocol/index.ts';
import { decodeMember, encodeRecord } from './redis-records.ts';
import { LuaScript, type ScriptArg, type ScriptRunner, arrayReply, stringReply } from './redis-scripts.ts';
import type { LapsedSession, LiveSession } from './store.ts';

/**
 * Rosters and presence of `RedisStore`. Liveness is the `presence` zset alone (score = live
 * until); a roster or a user's set may still name a session that is no longer live, and every
 * read filters by the zset (ZMSCORE) at the caller's `now`.
 */

/**
 * True when the session moved on since `epoch` ('' for none: never): its record has another
 * epoch (resumed on another connection), or it was forgotten on purpose (the `gone` mark).
 */
const FENCED = `
local function fenced(id, epoch)
  if epoch == '' then return false end
  local f = redis.call('HMGET', skey(id), 'epoch', 'secret')
  if f[2] then return f[1] ~= epoch end
  return redis.call('EXISTS', skey(id, 'gone')) == 1
end
`;

/** Live members of a room as a flat [id, json, ...]; drops fields of sessions whose keys expired. */
const ROSTER = `
local function roster(room, now)
  local rk = rkey(room)
  local flat = redis.call('HGETALL', rk)
  local ids, values = {}, {}
  for i = 1, #flat, 2 do ids[#ids + 1] = flat[i]; values[#values + 1] = flat[i + 1] end
  if #ids == 0 then return {} end
  local scores = chunked('ZMSCORE', PRESENCE, ids, 1000)
  local out = {}
  for i, id in ipairs(ids) do
    if scores[i] then
      if tonumber(scores[i]) >= now then out[#out + 1] = id; out[#out + 1] = values[i] end
    elseif redis.call('EXISTS', skey(id)) == 0 then
      redis.call('HDEL', rk, id)
    end
  end
  return out
end
`;

/** ARGV: room, sessionId, userId, member JSON, now, roomTtlMs, epoch ('' for none). Creates the session if new; nil when fenced. */
const JOIN_ROOM = new LuaScript(
  'joinRoom',
  `${ROSTER}${FENCED}
local room, id, uid = ARGV[4], ARGV[5], ARGV[6]
if fenced(id, ARGV[10]) then return false end
redis.call('HSET', rkey(room), id, ARGV[7])
redis.call('PEXPIRE', rkey(room), ARGV[9])
if redis.call('HSETNX', skey(id), 'member', ARGV[7]) == 1 then
  redis.call('HSET', skey(id), 'uid', uid)
  redis.call('SADD', ukey(uid), id)
end
redis.call('SADD', skey(id, 'rooms'), room)
align(id, GRACE)
return roster(room, tonumber(ARGV[8]))
`,
);

/** ARGV: room, now */
const ROOM_MEMBERS = new LuaScript('roomMembers', `${ROSTER}\nreturn roster(ARGV[4], tonumber(ARGV[5]))`);

/** ARGV: room, sessionId, epoch ('' for none). 1 when applied, 0 when fenced. */
const LEAVE_ROOM = new LuaScript(
  'leaveRoom',
  `${FENCED}
local id = ARGV[5]
if fenced(id, ARGV[6]) then return 0 end
redis.call('HDEL', rkey(ARGV[4]), id)
redis.call('SREM', skey(id, 'rooms'), ARGV[4])
return 1
`,
);

/**
 * ARGV: until, then (sessionId, userId, member JSON) per session. One ZADD per 1000 sessions and
 * one PTTL per session: a missing hash (-2) is a new session; keys whose TTL falls short of
 * `until + grace` are re-timed to `until + 2 * grace`, so that happens about once per grace; an
 * attached resume record's own deadline is renewed then too, once half of its ttl is used.
 */
const TOUCH = new LuaScript(
  'touchSessions',
  `
local till = ARGV[4]
local need = ttl_for(tonumber(till))
local pairs_ = {}
for i = 5, #ARGV, 3 do
  local id = ARGV[i]
  pairs_[#pairs_ + 1] = till
  pairs_[#pairs_ + 1] = id
  local t = redis.call('PTTL', skey(id))
  if t < need then
    local uid = ARGV[i + 1]
    if t == -2 then
      redis.call('HSET', skey(id), 'member', ARGV[i + 2], 'uid', uid)
      redis.call('SADD', ukey(uid), id)
    else
      -- an attached record lives on while its session is live (its 'until' bounds only a record
      -- no node renews): renewed here, about once per grace
      local f = redis.call('HMGET', skey(id), 'uid', 'attached', 'until', 'ttl')
      uid = f[1]
      if f[2] == '1' and f[4] and tonumber(f[3]) < tonumber(till) + tonumber(f[4]) / 2 then
        local renewed = tonumber(till) + tonumber(f[4])
        redis.call('HSET', skey(id), 'until', string.format('%d', renewed))
        t = math.max(need, ttl_for(renewed))
      end
    end
    retime(id, uid, math.max(t, need) + GRACE)
  end
end
chunked('ZADD', PRESENCE, pairs_, 2000)
extend(PRESENCE, need + GRACE)
`,
);

/** ARGV: userId, now. Live members' JSON; drops ids of sessions whose keys expired. */
const USER_SESSIONS = new LuaScript(
  'userSessions',
  `
local uk, now = ukey(ARGV[4]), tonumber(ARGV[5])
local ids = redis.call('SMEMBERS', uk)
if #ids == 0 then return {} end
local scores = chunked('ZMSCORE', PRESENCE, ids, 1000)
local out = {}
for i, id in ipairs(ids) do
  local member = redis.call('HGET', skey(id), 'member')
  if not member then redis.call('SREM', uk, id)
  elseif scores[i] and tonumber(scores[i]) >= now then out[#out + 1] = member end
end
return out
`,
);

/**
 * ARGV: now, limit, resumableUntil. Each lapsed session as [member JSON, room...]. A lapsed id whose
 * keys already expired is removed from presence and not counted. An attached resume record is
 * detached: resumable until resumableUntil (a detached one keeps its own deadline).
 */
const CLAIM_LAPSED = new LuaScript(
  'claimLapsed',
  `
local now, limit = ARGV[4], tonumber(ARGV[5])
local out = {}
while #out < limit do
  local ids = redis.call('ZRANGEBYSCORE', PRESENCE, '-inf', '(' .. now, 'LIMIT', 0, limit - #out)
  if #ids == 0 then break end
  for _, id in ipairs(ids) do
    local f = redis.call('HMGET', skey(id), 'member', 'uid', 'secret', 'attached')
    local rooms = unlist(id)
    if f[1] then
      if f[3] then
        if f[4] == '1' then redis.call('HSET', skey(id), 'attached', '0', 'until', ARGV[6]) end
        settle(id, f[2])
      else
        forget(id, f[2])
      end
      table.insert(rooms, 1, f[1])
      out[#out + 1] = rooms
    end
  end
end
return out
`,
);

/** sessions per touch script */
const TOUCH_BATCH = 5_000;

export class RedisPresence {
  private readonly scripts: ScriptRunner;
  private readonly roomTtlMs: number;
  private readonly logger: Pick<Logger, 'warn'> | undefined;

  constructor(scripts: ScriptRunner, roomTtlMs: number, logger: Pick<Logger, 'warn'> | undefined) {
    this.scripts = scripts;
    this.roomTtlMs = roomTtlMs;
    this.logger = logger;
  }

  async joinRoom(room: string, member: Member, now: number, epoch: number | null): Promise<Member[] | null> {
    const args = [room, member.sessionId, member.userId, encodeRecord(member), now, this.roomTtlMs, epoch ?? ''];
    const reply = await this.scripts.call(JOIN_ROOM, args);
    return reply === null ? null : this.decodeRoster(room, reply);
  }

  async leaveRoom(room: string, sessionId: string, epoch: number | null): Promise<boolean> {
    return (await this.scripts.call(LEAVE_ROOM, [room, sessionId, epoch ?? ''])) === 1;
  }

  async roomMembers(room: string, now: number): Promise<Member[]> {
    return this.decodeRoster(room, await this.scripts.call(ROOM_MEMBERS, [room, now]));
  }

  /**
   * One script per `TOUCH_BATCH` sessions, all sent at once: one round trip, and no single
   * script holds Redis for long (about 6 µs per session).
   */
  async touchSessions(sessions: readonly LiveSession[], until: number): Promise<void> {
    const calls: Array<Promise<unknown>> = [];
    for (let i = 0; i < sessions.length; i += TOUCH_BATCH) {
      const args: ScriptArg[] = [until];
      for (const { member } of sessions.slice(i, i + TOUCH_BATCH)) {
        args.push(member.sessionId, member.userId, encodeRecord(member));
      }
      calls.push(this.scripts.call(TOUCH, args));
    }
    await Promise.all(calls);
  }

  async userSessions(userId: string, now: number): Promise<Member[]> {
    const reply = arrayReply(await this.scripts.call(USER_SESSIONS, [userId, now]));
    return reply.flatMap((raw) => this.member(stringReply(raw), { userId }));
  }

  async claimLapsed(now: number, limit: number, resumableUntil: number): Promise<LapsedSession[]> {
    if (limit <= 0) return [];
    const reply = arrayReply(await this.scripts.call(CLAIM_LAPSED, [now, limit, resumableUntil]));
    return reply.flatMap((entry) => {
      const [raw, ...rooms] = arrayReply(entry).map(stringReply);
      return this.member(raw ?? '', { claimed: true }).map((member) => ({ member, rooms }));
    });
  }

  /** Roster from a flat [sessionId, json, ...] reply; an unreadable entry is logged and left out. */
  private decodeRoster(room: string, reply: unknown): Member[] {
    const flat = arrayReply(reply).map(stringReply);
    const members: Member[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) {
      members.push(...this.member(flat[i + 1]!, { room, sessionId: flat[i] }));
    }
    return members;
  }

  private member(raw: string, context: Record<string, unknown>): Member[] {
    const decoded = decodeMember(raw);
    if (decoded.ok) return [decoded.member];
    this.logger?.warn({ ...context, err: decoded.error }, 'unreadable session member skipped');
    return [];
  }
}
