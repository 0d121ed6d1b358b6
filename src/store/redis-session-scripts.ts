import { LuaScript } from './redis-scripts.ts';
import { FORGOTTEN_MARK_MS } from './session-records.ts';

/**
 * Lua scripts of `RedisSessions` (contracts in session-records.ts and direct-inbox.ts). Layout of a
 * session's keys (redis-records.ts): the hash holds the record (epoch, secret digest, subs,
 * attached, until, ttl, the bounds lf lb pf pb js dpu, last, hole, lost, lbytes, pbytes, jn, unl);
 * `log` is a list of `seq|offset|frame`; `pending` a zset of `offset|frame` scored by offset;
 * `journal` a hash of request id -> `n|offset`, or `n|offset|c` once sent again (n orders them).
 *
 * The record is resumable and kept while `now < until` (caller's clock); key TTLs only bound what
 * is left behind (see `settle` in redis-scripts.ts). A session forgotten on purpose leaves
 * `session:<id>:gone` for FORGOTTEN_MARK_MS, so a stale node's writes are fenced rather than
 * taken for lost data.
 */

/** Helpers shared by the scripts below. */
const SESSION_HELPERS = `
local function owned(id, epoch)
  local f = redis.call('HMGET', skey(id), 'epoch', 'secret')
  return f[2] and f[1] == epoch
end
local function was_forgotten(id) return redis.call('EXISTS', skey(id, 'gone')) == 1 end
-- 1 held at epoch, 0 fenced (another epoch, or forgotten on purpose), 2 missing (no trace: lost data)
local function ownership(id, epoch)
  local f = redis.call('HMGET', skey(id), 'epoch', 'secret')
  if f[2] then if f[1] == epoch then return 1 else return 0 end end
  if was_forgotten(id) then return 0 end
  return 2
end
-- forgets the session on purpose: its keys go, a mark stays
local function bury(id, uid)
  forget(id, uid)
  redis.call('SET', skey(id, 'gone'), '1', 'PX', ${FORGOTTEN_MARK_MS})
end
-- bytes of the frame in a log entry (seq|offset|frame) or pending member (offset|frame)
local function frame_len(entry, bars)
  local at = 0
  for _ = 1, bars do at = string.find(entry, '|', at + 1, true) end
  return #entry - at
end
-- removes the pending message at offset; returns its frame's bytes (0 if none), not yet taken off pbytes
local function take_pending(id, offset)
  local key = skey(id, 'pending')
  local found = redis.call('ZRANGEBYSCORE', key, offset, offset)
  if #found == 0 then return 0 end
  redis.call('ZREMRANGEBYSCORE', key, offset, offset)
  return frame_len(found[1], 1)
end
local function remove_pending(id, offset)
  local bytes = take_pending(id, offset)
  if bytes > 0 then redis.call('HINCRBY', skey(id), 'pbytes', -bytes) end
end
-- frames sent up to seq without being logged: a hole, and their direct messages are not owed
-- (their offsets are kept, newest 256, in 'unl': the client may hold them)
local function declare_unlogged(id, to, offsets)
  local f = redis.call('HMGET', skey(id), 'last', 'hole', 'unl')
  redis.call('HSET', skey(id), 'hole', int(math.max(tonumber(f[2]), to)), 'last', int(math.max(tonumber(f[1]), to)))
  for _, o in ipairs(offsets) do remove_pending(id, o) end
  if #offsets == 0 then return end
  local kept = {}
  for o in string.gmatch(f[3] or '', '%d+') do kept[#kept + 1] = o end
  for _, o in ipairs(offsets) do kept[#kept + 1] = o end
  redis.call('HSET', skey(id), 'unl', table.concat(kept, ',', math.max(1, #kept - 255)))
end
-- remembers a request in the session's journal; the zset 'jorder' (request id by n) finds the
-- oldest to forget in O(log n). Nothing happens for a session with no record.
local function journal_add(id, request, offset)
  local h, key, order = skey(id), skey(id, 'journal'), skey(id, 'jorder')
  local f = redis.call('HMGET', h, 'secret', 'js')
  if not f[1] then return end
  local n = redis.call('HINCRBY', h, 'jn', 1)
  redis.call('HSET', key, request, n .. '|' .. offset)
  redis.call('ZADD', order, n, request)
  local count = redis.call('ZCARD', order)
  if count == 1 then
    same_ttl(id, key)
    same_ttl(id, order)
  elseif count > tonumber(f[2]) then
    redis.call('HDEL', key, redis.call('ZPOPMIN', order)[1])
  end
end
-- remembers offsets handed to a session to deliver, so a failed publish no longer withdraws them
local function hand_out(uid, members)
  if #members == 0 then return end
  local key = P .. 'user:' .. uid .. ':handed'
  for _, m in ipairs(members) do
    local offset = string.match(m, '^(%d+)|')
    redis.call('ZADD', key, offset, offset)
  end
  redis.call('ZREMRANGEBYRANK', key, 0, -1025)
  redis.call('PEXPIRE', key, 7 * 24 * 3600000)
end
-- drops the record and what it keeps; the member stays while the session is still in presence
local function drop_record(id, uid)
  if redis.call('ZSCORE', PRESENCE, id) then
    redis.call('HDEL', skey(id), 'epoch', 'secret', 'subs', 'attached', 'until', 'ttl', 'lf', 'lb', 'pf', 'pb', 'js', 'dpu',
      'last', 'hole', 'lost', 'lbytes', 'pbytes', 'jn', 'unl')
    redis.call('DEL', skey(id, 'log'), skey(id, 'pending'), skey(id, 'journal'), skey(id, 'jorder'))
    redis.call('SET', skey(id, 'gone'), '1', 'PX', ${FORGOTTEN_MARK_MS})
  else
    bury(id, uid)
  end
end
-- a new record, at a new epoch or at \`keep\` (the counter then stays above it); ARGV from i:
-- uid, member, secret digest, subs, ttl, lf, lb, pf, pb, js, dpu
local function new_record(id, i, now, seq, keep)
  local h, uid = skey(id), ARGV[i]
  if redis.call('HSETNX', h, 'member', ARGV[i + 1]) == 1 then redis.call('HSET', h, 'uid', uid) end
  uid = redis.call('HGET', h, 'uid')
  redis.call('SADD', ukey(uid), id)
  redis.call('DEL', skey(id, 'log'), skey(id, 'pending'), skey(id, 'journal'), skey(id, 'jorder'))
  local epoch = keep
  if keep then
    if (tonumber(redis.call('GET', P .. 'epoch')) or 0) < tonumber(keep) then redis.call('SET', P .. 'epoch', keep) end
  else
    epoch = next_number(P .. 'epoch')
  end
  redis.call('HSET', h, 'epoch', epoch, 'secret', ARGV[i + 2], 'subs', ARGV[i + 3], 'attached', '1',
    'until', int(now + tonumber(ARGV[i + 4])), 'ttl', ARGV[i + 4],
    'lf', ARGV[i + 5], 'lb', ARGV[i + 6], 'pf', ARGV[i + 7], 'pb', ARGV[i + 8], 'js', ARGV[i + 9], 'dpu', ARGV[i + 10],
    'last', seq, 'hole', seq, 'lost', '0', 'lbytes', '0', 'pbytes', '0', 'jn', '0')
  redis.call('HDEL', h, 'unl')
  settle(id, uid)
  return epoch
end
`;

