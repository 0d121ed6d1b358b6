import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Member } from '../protocol/index.ts';
import { decodeFix, decodeMember, encodeRecord, redisKeys } from './redis-records.ts';
import { type PositionFix, type Store, StoreError, type StoreState } from './store.ts';

export interface RedisStoreOptions {
  /** `redis://[user:pass@]host:port[/db]` or `rediss://...` */
  url: string;
  /** namespace of every key; default `tether:`. Clusters sharing one Redis need distinct prefixes. */
  prefix?: string;
  logger?: Pick<Logger, 'info' | 'warn'>;
  /** ms a room's roster lives after its latest join (a bound on rosters left by crashed nodes); default 24 h */
  roomTtlMs?: number;
  /** ms a patient's last position lives after its latest write; default 7 days */
  positionTtlMs?: number;
  /** ms a command may wait for its reply before it fails and the connection is recycled; default 1000 */
  commandTimeoutMs?: number;
  /** ms allowed to open a connection; default 2000 */
  connectTimeoutMs?: number;
  /** ms before the first reconnect attempt; doubles per attempt up to `reconnectMaxMs`; default 100 */
  reconnectMinMs?: number;
  /** ms cap on the reconnect delay; default 2000 */
  reconnectMaxMs?: number;
}

const HOUR_MS = 3_600_000;

/**
 * Store in Redis, shared by every node (key layout: `redis-records.ts`).
 *
 * - `start()` resolves once the first connection attempt settles, whether or not it succeeded:
 *   a node boots while Redis is down, with state `down`, and the store connects by itself later.
 * - Never queues: while not `up` every call rejects at once with `StoreError`; a call in flight
 *   when the connection drops rejects at once; one with no reply rejects after `commandTimeoutMs`
 *   and the connection is recycled. Failed calls are not retried or resent.
 * - Reconnects forever with capped, jittered exponential backoff; `up` on every ready
 *   connection, `down` on every loss. `close()` stops all of it.
 * - `joinRoom` is one MULTI (add, refresh expiry, read), so the roster it returns is atomic
 *   with the join.
 */
export class RedisStore implements Store {
  state: StoreState = 'connecting';
  private readonly client: Redis;
  private readonly prefix: string;
  private readonly roomTtlMs: number;
  private readonly positionTtlMs: number;
  private readonly logger: Pick<Logger, 'info' | 'warn'> | undefined;
  private readonly listeners: Array<(state: StoreState) => void> = [];
  private readonly reconnectMinMs: number;
  private readonly reconnectMaxMs: number;
  private reconnectTimer: NodeJS.Timeout | undefined;
  /** failed connection attempts since the last ready connection */
  private attempts = 0;
  private lastError: unknown = null;
  private started = false;

  constructor(options: RedisStoreOptions) {
    this.prefix = options.prefix ?? 'tether:';
    this.roomTtlMs = options.roomTtlMs ?? 24 * HOUR_MS;
    this.positionTtlMs = options.positionTtlMs ?? 7 * 24 * HOUR_MS;
    this.logger = options.logger;
    const commandTimeout = options.commandTimeoutMs ?? 1000;
    this.client = new Redis(options.url, {
      lazyConnect: true,
      enableOfflineQueue: false,
      autoResendUnfulfilledCommands: false,
      commandTimeout,
      // a socket with a command pending and no byte back for this long is dead: drop it
      socketTimeout: commandTimeout,
      connectTimeout: options.connectTimeoutMs ?? 2000,
      // no ioredis reconnects: every lost connection ends, and `scheduleReconnect` opens the
      // next one, on a timer that close() can cancel
      retryStrategy: () => null,
    });
    this.reconnectMinMs = options.reconnectMinMs ?? 100;
    this.reconnectMaxMs = options.reconnectMaxMs ?? 2000;
    this.client.on('ready', () => {
      this.attempts = 0;
      this.setState('up');
    });
    this.client.on('close', () => this.setState('down'));
    this.client.on('end', () => {
      this.setState('down');
      this.scheduleReconnect();
    });
    this.client.on('error', (error: unknown) => {
      this.lastError = error;
      // errors on a ready connection that stays open (rare) do not make the store unusable
      if (this.client.status !== 'ready') this.setState('down');
    });
  }

  async start(): Promise<void> {
    if (this.started || this.state === 'closed') return;
    this.started = true;
    await this.connect();
    if (this.state === 'connecting') this.setState(this.client.status === 'ready' ? 'up' : 'down');
  }

