import type { Redis } from 'ioredis';
import { z } from 'zod';
import { CallEndReason, CallKind, CallMedia, CallState, Sender } from '../protocol/index.ts';
import { type SentinelSettings, sideStoreConnection } from '../store/redis-connection.ts';
import { ScriptRunner, arrayReply, stringReply } from '../store/redis-scripts.ts';
import { StoreError } from '../store/store.ts';
import { newRecord } from './call-rules.ts';
import type { CallRecord, CallStore, Change, Created, NewCall, Transition } from './call-store.ts';
import { CREATE, DUE_CALLS, MARK_WOKEN, RINGING_FOR, TRANSITION } from './redis-call-scripts.ts';

export interface RedisCallStoreOptions {
  /** as RedisStoreOptions.url: every node of a cluster must use the same Redis */
  url: string;
  sentinel?: SentinelSettings;
  /** the store's key prefix (REDIS_PREFIX); call keys are `<prefix>call:...` */
  prefix?: string;
  /** ms a command may wait for its reply; default 3 000 (as the session Store: a storm can starve Redis for a second) */
  commandTimeoutMs?: number;
}

/** ms a call's keys outlive what the caller's clock says, a bound against clock skew between nodes */
const GRACE_MS = 10 * 60_000;

/**
 * Calls in Redis (scripts and key layout: redis-call-scripts.ts), on a connection of its own.
 * Never queues: while disconnected every call rejects at once with StoreError; ioredis
 * reconnects by itself. Every record read back is validated.
 */
export class RedisCallStore implements CallStore {
  private readonly client: Redis;
  private readonly scripts: ScriptRunner;

  constructor(options: RedisCallStoreOptions) {
    const timeout = options.commandTimeoutMs ?? 3_000;
    this.client = sideStoreConnection(options.url, options.sentinel, timeout);
    this.scripts = new ScriptRunner(this.client, options.prefix ?? 'tether:', GRACE_MS);
  }

  /** Resolves once the first connection attempt settled, whether or not it worked (it keeps trying). */
  async start(): Promise<void> {
    await this.client.connect().catch(() => {});
  }

  async close(): Promise<void> {
    this.client.disconnect();
  }

  async create(call: NewCall, now: number): Promise<Created> {
    const record = encodeRecord(newRecord(call, now));
    const reply = await this.run('create', () => this.scripts.call(CREATE, [now, record, call.callees.join(',')]));
    return CreatedReply.parse(JSON.parse(stringReply(reply))) as Created;
  }

  accept(callId: string, by: Sender, now: number): Promise<Transition> {
    return this.transition('accept', callId, now, JSON.stringify(by));
  }

  reject(callId: string, userId: string, now: number): Promise<Transition> {
    return this.transition('reject', callId, now, userId);
  }

  cancel(callId: string, userId: string, now: number): Promise<Transition> {
    return this.transition('cancel', callId, now, userId);
  }

  hangup(callId: string, userId: string, now: number): Promise<Transition> {
    return this.transition('hangup', callId, now, userId);
  }

  async markWoken(callId: string, callee: string): Promise<void> {
    await this.run('markWoken', () => this.scripts.call(MARK_WOKEN, [callId, callee]));
  }

  async due(now: number, limit: number): Promise<Change[]> {
    const reply = await this.run('due', () => this.scripts.call(DUE_CALLS, [now, limit]));
    return arrayReply(reply).map((item) => ChangeReply.parse(JSON.parse(stringReply(item))) as Change);
  }

  async ringingFor(userId: string, now: number): Promise<CallRecord[]> {
    const reply = await this.run('ringingFor', () => this.scripts.call(RINGING_FOR, [userId, now]));
    return arrayReply(reply).map((item) => Record.parse(JSON.parse(stringReply(item))));
  }

  async get(callId: string): Promise<CallRecord | null> {
    const raw = await this.run('get', () => this.client.get(`${this.scripts.prefix}call:${callId}`));
    return raw === null ? null : Record.parse(JSON.parse(raw));
  }

  private async transition(op: string, callId: string, now: number, actor: string): Promise<Transition> {
    const reply = await this.run(op, () => this.scripts.call(TRANSITION, [op, callId, now, actor]));
    return TransitionReply.parse(JSON.parse(stringReply(reply))) as Transition;
  }

  private async run<T>(op: string, command: () => Promise<T>): Promise<T> {
    if (this.client.status !== 'ready') throw new StoreError(`${op}: call store is ${this.client.status}`);
    try {
      return await command();
    } catch (error) {
      throw new StoreError(`${op} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
  }
}

/** Lua's cjson writes an empty table as `{}`; JSON null as null. */
const Record = z
  .object({
    callId: z.string(),
    kind: CallKind,
    media: CallMedia,
    caller: Sender,
    callee: z.string(),
    next: z.string(),
    state: CallState,
    createdAt: z.number(),
    ringStartedAt: z.number(),
    ringUntil: z.number(),
    stepMs: z.number(),
    maxMs: z.number(),
    keepMs: z.number(),
    answeredBy: Sender.nullable(),
    answeredAt: z.number().nullable(),
    endedAt: z.number().nullable(),
    reason: CallEndReason.nullable(),
    woken: z.boolean(),
    alertId: z.string().nullable(),
  })
  .transform((r): CallRecord => ({ ...r, next: r.next === '' ? [] : r.next.split(',') }));

function encodeRecord(call: CallRecord): string {
  return JSON.stringify({ ...call, next: call.next.join(',') });
}

const Left = z.object({ callee: z.string(), ringStartedAt: z.number(), woken: z.boolean(), reason: z.enum(['missed', 'declined']) });
const ChangeReply = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('accepted'), call: Record }),
  z.object({ kind: z.literal('ended'), call: Record }),
  z.object({ kind: z.literal('escalated'), call: Record, left: Left }),
]);
const TransitionReply = z.union([
  ChangeReply,
  z.object({ kind: z.literal('not_found') }),
  z.object({ kind: z.literal('forbidden') }),
  z.object({ kind: z.literal('already_ended'), call: Record }),
  z.object({ kind: z.literal('already_answered'), call: Record }),
]);
const CreatedReply = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('created'), call: Record }),
  z.object({ kind: z.literal('exists'), call: Record }),
  z.object({ kind: z.literal('taken') }),
  z.object({ kind: z.literal('glare'), call: Record }),
]);
