import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/**
 * Lua scripts of `RedisStore`: each multi-key operation is one script, so it is atomic and one
 * round trip (EVALSHA; EVAL once per script after Redis lost its script cache, e.g. a restart).
 *
 * Every script is `PRELUDE` + its body and is called with ARGV[1] = key prefix, ARGV[2] = the
 * node's clock (ms, only for key TTLs), ARGV[3] = `sessionGraceMs`; its own arguments start at
 * ARGV[4]. Scripts build key names from the prefix (layout: `redis-records.ts`), so the store
 * needs one Redis (replicas are fine), not Redis Cluster.
 *
 * Times in arguments come from the caller's clock and decide everything observable (who is live,
 * which record is resumable). Key TTLs are only a bound on what is left behind: each is computed
 * as `max(deadline - clock, 0) + grace`, so a caller clock far in the past or future (tests) can
 * neither delete a key early nor break a command.
 */
const PRELUDE = `
local P, CLOCK, GRACE = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local PRESENCE = P .. 'presence'
-- integer argument for Redis: Lua's tostring turns large numbers into 1e+15 notation
local function int(x) return string.format('%d', math.floor(x)) end
local function skey(id, part)
  if part then return P .. 'session:' .. id .. ':' .. part end
  return P .. 'session:' .. id
end
local function ukey(uid) return P .. 'user:' .. uid .. ':sessions' end
local function rkey(room) return P .. 'room:' .. room .. ':members' end
local function session_keys(id) return { skey(id), skey(id, 'rooms'), skey(id, 'log'), skey(id, 'pending'), skey(id, 'journal'), skey(id, 'jorder') } end
-- TTL (ms) for keys that must outlive a deadline (caller's clock, ms)
local function ttl_for(deadline) return math.max(deadline - CLOCK, 0) + GRACE end
-- lengthens a key's TTL to at least t ms, never shortens it
local function extend(key, t)
  local cur = redis.call('PTTL', key)
  if cur == -1 or (cur >= 0 and cur < t) then redis.call('PEXPIRE', key, int(t)) end
end
-- every key of the session expires in t ms, together; its user's set lives at least as long
local function retime(id, uid, t)
  for _, k in ipairs(session_keys(id)) do redis.call('PEXPIRE', k, int(t)) end
  if uid then extend(ukey(uid), t) end
end
-- TTL of the session hash, at least t; applied to all of the session's keys (new ones included)
local function align(id, t)
  local cur = redis.call('PTTL', skey(id))
  if cur > t then t = cur end
  retime(id, redis.call('HGET', skey(id), 'uid'), t)
end
-- the session's keys expire GRACE after the later of its deadlines: presence, resume record
local function settle(id, uid)
  local deadline = 0
  local live = redis.call('ZSCORE', PRESENCE, id)
  if live then deadline = tonumber(live) end
  local record = redis.call('HGET', skey(id), 'until')
  if record and tonumber(record) > deadline then deadline = tonumber(record) end
  retime(id, uid, ttl_for(deadline))
end
local function forget(id, uid)
  redis.call('DEL', unpack(session_keys(id)))
  if uid then redis.call('SREM', ukey(uid), id) end
end
-- out of presence and every roster; returns the rooms it was in
local function unlist(id)
  redis.call('ZREM', PRESENCE, id)
  local rooms = redis.call('SMEMBERS', skey(id, 'rooms'))
  for _, room in ipairs(rooms) do redis.call('HDEL', rkey(room), id) end
  redis.call('DEL', skey(id, 'rooms'))
  return rooms
end
-- calls cmd(key, ...values) in chunks: unpack() is limited to a few thousand values
local function chunked(cmd, key, values, size)
  local out = {}
  for i = 1, #values, size do
    local reply = redis.call(cmd, key, unpack(values, i, math.min(i + size - 1, #values)))
    if type(reply) == 'table' then for _, v in ipairs(reply) do out[#out + 1] = v end end
  end
  return out
end
-- gives a key of the session the session hash's TTL (for a key just created)
local function same_ttl(id, key)
  local t = redis.call('PTTL', skey(id))
  if t > 0 then redis.call('PEXPIRE', key, t) end
end
-- increasing, never reused, and still above every earlier value after Redis lost its data
-- (clock ms * 1000, or one more than the last when that is higher); key has no TTL
local function next_number(key, ttl)
  local n = math.max((tonumber(redis.call('GET', key)) or 0) + 1, CLOCK * 1000)
  if ttl then redis.call('SET', key, int(n), 'PX', int(ttl)) else redis.call('SET', key, int(n)) end
  return int(n)
end
`;

/** One script: its source (prelude included) and the SHA1 EVALSHA names it by. */
export class LuaScript {
  readonly name: string;
  readonly source: string;
  readonly sha: string;

  constructor(name: string, body: string) {
    this.name = name;
    this.source = PRELUDE + body;
    this.sha = createHash('sha1').update(this.source).digest('hex');
  }
}

export type ScriptArg = string | number;

/** Runs scripts with the common arguments filled in. */
export class ScriptRunner {
  readonly prefix: string;
  private readonly client: Redis;
  private readonly graceMs: number;

  constructor(client: Redis, prefix: string, graceMs: number) {
    this.client = client;
    this.prefix = prefix;
    this.graceMs = Math.max(1, Math.floor(graceMs));
  }

  async call(script: LuaScript, args: readonly ScriptArg[]): Promise<unknown> {
    const argv = [this.prefix, Date.now(), this.graceMs, ...args];
    try {
      return await this.client.evalsha(script.sha, 0, ...argv);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return this.client.eval(script.source, 0, ...argv);
    }
  }
}

/** An array reply; throws on anything else. */
export function arrayReply(reply: unknown): unknown[] {
  if (!Array.isArray(reply)) throw new Error(`unexpected script reply ${String(reply)}`);
  return reply;
}

/** A bulk-string reply; throws on anything else. */
export function stringReply(reply: unknown): string {
  if (typeof reply !== 'string') throw new Error(`unexpected script reply ${String(reply)}`);
  return reply;
}
