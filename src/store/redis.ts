import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Member } from '../protocol/index.ts';
import { RedisLocations } from './redis-locations.ts';
import { RedisPresence } from './redis-presence.ts';
import { RedisSessions } from './redis-sessions.ts';
import { ScriptRunner } from './redis-scripts.ts';
import type {
  DirectMessage,
  DirectOutcome,
  HeldSession,
  JournalRecord,
  LapsedSession,
  LiveSession,
  LogOutcome,
  PendingFrame,
  PositionFix,
  Reregistered,
  Reregistration,
  ResumeRequest,
  SessionEnd,
  SessionFrames,
  SessionRecord,
  Store,
  StoreState,
  TakeOver,
} from './store.ts';
import { StoreError } from './store.ts';
import { ReplyWatchdog } from './reply-watchdog.ts';
import { type SentinelSettings, sentinelOptions } from './redis-connection.ts';

export interface RedisStoreOptions {
  /** `redis://[user:pass@]host:port[/db]` or `rediss://...`; with `sentinel`, its host and port are not used */
  url: string;
  /**
   * Find the primary through Redis Sentinel: every (re)connect asks the Sentinels for the current
   * primary of `master` and checks its role, so after a failover the store follows the new one.
   */
  sentinel?: SentinelSettings;
  /** namespace of every key; default `tether:`. Clusters sharing one Redis need distinct prefixes. */
  prefix?: string;
  logger?: Pick<Logger, 'info' | 'warn'>;
  /** ms a room's roster lives after its latest join (a bound on rosters left by crashed nodes); default 24 h */
  roomTtlMs?: number;
  /** ms a patient's last position lives after its latest write; default 7 days */
  positionTtlMs?: number;
  /** trail entries kept per patient; default 1 000 (as `MemoryStoreOptions`) */
  trailMaxEntries?: number;
  /** ms a trail entry is kept, counted back from the newest; default 24 h (as `MemoryStoreOptions`) */
  trailWindowMs?: number;
  /**
   * ms a session's keys outlive the later of its presence deadline and its resume record, so a
   * lapsed session can still be claimed (and cleaned from rosters) after every node was away
   * this long; default 15 min
   */
  sessionGraceMs?: number;
  /** ms without any reply while a command waits before the connection is recycled (ReplyWatchdog); default 3000: a storm on two shared cores can starve Redis (or the reading of its replies) for over a second */
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
 * Store in Redis, shared by every node. Key layout and TTLs: `redis-records.ts`; atomic
 * operations are Lua scripts (`redis-scripts.ts`, `redis-presence.ts`, `redis-resume.ts`,
 * `redis-locations.ts`), each one round trip.
 *
 * - `start()` resolves once the first connection attempt settles, whether or not it succeeded:
 *   a node boots while Redis is down, with state `down`, and the store connects by itself later.
 * - Never queues: while not `up` every call rejects at once with `StoreError`; a call in flight
 *   when the connection drops rejects at once; when a command has waited `commandTimeoutMs` and
 *   nothing at all came back meanwhile, the connection is recycled and every call in flight
 *   rejects (reply-watchdog.ts: a node too busy to read its replies is not mistaken for a dead
 *   Redis). Failed calls are not retried or resent.
 * - Reconnects forever with capped, jittered exponential backoff; `up` on every ready
 *   connection, `down` on every loss. `close()` stops all of it.
 * - `touchSessions`, `logDeliveries`, `appendDirect` and the other calls made for many sessions
 *   at once are one script per chunk of the node's batch: one round trip.
 */
export class RedisStore implements Store {
  state: StoreState = 'connecting';
  private readonly client: Redis;
  private readonly presence: RedisPresence;
  private readonly sessions: RedisSessions;
  private readonly locations: RedisLocations;
  private readonly logger: Pick<Logger, 'info' | 'warn'> | undefined;
  private readonly listeners: Array<(state: StoreState) => void> = [];
  private readonly watchdog: ReplyWatchdog;
  private readonly reconnectMinMs: number;
  private readonly reconnectMaxMs: number;
  private reconnectTimer: NodeJS.Timeout | undefined;
  /** failed connection attempts since the last ready connection */
  private attempts = 0;
  private lastError: unknown = null;
  private started = false;