/** ARGV: now, sessionId, then the record (see new_record) */
export const OPEN = new LuaScript('openSession', `${SESSION_HELPERS}\nreturn new_record(ARGV[5], 6, tonumber(ARGV[4]), '0')`);

/**
 * ARGV: now, then per session: id, record (11 fields), epoch ('' for none), seq. Per session: its
 * epoch, or 'taken'. A record held at a higher epoch is taken (a resume elsewhere); at a lower one
 * it is replaced (a stale owner recreated it first after Redis lost its data); a missing one is
 * recreated at the caller's epoch, so its writes in flight stay valid, unless it was forgotten; one
 * held at the caller's epoch but detached (another node claimed its lapse) is attached again.
 */
export const REREGISTER = new LuaScript(
  'registerAgain',
  `${SESSION_HELPERS}
local now, out = tonumber(ARGV[4]), {}
for i = 5, #ARGV, 14 do
  local id, epoch = ARGV[i], ARGV[i + 12]
  local f = redis.call('HMGET', skey(id), 'epoch', 'secret', 'attached', 'ttl', 'uid')
  if f[2] and (epoch == '' or tonumber(f[1]) >= tonumber(epoch)) then
    if epoch == '' or f[1] == epoch then
      -- held by the caller, which is live: detached meanwhile (its lapse was claimed), attached again
      if f[3] == '0' then
        redis.call('HSET', skey(id), 'attached', '1', 'until', int(now + tonumber(f[4])))
        settle(id, f[5])
      end
      out[#out + 1] = f[1]
    else
      out[#out + 1] = 'taken'
    end
  elseif not f[2] and was_forgotten(id) then
    out[#out + 1] = 'taken'
  elseif epoch == '' then
    out[#out + 1] = new_record(id, i + 1, now, ARGV[i + 13])
  else
    out[#out + 1] = new_record(id, i + 1, now, ARGV[i + 13], epoch)
  end
end
return out
`,
);

