import { createHash } from 'node:crypto';
import { decodeFrame, decodeMember, decodeStrings, encodeRecord } from './redis-records.ts';
import { LuaScript, type ScriptRunner, arrayReply, stringReply } from './redis-scripts.ts';
import type { ResumeRecord, ResumeRequest, ResumedSession, SessionFrames } from './store.ts';

const LOG_CALL_FRAMES = 1000;

/**
 * Resume log of `RedisStore`: the record lives in the session hash (epoch, secret digest,
 * subscriptions, attached, until, ttl, maxFrames) beside the `log` and `parked` lists.
 *
 * Fencing: a write names the epoch it was given and is applied only if the hash still holds that
 * epoch and a record (secret).
 *
 * `until` (caller's clock) decides: the record is resumable and parkable while `now < until`.
 * openSession sets it to the node's clock + attachedTtlMs, detachSession to `resumableUntil`, and
 * resume to `now + attachedTtlMs` (attached again, the record lives as long as an attached one).
 * Key TTLs only bound what is left behind (`settle`: `sessionGraceMs` after the later of `until`
 * and the presence deadline, so a short `resumableUntil` never cuts short a session still listed
 * as live, whose member and rooms claimLapsed needs).
 */

/** true if the session holds a record at epoch ARGV[5] */
const OWNED = `
local function owned(id)
  local f = redis.call('HMGET', skey(id), 'epoch', 'secret')
  return f[2] and f[1] == ARGV[5]
end
`;

/** ARGV: sessionId, userId, member JSON, secret digest, subscriptions JSON, attachedTtlMs, maxFrames */
const OPEN = new LuaScript(
  'openSession',
  `
local id = ARGV[4]
local h = skey(id)
local epoch = redis.call('INCR', P .. 'epoch')
if redis.call('HSETNX', h, 'member', ARGV[6]) == 1 then redis.call('HSET', h, 'uid', ARGV[5]) end
local uid = redis.call('HGET', h, 'uid')
redis.call('SADD', ukey(uid), id)
redis.call('HSET', h, 'epoch', epoch, 'secret', ARGV[7], 'subs', ARGV[8], 'attached', '1',
  'until', int(CLOCK + tonumber(ARGV[9])), 'ttl', ARGV[9], 'maxFrames', ARGV[10])
redis.call('DEL', skey(id, 'log'), skey(id, 'parked'))
settle(id, uid)
return epoch
`,
);

/** ARGV: sessionId, epoch, subscriptions JSON */
const SAVE_SUBSCRIPTIONS = new LuaScript(
  'saveSubscriptions',
  `${OWNED}
if owned(ARGV[4]) then redis.call('HSET', skey(ARGV[4]), 'subs', ARGV[6]) end
`,
);

/**
 * ARGV: groups of sessionId, epoch, n, then n JSON {seq, frame}. Per session: skipped unless it
 * holds a record at that epoch; appended, trimmed to its maxFrames, and a new list gets the
 * session hash's TTL (an existing one is retimed with the hash by `retime`).
 */
const LOG = new LuaScript(
  'logDeliveries',
  `
local function append(id, epoch, first, last)
  local f = redis.call('HMGET', skey(id), 'epoch', 'secret', 'maxFrames')
  if not f[2] or f[1] ~= epoch then return end
  local key, max = skey(id, 'log'), tonumber(f[3])
  if max <= 0 then
    redis.call('DEL', key)
    return
  end
  local len = 0
  for j = first, last, 1000 do len = redis.call('RPUSH', key, unpack(ARGV, j, math.min(j + 999, last))) end
  if len > max then redis.call('LTRIM', key, -max, -1) end
  if len <= last - first + 1 then
    local t = redis.call('PTTL', skey(id))
    if t > 0 then redis.call('PEXPIRE', key, t) end
  end
end
local i = 4
while i <= #ARGV do
  local n = tonumber(ARGV[i + 2])
  append(ARGV[i], ARGV[i + 1], i + 3, i + 2 + n)
  i = i + 3 + n
end
`,
);

/** ARGV: sessionId, epoch, resumableUntil ('' = forget now) */
const DETACH = new LuaScript(
  'detachSession',
  `
local id = ARGV[4]
local h = skey(id)
local f = redis.call('HMGET', h, 'member', 'uid', 'epoch', 'secret')
if not f[1] or (f[3] or '0') ~= ARGV[5] then return 0 end
if ARGV[6] ~= '' then
  if not f[4] then return 0 end
  redis.call('HSET', h, 'attached', '0', 'until', ARGV[6])
elseif redis.call('ZSCORE', PRESENCE, id) then
  redis.call('HDEL', h, 'secret', 'subs', 'attached', 'until', 'ttl', 'maxFrames')
  redis.call('DEL', skey(id, 'log'), skey(id, 'parked'))
else
  forget(id, f[2])
  return 1
end
settle(id, f[2])
return 1
`,
);

/** ARGV: userId, frame, now. Returns [parked, attached]: counts of the user's resumable sessions. */
const PARK = new LuaScript(
  'park',
  `
local uk, now = ukey(ARGV[4]), tonumber(ARGV[6])
local parked, attached = 0, 0
for _, id in ipairs(redis.call('SMEMBERS', uk)) do
  local f = redis.call('HMGET', skey(id), 'member', 'secret', 'until', 'attached', 'maxFrames')
  if not f[1] then
    redis.call('SREM', uk, id)
  elseif f[2] and tonumber(f[3]) > now then
    if f[4] == '1' then
      attached = attached + 1
    else
      push_bounded(id, skey(id, 'parked'), { ARGV[5] }, tonumber(f[5]))
      parked = parked + 1
    end
  end
end
return { parked, attached }
`,
);

