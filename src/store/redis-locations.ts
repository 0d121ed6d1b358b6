import type { Redis } from 'ioredis';
import { decodeFix, encodeRecord, redisKeys } from './redis-records.ts';
import { LuaScript, type ScriptRunner, arrayReply, stringReply } from './redis-scripts.ts';
import type { PositionFix } from './store.ts';

/**
 * Last position and trail of `RedisStore`.
 *
 * The trail is a stream trimmed cheaply (`MAXLEN ~`, `MINID ~`), so it may hold a little more
 * than its bounds; reads apply them exactly, as the memory store does: at most the newest
 * `trailMaxEntries` entries, none older than `trailWindowMs` before the newest one.
 *
 * Stream ids are `<ts>-<n>` (the fix's server time, Redis numbering fixes of the same ms). Ids
 * must grow, so a fix stamped earlier than the previous entry (clock skew between nodes) takes
 * the previous entry's ms: entries stay in arrival order, and as an id's ms is never below its
 * fix's `ts`, a range read from `since` sees every fix with `ts >= since`; the `ts` field then
 * filters out the few raised ones.
 */

/** ARGV: patientId, fix JSON, ts, positionTtlMs, trailMaxEntries, trailWindowMs */
const RECORD = new LuaScript(
  'recordPosition',
  `
local last, trail = P .. 'loc:' .. ARGV[4] .. ':last', P .. 'loc:' .. ARGV[4] .. ':trail'
local window = tonumber(ARGV[9])
redis.call('SET', last, ARGV[5], 'PX', ARGV[7])
local ms = math.max(math.floor(tonumber(ARGV[6])), 0)
local top = redis.call('XREVRANGE', trail, '+', '-', 'COUNT', 1)[1]
if top then ms = math.max(ms, tonumber(string.match(top[1], '^(%d+)'))) end
redis.call('XADD', trail, 'MAXLEN', '~', ARGV[8], int(ms) .. '-*', 'ts', ARGV[6], 'fix', ARGV[5])
if ms - window > 0 then redis.call('XTRIM', trail, 'MINID', '~', int(ms - window)) end
redis.call('PEXPIRE', trail, ARGV[9])
`,
);

/** ARGV: patientId, since, limit, trailMaxEntries, trailWindowMs. Fix JSON, oldest first. */
const TRAIL = new LuaScript(
  'trail',
  `
local trail = P .. 'loc:' .. ARGV[4] .. ':trail'
local since, limit, max, window = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8])
local top = redis.call('XREVRANGE', trail, '+', '-', 'COUNT', 1)[1]
if not top or limit <= 0 then return {} end
local floor = math.max(since, tonumber(string.match(top[1], '^(%d+)')) - window)
local lo = int(math.max(math.ceil(floor), 0))
local newest, hi, scanned = {}, '+', 0
while #newest < limit and scanned < max do
  local count = math.min(limit - #newest, max - scanned)
  local page = redis.call('XREVRANGE', trail, hi, lo, 'COUNT', count)
  for _, entry in ipairs(page) do
    -- fields as XADD wrote them: ts, <ts>, fix, <json>
    if tonumber(entry[2][2]) >= floor then newest[#newest + 1] = entry[2][4] end
    hi = '(' .. entry[1]
  end
  scanned = scanned + #page
  if #page < count then break end
end
local out = {}
for i = #newest, 1, -1 do out[#out + 1] = newest[i] end
return out
`,
);

interface TrailBounds {
  positionTtlMs: number;
  trailMaxEntries: number;
  trailWindowMs: number;
}

export class RedisLocations {
  private readonly client: Redis;
  private readonly scripts: ScriptRunner;
  private readonly bounds: TrailBounds;

  constructor(client: Redis, scripts: ScriptRunner, bounds: TrailBounds) {
    this.client = client;
    this.scripts = scripts;
    this.bounds = bounds;
  }

  async recordPosition(patientId: string, fix: PositionFix): Promise<void> {
    const { positionTtlMs, trailMaxEntries, trailWindowMs } = this.bounds;
    const args = [patientId, encodeRecord(fix), fix.ts, positionTtlMs, trailMaxEntries, trailWindowMs];
    await this.scripts.call(RECORD, args);
  }

  async lastPosition(patientId: string): Promise<PositionFix | null> {
    const raw = await this.client.get(redisKeys.lastPosition(this.scripts.prefix, patientId));
    return raw === null ? null : decodeFix(raw);
  }

  async trail(patientId: string, since: number, limit: number): Promise<PositionFix[]> {
    const { trailMaxEntries, trailWindowMs } = this.bounds;
    const reply = await this.scripts.call(TRAIL, [patientId, since, limit, trailMaxEntries, trailWindowMs]);
    return arrayReply(reply).map((raw) => decodeFix(stringReply(raw)));
  }
}