/** ARGV: sessionId, epoch, subscriptions JSON */
export const SAVE_SUBSCRIPTIONS = new LuaScript(
  'saveSubscriptions',
  `${SESSION_HELPERS}
if owned(ARGV[4], ARGV[5]) then redis.call('HSET', skey(ARGV[4]), 'subs', ARGV[6]) end
`,
);

/**
 * ARGV: groups of id, epoch, unlogged-to ('' if none), k, k offsets, n, n entries (seq|offset|frame).
 * Per group 1 (logged), 0 (fenced) or 2 (missing).
 */
export const LOG = new LuaScript(
  'logDeliveries',
  `${SESSION_HELPERS}
local out, i = {}, 4
while i <= #ARGV do
  local id, epoch, unlogged, k = ARGV[i], ARGV[i + 1], ARGV[i + 2], tonumber(ARGV[i + 3])
  local n = tonumber(ARGV[i + 4 + k])
  local first = i + 5 + k
  local h = skey(id)
  local fields = { 'epoch', 'secret', 'last', 'hole', 'lbytes', 'lf', 'lb' }
  local f = redis.call('HMGET', h, unpack(fields))
  -- as ownership(): 1 held at epoch, 0 fenced, 2 missing; read with the fields the log needs
  local held = 2
  if f[2] then
    if f[1] == epoch then held = 1 else held = 0 end
  elseif was_forgotten(id) then
    held = 0
  end
  if held == 1 then
    if unlogged ~= '' then
      declare_unlogged(id, tonumber(unlogged), { unpack(ARGV, i + 4, i + 3 + k) })
      f = redis.call('HMGET', h, unpack(fields))
    end
    local key = skey(id, 'log')
    local last, hole, bytes, freed = tonumber(f[3]), tonumber(f[4]), tonumber(f[5]), 0
    for j = first, first + n - 1 do
      local entry = ARGV[j]
      local seq, offset = string.match(entry, '^(%d+)|(%d*)|')
      seq = tonumber(seq)
      if seq > last + 1 then hole = math.max(hole, seq - 1) end
      last = math.max(last, seq)
      bytes = bytes + frame_len(entry, 2)
      if offset ~= '' then freed = freed + take_pending(id, offset) end
    end
    if freed > 0 then redis.call('HINCRBY', h, 'pbytes', -freed) end
    local len, created = 0, false
    for c = first, first + n - 1, 500 do
      len = redis.call('RPUSH', key, unpack(ARGV, c, math.min(c + 499, first + n - 1)))
      if c == first then created = len <= math.min(500, n) end
    end
    local max, maxBytes = tonumber(f[6]), tonumber(f[7])
    while len > 0 and (len > max or bytes > maxBytes) do
      bytes = bytes - frame_len(redis.call('LPOP', key), 2)
      len = len - 1
    end
    redis.call('HSET', h, 'last', int(last), 'hole', int(hole), 'lbytes', int(bytes))
    if created then same_ttl(id, key) end
    out[#out + 1] = 1
  else
    out[#out + 1] = held
  end
  i = first + n
end
return out
`,
);

/**
 * ARGV: sessionId, epoch ('' for none), resumableUntil ('' forgets), now, unlogged-to ('' if none),
 * k, k offsets. 1 when applied, 0 when fenced (also when forgotten already).
 */
