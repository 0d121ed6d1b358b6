import { LuaScript } from './redis-scripts.ts';

/**
 * Lua scripts of `RedisSafetyStore` (contract: src/safety/safety-store.ts), on the Store's
 * ScriptRunner (ARGV[1] prefix, ARGV[2] node clock, ARGV[3] grace; their own from ARGV[4]).
 *
 * Keys, under the prefix:
 * - `safety:<patientId>:state`: hash, `v` (version) and `s` (the PatientState JSON); expires
 *   `retentionMs` after its last commit
 * - `safety:<patientId>:zones`: hash, `rev` and `body` (JSON ZoneView[]); expires with the state,
 *   or `retentionMs` after it was written when the patient has no state yet
 * - `safety:due`: zset, member = patientId, score = its due time (ms)
 * - `safety:outbox`: zset, member = item id, score = when another node may claim it (ms);
 *   `safety:outbox:items`: hash, item id -> body
 * - `safety:open`: zset, member = open alert id, score = when it opened; entries older than the
 *   retention are dropped at every commit
 */
const KEYS = `
local function statekey(pid) return P .. 'safety:' .. pid .. ':state' end
local function zoneskey(pid) return P .. 'safety:' .. pid .. ':zones' end
local DUE, OUTBOX, ITEMS, OPEN = P .. 'safety:due', P .. 'safety:outbox', P .. 'safety:outbox:items', P .. 'safety:open'
`;

function script(name: string, body: string): LuaScript {
  return new LuaScript(name, KEYS + body);
}

/** ARGV: patientId. Returns [version, state or false, zones rev or false, zones body or false]. */
export const LOAD = script(
  'safety-load',
  `
local pid = ARGV[4]
local s = redis.call('HMGET', statekey(pid), 'v', 's')
local z = redis.call('HMGET', zoneskey(pid), 'rev', 'body')
return { tonumber(s[1] or '0'), s[2], z[1], z[2] }
`,
);

/**
 * ARGV: patientId, expected version, state JSON, due ('' for none), now, lease ms, retention ms,
 * then the number of outbox items and each item's id and body, then the number of opened alert
 * ids and each, then the number of closed ids and each. Returns 1 if committed, 0 on a version
 * mismatch.
 */
export const COMMIT = script(
  'safety-commit',
  `
local pid, expected, state, due = ARGV[4], tonumber(ARGV[5]), ARGV[6], ARGV[7]
local now, lease, retention = tonumber(ARGV[8]), tonumber(ARGV[9]), tonumber(ARGV[10])
local key = statekey(pid)
local v = tonumber(redis.call('HGET', key, 'v') or '0')
if v ~= expected then return 0 end
redis.call('HSET', key, 'v', v + 1, 's', state)
local keep = int(ttl_for(now + retention))
redis.call('PEXPIRE', key, keep)
if redis.call('EXISTS', zoneskey(pid)) == 1 then redis.call('PEXPIRE', zoneskey(pid), keep) end
if due == '' then redis.call('ZREM', DUE, pid) else redis.call('ZADD', DUE, due, pid) end
local i = 11
local n = tonumber(ARGV[i])
for j = 1, n do
  redis.call('HSET', ITEMS, ARGV[i + 2 * j - 1], ARGV[i + 2 * j])
  redis.call('ZADD', OUTBOX, int(now + lease), ARGV[i + 2 * j - 1])
end
i = i + 2 * n + 1
n = tonumber(ARGV[i])
for j = 1, n do redis.call('ZADD', OPEN, int(now), ARGV[i + j]) end
i = i + n + 1
n = tonumber(ARGV[i])
for j = 1, n do redis.call('ZREM', OPEN, ARGV[i + j]) end
redis.call('ZREMRANGEBYSCORE', OPEN, '-inf', int(now - retention))
return 1
`,
);

/** ARGV: patientId, rev, body, retention ms. Keeps the copy with the higher rev. */
export const PUT_ZONES = script(
  'safety-put-zones',
  `
local pid, rev, body, retention = ARGV[4], tonumber(ARGV[5]), ARGV[6], tonumber(ARGV[7])
local key = zoneskey(pid)
local current = tonumber(redis.call('HGET', key, 'rev') or '-1')
if current >= rev then return 0 end
redis.call('HSET', key, 'rev', rev, 'body', body)
local t = redis.call('PTTL', statekey(pid))
if t < 0 then t = int(ttl_for(CLOCK + retention)) end
redis.call('PEXPIRE', key, t)
return 1
`,
);

/** ARGV: now, limit, lease ms. Returns the patient ids claimed. */
export const CLAIM_DUE = script(
  'safety-claim-due',
  `
local now, limit, lease = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local ids = redis.call('ZRANGEBYSCORE', DUE, '-inf', int(now), 'LIMIT', 0, limit)
for _, id in ipairs(ids) do redis.call('ZADD', DUE, int(now + lease), id) end
return ids
`,
);

/** ARGV: now, limit, lease ms. Returns id, body, id, body, ... of the items claimed. */
export const CLAIM_OUTBOX = script(
  'safety-claim-outbox',
  `
local now, limit, lease = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local out = {}
for _, id in ipairs(redis.call('ZRANGEBYSCORE', OUTBOX, '-inf', int(now), 'LIMIT', 0, limit)) do
  local body = redis.call('HGET', ITEMS, id)
  if body then
    redis.call('ZADD', OUTBOX, int(now + lease), id)
    out[#out + 1] = id
    out[#out + 1] = body
  else
    redis.call('ZREM', OUTBOX, id)
  end
end
return out
`,
);

/** ARGV: the ids to forget. */
export const ACK_OUTBOX = script(
  'safety-ack-outbox',
  `
for i = 4, #ARGV do
  redis.call('ZREM', OUTBOX, ARGV[i])
  redis.call('HDEL', ITEMS, ARGV[i])
end
return 1
`,
);
