import type { Redis } from 'ioredis';
import { type OutboxItem, SAFETY_RETENTION_MS, type SafetyCommit, type SafetyStore, type StoredPatient, type StoredZones } from '../safety/safety-store.ts';
import { ACK_OUTBOX, CLAIM_DUE, CLAIM_OUTBOX, COMMIT, LOAD, PUT_ZONES } from './redis-safety-scripts.ts';
import { type SentinelSettings, sideStoreConnection } from './redis-connection.ts';
import { ScriptRunner, arrayReply } from './redis-scripts.ts';
import { StoreError } from './store.ts';

export interface RedisSafetyStoreOptions {
  /** as RedisStoreOptions.url: every node of a cluster must use the same Redis */
  url: string;
  sentinel?: SentinelSettings;
  /** the store's key prefix (REDIS_PREFIX); safety keys are `<prefix>safety:...` */
  prefix?: string;
  /** ms a command may wait for its reply; default 3 000 (as the session Store: a storm can starve Redis for a second) */
  commandTimeoutMs?: number;
  /** ms a patient's document is kept after its last change; default 30 days */
  retentionMs?: number;
}

/** ms keys outlive what the caller's clock says, a bound against clock skew between nodes */
const GRACE_MS = 10 * 60_000;

/**
 * The safety store in Redis (scripts and key layout: redis-safety-scripts.ts), on a connection
 * of its own. Never queues: while disconnected every call rejects at once with StoreError;
 * ioredis reconnects by itself.
 */
export class RedisSafetyStore implements SafetyStore {
  private readonly client: Redis;
  private readonly scripts: ScriptRunner;
  private readonly retentionMs: number;

  constructor(options: RedisSafetyStoreOptions) {
    const timeout = options.commandTimeoutMs ?? 3_000;
    this.retentionMs = options.retentionMs ?? SAFETY_RETENTION_MS;
    this.client = sideStoreConnection(options.url, options.sentinel, timeout, true);
    this.scripts = new ScriptRunner(this.client, options.prefix ?? 'tether:', GRACE_MS);
  }

  /** Resolves once the first connection attempt settled, whether or not it worked (it keeps trying). */
  async start(): Promise<void> {
    await this.client.connect().catch(() => {});
  }

  async close(): Promise<void> {
    this.client.disconnect();
  }

  async load(patientId: string): Promise<StoredPatient> {
    const [version, state, rev, body] = arrayReply(await this.run('load', () => this.scripts.call(LOAD, [patientId])));
    return {
      version: Number(version),
      state: typeof state === 'string' ? state : null,
      zones: typeof rev === 'string' && typeof body === 'string' ? { rev: Number(rev), body } : null,
    };
  }

  async commit(patientId: string, c: SafetyCommit): Promise<boolean> {
    const args = [
      patientId,
      c.expected,
      c.state,
      c.due === null ? '' : Math.floor(c.due),
      c.now,
      c.leaseMs,
      this.retentionMs,
      c.outbox.length,
      ...c.outbox.flatMap((item) => [item.id, item.body]),
      c.opened.length,
      ...c.opened,
      c.closed.length,
      ...c.closed,
    ];
    return (await this.run('commit', () => this.scripts.call(COMMIT, args))) === 1;
  }

  async putZones(patientId: string, zones: StoredZones): Promise<void> {
    await this.run('putZones', () => this.scripts.call(PUT_ZONES, [patientId, zones.rev, zones.body, this.retentionMs]));
  }

  async claimDue(now: number, limit: number, leaseMs: number): Promise<string[]> {
    const reply = arrayReply(await this.run('claimDue', () => this.scripts.call(CLAIM_DUE, [now, limit, leaseMs])));
    return reply.map(String);
  }

  async claimOutbox(now: number, limit: number, leaseMs: number): Promise<OutboxItem[]> {
    const reply = arrayReply(await this.run('claimOutbox', () => this.scripts.call(CLAIM_OUTBOX, [now, limit, leaseMs])));
    const items: OutboxItem[] = [];
    for (let i = 0; i + 1 < reply.length; i += 2) items.push({ id: String(reply[i]), body: String(reply[i + 1]) });
    return items;
  }

  async ackOutbox(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.run('ackOutbox', () => this.scripts.call(ACK_OUTBOX, ids));
  }

  async openAlerts(): Promise<number> {
    return this.run('openAlerts', () => this.client.zcard(`${this.scripts.prefix}safety:open`));
  }

  private async run<T>(op: string, command: () => Promise<T>): Promise<T> {
    if (this.client.status !== 'ready') throw new StoreError(`${op}: safety store is ${this.client.status}`);
    try {
      return await command();
    } catch (error) {
      throw new StoreError(`${op} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
  }
}