export const END_SESSION = new LuaScript(
  'endSession',
  `${SESSION_HELPERS}
local id, epoch, until_, now = ARGV[4], ARGV[5], ARGV[6], tonumber(ARGV[7])
local h = skey(id)
local f = redis.call('HMGET', h, 'member', 'uid', 'epoch', 'secret', 'dpu')
if not f[1] then
  redis.call('ZREM', PRESENCE, id)
  if was_forgotten(id) then return 0 end
  return 1
end
if f[4] and f[3] ~= epoch then return 0 end
unlist(id)
if not f[4] then
  forget(id, f[2])
  return 1
end
if until_ == '' then
  bury(id, f[2])
  return 1
end
redis.call('HSET', h, 'attached', '0', 'until', until_)
if ARGV[8] ~= '' then declare_unlogged(id, tonumber(ARGV[8]), { unpack(ARGV, 10, 9 + tonumber(ARGV[9])) }) end
settle(id, f[2])
-- at most dpu detached, still resumable sessions per user: the ones kept longest win
local detached = {}
for _, other in ipairs(redis.call('SMEMBERS', ukey(f[2]))) do
  local g = redis.call('HMGET', skey(other), 'secret', 'attached', 'until')
  if g[1] and g[2] == '0' and tonumber(g[3]) > now then detached[#detached + 1] = { other, tonumber(g[3]) } end
end
local cap = tonumber(f[5])
if #detached > cap then
  table.sort(detached, function(a, b) return a[2] < b[2] end)
  for j = 1, #detached - cap do drop_record(detached[j][1], f[2]) end
end
return 1
`,
);

/**
 * ARGV: sessionId, secret digest, userId, lastSeq, now, liveUntil. nil when not resumable; {0} when
 * incomplete (the record is dropped); else {1, epoch, member, subs, last, missed[], pending[], journal[],
 * delivered[]} with journal as flat request id, offset pairs, delivered the offsets in the log.
 */
export const TAKE_OVER = new LuaScript(
  'takeOver',
  `${SESSION_HELPERS}
local id, lastSeq, now, live_until = ARGV[4], tonumber(ARGV[7]), tonumber(ARGV[8]), tonumber(ARGV[9])
local h = skey(id)
local f = redis.call('HMGET', h, 'member', 'uid', 'secret', 'until', 'subs', 'ttl', 'last', 'hole', 'lost', 'unl')
if not f[1] or not f[3] or f[3] ~= ARGV[5] or f[2] ~= ARGV[6] or tonumber(f[4]) <= now then return false end
local last, hole = tonumber(f[7]), tonumber(f[8])
local log = redis.call('LRANGE', skey(id, 'log'), 0, -1)
local first = last + 1
if #log > 0 then first = tonumber(string.match(log[1], '^(%d+)')) end
if f[9] == '1' or lastSeq < hole or lastSeq > last or lastSeq < first - 1 then
  drop_record(id, f[2])
  return { 0 }
end
local epoch = next_number(P .. 'epoch')
redis.call('HSET', h, 'epoch', epoch, 'attached', '1', 'until', int(now + tonumber(f[6])))
-- live from here on: renewed by the node's presence ticks, claimed once they stop (or never start)
redis.call('ZADD', PRESENCE, int(live_until), id)
extend(PRESENCE, ttl_for(live_until) + GRACE)
local missed, delivered = {}, {}
for o in string.gmatch(f[10] or '', '%d+') do delivered[#delivered + 1] = o end
for _, entry in ipairs(log) do
  local seq, offset = string.match(entry, '^(%d+)|(%d*)|')
  if tonumber(seq) > lastSeq then missed[#missed + 1] = entry end
  if offset ~= '' then delivered[#delivered + 1] = offset end
end
local journal = {}
local flat = redis.call('HGETALL', skey(id, 'journal'))
for i = 1, #flat, 2 do
  journal[#journal + 1] = flat[i]
  journal[#journal + 1] = string.match(flat[i + 1], '^%d+|(%d*)')
end
settle(id, f[2])
local pending = redis.call('ZRANGE', skey(id, 'pending'), 0, -1)
hand_out(f[2], pending)
return { 1, epoch, f[1], f[5], f[7], missed, pending, journal, delivered }
`,
);

/** ARGV: groups of sessionId, requestId, offset ('' for none). Sessions with no record are skipped. */
export const RECORD_REQUESTS = new LuaScript(
  'recordRequests',
  `${SESSION_HELPERS}
for i = 4, #ARGV, 3 do journal_add(ARGV[i], ARGV[i + 1], ARGV[i + 2]) end
`,
);