  async joinRoom(room: string, member: Member): Promise<Member[]> {
    const key = redisKeys.roomMembers(this.prefix, room);
    return this.run('joinRoom', async () => {
      const replies = await this.client
        .multi()
        .hset(key, member.sessionId, encodeRecord(member))
        .pexpire(key, this.roomTtlMs)
        .hgetall(key)
        .exec();
      return this.decodeRoster(room, execReplies(replies).at(-1));
    });
  }

  async leaveRoom(room: string, sessionId: string): Promise<void> {
    // Redis deletes the hash with its last field
    await this.run('leaveRoom', () => this.client.hdel(redisKeys.roomMembers(this.prefix, room), sessionId));
  }

  async roomMembers(room: string): Promise<Member[]> {
    return this.run('roomMembers', async () =>
      this.decodeRoster(room, await this.client.hgetall(redisKeys.roomMembers(this.prefix, room))),
    );
  }

  async setLastPosition(patientId: string, fix: PositionFix): Promise<void> {
    const key = redisKeys.lastPosition(this.prefix, patientId);
    await this.run('setLastPosition', () => this.client.set(key, encodeRecord(fix), 'PX', this.positionTtlMs));
  }

  async lastPosition(patientId: string): Promise<PositionFix | null> {
    return this.run('lastPosition', async () => {
      const raw = await this.client.get(redisKeys.lastPosition(this.prefix, patientId));
      return raw === null ? null : decodeFix(raw);
    });
  }

  onState(listener: (state: StoreState) => void): void {
    this.listeners.push(listener);
  }

  /** Drops the connection (in-flight calls reject) and cancels any reconnect; idempotent. */
  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.setState('closed');
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    const status = this.client.status;
    // `wait`: never connected; `end`: no socket left
    if (status === 'wait' || status === 'end') return;
    const ended = this.ended();
    this.client.disconnect();
    await ended;
  }

  /** One connection attempt; its outcome arrives as `ready` or `end`. */
  private async connect(): Promise<void> {
    try {
      await this.client.connect();
    } catch {
      // reported through the client's events
    }
  }

  private scheduleReconnect(): void {
    if (this.state === 'closed' || this.reconnectTimer) return;
    const delay = reconnectDelay(++this.attempts, this.reconnectMinMs, this.reconnectMaxMs);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      void this.connect();
    }, delay);
  }

  private async run<T>(op: string, command: () => Promise<T>): Promise<T> {
    if (this.state !== 'up') throw new StoreError(`${op}: redis store is ${this.state}`, { cause: this.lastError });
    try {
      return await command();
    } catch (error) {
      throw new StoreError(`${op} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
  }

  /** Roster from an HGETALL reply; an unreadable entry is logged and left out, not fatal to the room. */
  private decodeRoster(room: string, reply: unknown): Member[] {
    if (reply === null || typeof reply !== 'object') throw new Error(`unexpected HGETALL reply ${String(reply)}`);
    const members: Member[] = [];
    for (const [sessionId, raw] of Object.entries(reply)) {
      const decoded = decodeMember(String(raw));
      if (decoded.ok) members.push(decoded.member);
      else this.logger?.warn({ room, sessionId, err: decoded.error }, 'unreadable roster entry skipped');
    }
    return members;
  }

  /** Resolves on the client's `end` event, or after 1 s if the socket never reports it. */
  private ended(): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, 1000);
      this.client.once('end', done);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
    });
  }

  private setState(state: StoreState): void {
    if (this.state === state || this.state === 'closed') return;
    this.state = state;
    if (state === 'up') this.logger?.info({ store: 'redis' }, 'store up');
    if (state === 'down') this.logger?.warn({ store: 'redis', err: this.lastError }, 'store down');
    for (const listener of this.listeners) listener(state);
  }
}

/**
 * ms before reconnect attempt `attempt` (1-based): doubling from `minMs`, capped at `maxMs`, the
 * upper half jittered so nodes that lost Redis together do not return in lockstep.
 */
export function reconnectDelay(attempt: number, minMs: number, maxMs: number): number {
  const ceiling = Math.min(maxMs, minMs * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
}

/** Results of a MULTI; throws if it was aborted or any command in it failed. */
function execReplies(replies: Array<[error: Error | null, result: unknown]> | null): unknown[] {
  if (replies === null) throw new Error('transaction aborted');
  return replies.map(([error, result]) => {
    if (error) throw error;
    return result;
  });
}
