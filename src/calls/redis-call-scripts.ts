import { LuaScript } from '../store/redis-scripts.ts';

/**
 * Lua scripts of `RedisCallStore`: each operation on a call is one script, so two nodes acting on
 * one call at once are serialized by Redis and see one winner. They do in Lua what
 * src/calls/call-rules.ts does in TypeScript (the contract suite holds both to it), and run on
 * the store's `ScriptRunner` (src/store/redis-scripts.ts: ARGV[1] prefix, ARGV[2] node clock,
 * ARGV[3] grace; their own arguments from ARGV[4]).
 *
 * Keys, under the prefix:
 * - `call:<id>`: string, the call as JSON (`next` as a comma-separated list); expires `keepMs`
 *   (plus the grace) after its deadline, or after it ended
 * - `calls:due`: zset, member = call id, score = its deadline (end of ring, or of the longest
 *   call); an entry leaves when the call ends, so it holds only calls that ring or are on
 * - `calls:ringing:<userId>`: zset, member = call id ringing the user, score = end of ring;
 *   expires with its latest ring
 *
 * A call ended more than `keepMs` ago by the caller's clock counts as gone (CALL_NOT_FOUND), as in
 * the memory store, whatever its key's TTL.
 */
const CALLS = `
local DUE = P .. 'calls:due'
local function ckey(id) return P .. 'call:' .. id end
local function ringkey(uid) return P .. 'calls:ringing:' .. uid end
local function encode(t) return cjson.encode(t) end
local function split(s)
  local t = {}
  for part in string.gmatch(s, '[^,]+') do t[#t + 1] = part end
  return t
end
local function deadline(c)
  if c.state == 'ringing' then return c.ringUntil end
  if c.state == 'accepted' then return c.answeredAt + c.maxMs end
  return nil
end
local function gone(c, now) return c.state == 'ended' and c.endedAt + c.keepMs <= now end
-- the call, or nil when there is none or it ended more than keepMs ago
local function load(id, now)
  local raw = redis.call('GET', ckey(id))
  if not raw then return nil end
  local c = cjson.decode(raw)
  if now and gone(c, now) then
    redis.call('DEL', ckey(id))
    return nil
  end
  return c
end
-- writes c and its indexes; prev: the callee it rang before this change, if any
local function save(c, prev)
  local d = deadline(c)
  local keep_until = (d or c.endedAt) + c.keepMs
  redis.call('SET', ckey(c.callId), encode(c), 'PX', int(ttl_for(keep_until)))
  if d then redis.call('ZADD', DUE, d, c.callId) else redis.call('ZREM', DUE, c.callId) end
  if prev and (c.state ~= 'ringing' or c.callee ~= prev) then redis.call('ZREM', ringkey(prev), c.callId) end
  if c.state == 'ringing' then
    redis.call('ZADD', ringkey(c.callee), c.ringUntil, c.callId)
    extend(ringkey(c.callee), ttl_for(c.ringUntil))
  end
end
local function ended(c, now, reason)
  local prev = c.callee
  c.state = 'ended'
  c.endedAt = now
  c.reason = reason
  save(c, prev)
  return { kind = 'ended', call = c }
end
-- the current callee's ring ends: the next of a circle rings, else the call ends
local function ring_ends(c, now, reason)
  local rest = split(c.next)
  if #rest == 0 then return ended(c, now, reason) end
  local left = { callee = c.callee, ringStartedAt = c.ringStartedAt, woken = c.woken, reason = reason }
  local prev = c.callee
  c.callee = table.remove(rest, 1)
  c.next = table.concat(rest, ',')
  c.ringStartedAt = now
  c.ringUntil = now + c.stepMs
  c.woken = false
  save(c, prev)
  return { kind = 'escalated', call = c, left = left }
end
local function accepted(c, by, now)
  local prev = c.callee
  c.state = 'accepted'
  c.answeredBy = by
  c.answeredAt = now
  save(c, prev)
  return { kind = 'accepted', call = c }
end
`;

function script(name: string, body: string): LuaScript {
  return new LuaScript(name, CALLS + body);
}