/**
 * ARGV: now, then per message: userId, frame, sender sessionId, sender epoch ('' for none),
 * requestId. Per message: {'d', offset} duplicate, {'k', offset, sessions} kept, {'l', offset}
 * live only, {'n'} nobody, {'f'} fenced (the sender's session moved on).
 */
export const APPEND_DIRECT = new LuaScript(
  'appendDirect',
  `${SESSION_HELPERS}
local now, out = tonumber(ARGV[4]), {}
for i = 5, #ARGV, 5 do
  local uid, frame, sender, sender_epoch, request = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4]
  local jkey = skey(sender, 'journal')
  local earlier = redis.call('HGET', jkey, request)
  local earlier_offset = earlier and string.match(earlier, '^%d+|(%d+)')
  if sender_epoch ~= '' and ownership(sender, sender_epoch) == 0 then
    out[#out + 1] = { 'f' }
  elseif earlier_offset then
    if not string.find(earlier, '|c$') then redis.call('HSET', jkey, request, earlier .. '|c') end
    out[#out + 1] = { 'd', earlier_offset }
  else
    -- owed: {id, pf, pb} of each resumable session
    local owed, live = {}, false
    for _, id in ipairs(redis.call('SMEMBERS', ukey(uid))) do
      local f = redis.call('HMGET', skey(id), 'member', 'secret', 'until', 'pf', 'pb')
      if not f[1] then
        redis.call('SREM', ukey(uid), id)
      elseif f[2] and tonumber(f[3]) > now and id ~= sender then
        owed[#owed + 1] = { id, tonumber(f[4]), tonumber(f[5]) }
      elseif not live then
        local score = redis.call('ZSCORE', PRESENCE, id)
        live = score and tonumber(score) >= now
      end
    end
    if #owed == 0 and not live then
      out[#out + 1] = { 'n' }
    else
      local offset = next_number(P .. 'user:' .. uid .. ':offset', 7 * 24 * 3600000)
      local member = offset .. '|' .. frame
      for _, o in ipairs(owed) do
        local id, max, maxBytes = o[1], o[2], o[3]
        local h, key = skey(id), skey(id, 'pending')
        redis.call('ZADD', key, offset, member)
        local count = redis.call('ZCARD', key)
        if count == 1 then same_ttl(id, key) end
        local bytes = redis.call('HINCRBY', h, 'pbytes', #frame)
        while count > 0 and (count > max or bytes > maxBytes) do
          local dropped = redis.call('ZPOPMIN', key)
          bytes = redis.call('HINCRBY', h, 'pbytes', -frame_len(dropped[1], 1))
          redis.call('HSET', h, 'lost', '1')
          count = count - 1
        end
      end
      journal_add(sender, request, offset)
      if #owed == 0 then out[#out + 1] = { 'l', offset } else out[#out + 1] = { 'k', offset, #owed } end
    end
  end
end
return out
`,
);

/** ARGV: userId, offset, sender sessionId, requestId. A request sent again (`|c`), or a message handed out, is left alone. */
export const VOID_DIRECT = new LuaScript(
  'voidDirect',
  `${SESSION_HELPERS}
local entry = redis.call('HGET', skey(ARGV[6], 'journal'), ARGV[7])
if entry and string.find(entry, '|c$') then return end
if redis.call('ZSCORE', P .. 'user:' .. ARGV[4] .. ':handed', ARGV[5]) then return end
for _, id in ipairs(redis.call('SMEMBERS', ukey(ARGV[4]))) do remove_pending(id, ARGV[5]) end
redis.call('HDEL', skey(ARGV[6], 'journal'), ARGV[7])
redis.call('ZREM', skey(ARGV[6], 'jorder'), ARGV[7])
`,
);

/** ARGV: groups of sessionId, epoch. Per session {1, member...} when held at that epoch, else {0} fenced or {2} missing. */
export const PENDING_FOR = new LuaScript(
  'pendingFor',
  `${SESSION_HELPERS}
local out = {}
for i = 4, #ARGV, 2 do
  local held = ownership(ARGV[i], ARGV[i + 1])
  if held == 1 then
    local reply = { 1 }
    local pending = redis.call('ZRANGE', skey(ARGV[i], 'pending'), 0, -1)
    for _, m in ipairs(pending) do reply[#reply + 1] = m end
    hand_out(redis.call('HGET', skey(ARGV[i]), 'uid'), pending)
    out[#out + 1] = reply
  else
    out[#out + 1] = { held }
  end
end
return out
`,
);