  constructor(options: RedisStoreOptions) {
    this.logger = options.logger;
    const commandTimeout = options.commandTimeoutMs ?? 3000;
    this.client = new Redis(options.url, {
      lazyConnect: true,
      enableOfflineQueue: false,
      // commands issued in one tick (every session's resume-log write) go out in one socket write
      enableAutoPipelining: true,
      autoResendUnfulfilledCommands: false,
      connectTimeout: options.connectTimeoutMs ?? 2000,
      // no ioredis reconnects: every lost connection ends, and `scheduleReconnect` opens the
      // next one, on a timer that close() can cancel
      retryStrategy: () => null,
      ...(options.sentinel && {
        ...sentinelOptions(options.sentinel),
        // one pass over the Sentinels per attempt; `scheduleReconnect` paces the next
        sentinelRetryStrategy: () => null,
      }),
    });
    const scripts = new ScriptRunner(this.client, options.prefix ?? 'tether:', options.sessionGraceMs ?? 15 * 60_000);
    this.presence = new RedisPresence(scripts, options.roomTtlMs ?? 24 * HOUR_MS, options.logger);
    this.sessions = new RedisSessions(scripts);
    this.locations = new RedisLocations(this.client, scripts, {
      positionTtlMs: options.positionTtlMs ?? 7 * 24 * HOUR_MS,
      trailMaxEntries: options.trailMaxEntries ?? 1_000,
      trailWindowMs: options.trailWindowMs ?? 24 * HOUR_MS,
    });
    this.reconnectMinMs = options.reconnectMinMs ?? 100;
    this.reconnectMaxMs = options.reconnectMaxMs ?? 2000;
    this.watchdog = new ReplyWatchdog(commandTimeout, () => {
      this.lastError = new Error(`no reply from redis within ${commandTimeout} ms`);
      // destroyed, not ended: a frozen Redis never completes a close; calls in flight reject now
      (this.client as unknown as { stream?: { destroy(error?: Error): void } }).stream?.destroy(this.lastError as Error);
    });
    this.client.on('ready', () => {
      this.attempts = 0;
      this.watchdog.start();
      this.setState('up');
    });
    this.client.on('close', () => {
      this.watchdog.stop();
      this.setState('down');
    });
    this.client.on('end', () => {
      this.watchdog.stop();
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

  // --- rosters and presence (redis-presence.ts)

  joinRoom(room: string, member: Member, now: number, epoch: number | null): Promise<Member[] | null> {
    return this.run('joinRoom', () => this.presence.joinRoom(room, member, now, epoch));
  }

  leaveRoom(room: string, sessionId: string, epoch: number | null): Promise<boolean> {
    return this.run('leaveRoom', () => this.presence.leaveRoom(room, sessionId, epoch));
  }

  roomMembers(room: string, now: number): Promise<Member[]> {
    return this.run('roomMembers', () => this.presence.roomMembers(room, now));
  }

  touchSessions(sessions: readonly LiveSession[], until: number): Promise<void> {
    return this.run('touchSessions', () => this.presence.touchSessions(sessions, until));
  }

  userSessions(userId: string, now: number): Promise<Member[]> {
    return this.run('userSessions', () => this.presence.userSessions(userId, now));
  }

  claimLapsed(now: number, limit: number, resumableUntil: number): Promise<LapsedSession[]> {
    return this.run('claimLapsed', () => this.presence.claimLapsed(now, limit, resumableUntil));
  }

  // --- locations (redis-locations.ts)

  recordPosition(patientId: string, fix: PositionFix): Promise<void> {
    return this.run('recordPosition', () => this.locations.recordPosition(patientId, fix));
  }

  lastPosition(patientId: string): Promise<PositionFix | null> {
    return this.run('lastPosition', () => this.locations.lastPosition(patientId));
  }

  trail(patientId: string, since: number, limit: number): Promise<PositionFix[]> {
    return this.run('trail', () => this.locations.trail(patientId, since, limit));
  }

  // --- session records and direct messages (redis-sessions.ts)

  openSession(record: SessionRecord, now: number): Promise<number> {
    return this.run('openSession', () => this.sessions.openSession(record, now));
  }

  registerAgain(sessions: readonly Reregistration[], now: number): Promise<Reregistered[]> {
    return this.run('registerAgain', () => this.sessions.registerAgain(sessions, now));
  }

  saveSubscriptions(sessionId: string, epoch: number, subscriptions: readonly string[]): Promise<void> {
    return this.run('saveSubscriptions', () => this.sessions.saveSubscriptions(sessionId, epoch, subscriptions));
  }

  logDeliveries(batch: readonly SessionFrames[]): Promise<LogOutcome[]> {
    return this.run('logDeliveries', () => this.sessions.logDeliveries(batch));
  }

  endSession(sessionId: string, epoch: number | null, end: SessionEnd): Promise<boolean> {
    return this.run('endSession', () => this.sessions.endSession(sessionId, epoch, end));
  }

  takeOver(request: ResumeRequest, now: number): Promise<TakeOver | null> {
    return this.run('takeOver', () => this.sessions.takeOver(request, now));
  }

  recordRequests(entries: readonly JournalRecord[]): Promise<void> {
    return this.run('recordRequests', () => this.sessions.recordRequests(entries));
  }

  appendDirect(batch: readonly DirectMessage[], now: number): Promise<DirectOutcome[]> {
    return this.run('appendDirect', () => this.sessions.appendDirect(batch, now));
  }

  voidDirect(message: Pick<DirectMessage, 'userId' | 'senderSessionId' | 'requestId'>, offset: number): Promise<void> {
    return this.run('voidDirect', () => this.sessions.voidDirect(message, offset));
  }

  pendingFor(sessions: readonly HeldSession[]): Promise<Array<PendingFrame[] | 'fenced' | 'missing'>> {
    return this.run('pendingFor', () => this.sessions.pendingFor(sessions));
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
      return await this.watchdog.track(command());
    } catch (error) {
      throw new StoreError(`${op} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
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