/** ARGV: now, the new call as JSON (call-rules newRecord, `next` joined), its callees comma-separated. Returns the Created outcome as JSON. */
export const CREATE = script(
  'call-create',
  `
local now, rec, callees = tonumber(ARGV[4]), cjson.decode(ARGV[5]), ARGV[6]
local existing = load(rec.callId, now)
if existing then
  for _, callee in ipairs(split(callees)) do
    if existing.caller.userId == rec.caller.userId and existing.callee == callee then
      return encode({ kind = 'exists', call = existing })
    end
  end
  return encode({ kind = 'taken' })
end
-- glare: the callee rings the caller right now; that call is taken instead of a new one
for _, id in ipairs(redis.call('ZRANGEBYSCORE', ringkey(rec.caller.userId), '(' .. int(now), '+inf')) do
  local c = load(id, now)
  if c and c.state == 'ringing' and c.callee == rec.caller.userId and c.caller.userId == rec.callee and c.ringUntil > now then
    local outcome = accepted(c, rec.caller, now)
    return encode({ kind = 'glare', call = outcome.call })
  end
end
save(rec, nil)
return encode({ kind = 'created', call = rec })
`,
);

/** ARGV: op (accept | reject | cancel | hangup), call id, now, the actor (accept: Sender JSON; else its user id). Returns the Transition as JSON. */
export const TRANSITION = script(
  'call-transition',
  `
local op, id, now, actor = ARGV[4], ARGV[5], tonumber(ARGV[6]), ARGV[7]
local c = load(id, now)
if not c then return encode({ kind = 'not_found' }) end
if c.state == 'ended' then return encode({ kind = 'already_ended', call = c }) end
if op == 'accept' then
  local by = cjson.decode(actor)
  if c.state == 'accepted' then return encode({ kind = 'already_answered', call = c }) end
  if by.userId ~= c.callee then return encode({ kind = 'forbidden' }) end
  return encode(accepted(c, by, now))
elseif op == 'reject' then
  if c.state == 'accepted' then return encode({ kind = 'already_answered', call = c }) end
  if actor ~= c.callee then return encode({ kind = 'forbidden' }) end
  return encode(ring_ends(c, now, 'declined'))
elseif op == 'cancel' then
  if c.state == 'accepted' then return encode({ kind = 'already_answered', call = c }) end
  if actor ~= c.caller.userId then return encode({ kind = 'forbidden' }) end
  return encode(ended(c, now, 'cancelled'))
elseif op == 'hangup' then
  local is_caller, is_callee = actor == c.caller.userId, actor == c.callee
  if not is_caller and not is_callee then return encode({ kind = 'forbidden' }) end
  if c.state == 'accepted' then return encode(ended(c, now, 'completed')) end
  if is_caller then return encode(ended(c, now, 'cancelled')) end
  return encode(ring_ends(c, now, 'declined'))
end
return redis.error_reply('unknown call operation ' .. op)
`,
);

/** ARGV: call id, callee. */
export const MARK_WOKEN = script(
  'call-mark-woken',
  `
local c = load(ARGV[4], nil)
if c and c.state == 'ringing' and c.callee == ARGV[5] then
  c.woken = true
  save(c, c.callee)
end
return 1
`,
);

/** ARGV: now, limit. Returns the changes made, each as JSON: every due deadline handed out once. */
export const DUE_CALLS = script(
  'call-due',
  `
local now, limit = tonumber(ARGV[4]), tonumber(ARGV[5])
local out = {}
for _, id in ipairs(redis.call('ZRANGEBYSCORE', DUE, '-inf', int(now), 'LIMIT', 0, limit)) do
  local c = load(id, now)
  local d = c and deadline(c)
  if not d then
    redis.call('ZREM', DUE, id)
  elseif d <= now then
    if c.state == 'accepted' then out[#out + 1] = encode(ended(c, now, 'expired'))
    else out[#out + 1] = encode(ring_ends(c, now, 'missed')) end
  end
end
return out
`,
);

/** ARGV: user id, now. Returns the calls ringing the user, each as JSON. */
export const RINGING_FOR = script(
  'call-ringing-for',
  `
local uid, now = ARGV[4], tonumber(ARGV[5])
redis.call('ZREMRANGEBYSCORE', ringkey(uid), '-inf', int(now))
local out = {}
for _, id in ipairs(redis.call('ZRANGE', ringkey(uid), 0, -1)) do
  local c = load(id, now)
  if c and c.state == 'ringing' and c.callee == uid and c.ringUntil > now then out[#out + 1] = encode(c)
  else redis.call('ZREM', ringkey(uid), id) end
end
return out
`,
);