/**
 * ARGV: sessionId, secret digest, userId, lastSeq, now. nil when not resumable; else
 * [epoch, member, subs, firstSeq ('' if the log is empty), lastLoggedSeq, missed[], parked[]].
 * Log entries are JSON written by JSON.stringify({seq, frame}), so seq is read off their head.
 */
const RESUME = new LuaScript(
  'resume',
  `
local id, now = ARGV[4], tonumber(ARGV[8])
local h = skey(id)
local f = redis.call('HMGET', h, 'member', 'uid', 'secret', 'until', 'subs', 'ttl')
if not f[1] or not f[3] or f[3] ~= ARGV[5] or f[2] ~= ARGV[6] or tonumber(f[4]) <= now then return false end
local epoch = redis.call('INCR', P .. 'epoch')
redis.call('HSET', h, 'epoch', epoch, 'attached', '1', 'until', int(now + tonumber(f[6])))
local lastSeq = tonumber(ARGV[7])
local first, last, missed = '', '0', {}
for i, entry in ipairs(redis.call('LRANGE', skey(id, 'log'), 0, -1)) do
  local seq = string.match(entry, '^{"seq":([^,]+),')
  if i == 1 then first = seq end
  last = seq
  if tonumber(seq) > lastSeq then missed[#missed + 1] = entry end
end
local parked = redis.call('LRANGE', skey(id, 'parked'), 0, -1)
redis.call('DEL', skey(id, 'parked'))
settle(id, f[2])
return { epoch, f[1], f[5], first, last, missed, parked }
`,
);

export class RedisResumeLog {
  private readonly scripts: ScriptRunner;

  constructor(scripts: ScriptRunner) {
    this.scripts = scripts;
  }

  async openSession(record: ResumeRecord): Promise<number> {
    const { member } = record;
    const args = [
      member.sessionId,
      member.userId,
      encodeRecord(member),
      digest(record.secret),
      JSON.stringify(record.subscriptions),
      Math.max(1, Math.floor(record.attachedTtlMs)),
      record.maxFrames,
    ];
    return epochReply(await this.scripts.call(OPEN, args));
  }

  async saveSubscriptions(sessionId: string, epoch: number, subscriptions: readonly string[]): Promise<void> {
    await this.scripts.call(SAVE_SUBSCRIPTIONS, [sessionId, epoch, JSON.stringify(subscriptions)]);
  }

  /** One script call per `LOG_CALL_FRAMES` frames, so no single call holds Redis for long. */
  async logDeliveries(batch: readonly SessionFrames[]): Promise<void> {
    const calls: Promise<unknown>[] = [];
    let args: Array<string | number> = [];
    let frames = 0;
    for (const { sessionId, epoch, frames: logged } of batch) {
      if (logged.length === 0) continue;
      args.push(sessionId, epoch, logged.length);
      // `{seq, frame}` in this order: RESUME reads seq off the head of the JSON text
      for (const { seq, frame } of logged) args.push(encodeRecord({ seq, frame }));
      frames += logged.length;
      if (frames >= LOG_CALL_FRAMES) {
        calls.push(this.scripts.call(LOG, args));
        args = [];
        frames = 0;
      }
    }
    if (args.length > 0) calls.push(this.scripts.call(LOG, args));
    await Promise.all(calls);
  }

  async detachSession(sessionId: string, epoch: number, resumableUntil: number | null): Promise<void> {
    await this.scripts.call(DETACH, [sessionId, epoch, resumableUntil ?? '']);
  }

  async park(userId: string, frame: string, now: number): Promise<{ parked: number; attached: number }> {
    const [parked, attached] = arrayReply(await this.scripts.call(PARK, [userId, frame, now]));
    if (typeof parked !== 'number' || typeof attached !== 'number') throw new Error('unexpected park reply');
    return { parked, attached };
  }

  async resume(request: ResumeRequest, now: number): Promise<ResumedSession | null> {
    const { sessionId, secret, userId, lastSeq } = request;
    const reply = await this.scripts.call(RESUME, [sessionId, digest(secret), userId, lastSeq, now]);
    if (reply === null) return null;
    const [epoch, member, subs, first, last, missed, parked] = arrayReply(reply);
    const decoded = decodeMember(stringReply(member));
    if (!decoded.ok) throw new Error(`unreadable member of session ${sessionId}`, { cause: decoded.error });
    const lastLoggedSeq = Number(stringReply(last));
    const firstSeq = stringReply(first) === '' ? lastLoggedSeq + 1 : Number(first);
    return {
      epoch: epochReply(epoch),
      member: decoded.member,
      subscriptions: decodeStrings(stringReply(subs)),
      missed: arrayReply(missed).map((raw) => decodeFrame(stringReply(raw))),
      lastLoggedSeq,
      parked: arrayReply(parked).map(stringReply),
      complete: lastSeq >= firstSeq - 1,
    };
  }
}

/** The secret is kept as its SHA-256: Redis never holds what a client presents to resume. */
function digest(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

function epochReply(reply: unknown): number {
  if (typeof reply !== 'number') throw new Error(`unexpected epoch reply ${String(reply)}`);
  return reply;
}
