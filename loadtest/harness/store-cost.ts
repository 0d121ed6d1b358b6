/**
 * `scripts/node24 loadtest/harness/store-cost.ts [--base <checkout>] [--messages 20000] [--rounds 3]
 *   [--batch 20]`
 *
 * What one relayed direct signal costs Redis, without nodes, sockets or a broker: the two Store
 * calls a relayed message makes (`appendDirect` on the sending node, `logDeliveries` on the
 * receiving one) issued by a `RedisStore` the way the nodes batch them (`--batch` messages per
 * call), between 50 senders and 50 recipients whose journals and logs are full, as in a long
 * call. Measures the private redis-server's CPU time (/proc) per message. With `--base`, the
 * RedisStore of another checkout runs beside this one on the same Redis (its own key prefix),
 * alternating rounds, so a Lua change is measured side by side. Loopback only, bounded.
 */
import { readFileSync, realpathSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { startRedis } from '../../test/support/redis.ts';
import type { RedisStore as RedisStoreType } from '../../src/store/redis.ts';
import type { ResumeBounds } from '../../src/store/store.ts';

const { values } = parseArgs({
  options: {
    base: { type: 'string' },
    messages: { type: 'string', default: '20000' },
    rounds: { type: 'string', default: '3' },
    batch: { type: 'string', default: '20' },
  },
});
const messages = Number(values.messages);
const rounds = Number(values.rounds);
const batchSize = Number(values.batch);
const PAIRS = 50;
const bounds: ResumeBounds = { logFrames: 256, logBytes: 256 * 1024, pendingFrames: 256, pendingBytes: 256 * 1024, journalSize: 128, detachedPerUser: 4 };
const FRAME = JSON.stringify({
  type: 'signal',
  channel: 'user:recipient',
  from: { userId: 'sender', role: 'caregiver', sessionId: '1b9d6bcd-bbfd-4b2d-9b5d-ab8dfbbd4bed' },
  ts: 1_764_000_000_000,
  callId: '12345678',
  signal: { kind: 'ice', candidate: { candidate: 'candidate:842163049 1 udp 1677729535 203.0.113.7 54321 typ srflx raddr 10.0.0.5 rport 54321 generation 0 ufrag EEtu network-id 3 network-cost 10', sdpMid: '0', sdpMLineIndex: 0 } },
});

interface Side {
  name: string;
  store: RedisStoreType;
  senders: Array<{ id: string; epoch: number }>;
  recipients: Array<{ id: string; userId: string; epoch: number; seq: number }>;
  request: number;
  usPerMessage: number[];
}

const redis = await startRedis({ name: 'store-cost' });
const admin = new Redis(redis.url);
const pid = Number(/process_id:(\d+)/.exec(await admin.info('server'))![1]);
const cpuTicks = (): number => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(rest[11]) + Number(rest[12]);
};

async function side(name: string, root: string): Promise<Side> {
  const { RedisStore } = (await import(`${root}src/store/redis.ts`)) as typeof import('../../src/store/redis.ts');
  const store = new RedisStore({ url: redis.url, prefix: `cost:${name}:` });
  await store.start();
  const now = Date.now();
  const open = async (userId: string, i: number): Promise<{ id: string; userId: string; epoch: number; seq: number }> => {
    const id = `${name}-${userId}-${i}`;
    const member = { userId: `${userId}-${i}`, role: 'patient', sessionId: id };
    const epoch = await store.openSession({ member, secret: `s-${id}`, subscriptions: [], attachedTtlMs: 3_600_000, bounds }, now);
    return { id, userId: member.userId, epoch, seq: 0 };
  };
  const senders = await Promise.all(Array.from({ length: PAIRS }, (_, i) => open('sender', i)));
  const recipients = await Promise.all(Array.from({ length: PAIRS }, (_, i) => open('recipient', i)));
  return { name, store, senders, recipients, request: 0, usPerMessage: [] };
}

/** `count` messages, sender i to recipient i round robin, in batches as a node sends them. */
async function relay(s: Side, count: number): Promise<void> {
  for (let done = 0; done < count; done += batchSize) {
    const lanes = Array.from({ length: batchSize }, (_, k) => (done + k) % PAIRS);
    const kept = await s.store.appendDirect(
      lanes.map((lane) => ({ userId: s.recipients[lane]!.userId, frame: FRAME, senderSessionId: s.senders[lane]!.id, senderEpoch: s.senders[lane]!.epoch, requestId: (++s.request).toString(36) })),
      Date.now(),
    );
    const byRecipient = new Map<number, Array<{ seq: number; frame: string; offset: number }>>();
    lanes.forEach((lane, k) => {
      const outcome = kept[k]!;
      if (outcome.kind !== 'kept') throw new Error(`unexpected ${outcome.kind}`);
      const r = s.recipients[lane]!;
      const list = byRecipient.get(lane) ?? [];
      list.push({ seq: ++r.seq, frame: `{"seq":${r.seq},${FRAME.slice(1)}`, offset: outcome.offset });
      byRecipient.set(lane, list);
    });
    const outcomes = await s.store.logDeliveries(
      [...byRecipient].map(([lane, frames]) => ({ sessionId: s.recipients[lane]!.id, epoch: s.recipients[lane]!.epoch, frames })),
    );
    if (outcomes.some((o) => o !== 'ok')) throw new Error('fenced');
  }
}

const sides: Side[] = [];
try {
  if (values.base) sides.push(await side('base', realpathSync(values.base).replace(/\/?$/, '/')));
  sides.push(await side('this', new URL('../../', import.meta.url).pathname));
  // fill every journal, log and counter to its bound first, as in a long call
  for (const s of sides) await relay(s, PAIRS * 300);
  for (let round = 0; round < rounds; round++) {
    for (const s of round % 2 === 0 ? sides : [...sides].reverse()) {
      const before = cpuTicks();
      await relay(s, messages);
      const us = ((cpuTicks() - before) * 10_000) / messages;
      s.usPerMessage.push(us);
      console.log(`${s.name} round ${round + 1}: redis ${us.toFixed(1)} µs CPU per message (appendDirect + logDeliveries, batches of ${batchSize})`);
    }
  }
  for (const s of sides) {
    const sorted = [...s.usPerMessage].sort((a, b) => a - b);
    console.log(`${s.name}: median ${sorted[Math.floor(sorted.length / 2)]!.toFixed(1)} µs of Redis CPU per relayed message`);
  }
} finally {
  for (const s of sides) await s.store.close();
  admin.disconnect();
  await redis.stop();
}
