import Fastify, { type FastifyInstance, type FastifyListenOptions } from 'fastify';
import type { AddressInfo, Server as NetServer } from 'node:net';
import type { Logger } from 'pino';
import { DEV_ISSUER, DEV_SECRET } from './auth/dev-tokens.ts';
import { createVerifier, type VerifierOptions } from './auth/verifier.ts';
import type { Bus } from './bus/bus.ts';
import { MemoryBus } from './bus/memory.ts';
import type { Config } from './config.ts';
import type { CoreContext } from './core/context.ts';
import { PresenceKeeper } from './core/presence-keeper.ts';
import { Relay } from './core/relay.ts';
import { Batcher } from './core/batcher.ts';
import { catchUp, holdForCatchUp } from './core/catch-up.ts';
import type { Session } from './core/session.ts';
import { DeliveryLog } from './core/delivery-log.ts';
import { DirectWriter } from './core/direct-writer.ts';
import { EndRetries } from './core/end-retries.ts';
import { StaleWatch } from './core/stale-watch.ts';
import { createLogger } from './observability/logger.ts';
import { NodeMetrics } from './observability/metrics.ts';
import { CLOSE_CODES } from './protocol/index.ts';
import type { AlertSink } from './calls/alert-sink.ts';
import type { CallStore } from './calls/call-store.ts';
import { CallService } from './calls/call-service.ts';
import { type CareCircle, TokenCareCircle } from './calls/care-circle.ts';
import { HistoryWriter } from './calls/history-writer.ts';
import { MemoryCallStore } from './calls/memory-call-store.ts';
import { TurnIssuer } from './calls/turn.ts';
import { MemoryRecords } from './records/memory.ts';
import { HttpWebhook } from './webhook/http-webhook.ts';
import { NoWebhook, type Webhook } from './webhook/webhook.ts';
import type { Records } from './records/records.ts';
import { SafetyService } from './safety/safety-service.ts';
import type { SafetyStore } from './safety/safety-store.ts';
import { SafetyTicker } from './safety/safety-ticker.ts';
import { safetySettings } from './safety/settings.ts';
import { MemorySafetyStore } from './store/memory-safety.ts';
import type { Store } from './store/store.ts';
import { MemoryStore } from './store/memory.ts';
import { Gateway } from './transport/gateway.ts';
import { addAcceptQueues, assertPortFree, closeAcceptQueues } from './transport/listeners.ts';
import { registerDevTokenRoute, registerOpsRoutes } from './transport/http-routes.ts';

export interface NodeDeps {
  /** default: private in-memory call state */
  calls?: CallStore;
  /** who a circle call and an SOS ring; default: the caller's token `contacts`, in order */
  circle?: CareCircle;
  /**
   * where SOS alerts go besides the call; default: this node's safety service (an alert on
   * `alerts:<patientId>` that stays open until acknowledged, escalated, audited, and the webhook)
   */
  alerts?: AlertSink;
  /** default: a private in-memory bus (single node) */
  bus?: Bus;
  /** default: a private in-memory store */
  store?: Store;
  /** default: private in-memory records */
  records?: Records;
  logger?: Logger;
  metrics?: NodeMetrics;
  /** default: a private in-memory safety store */
  safetyStore?: SafetyStore;
  /** default: HTTP POSTs to WEBHOOK_URL when set, else none (events go nowhere) */
  webhook?: Webhook;
}

/**
 * One Tether node: HTTP (health, readiness, metrics, dev tokens) and the WebSocket gateway on
 * one port, wired to a Bus and a Store. `start()` listens; `shutdown()` drains and stops.
 */
export class TetherNode {
  readonly config: Config;
  readonly bus: Bus;
  readonly store: Store;
  readonly records: Records;
  readonly callStore: CallStore;
  /** server-side calls on this node */
  readonly calls: CallService;
  readonly webhook: Webhook;
  readonly logger: Logger;
  readonly metrics: NodeMetrics;
  readonly gateway: Gateway;
  readonly devTokens: boolean;
  readonly presence: PresenceKeeper;
  /** this node's local subscriptions (read by leak checks and metrics) */
  readonly relay: Relay;
  /** the catch-up started by the bus's latest return; settles when it is done */
  lastCatchUp: Promise<void> = Promise.resolve();
  private readonly staleWatch: StaleWatch;
  readonly safetyStore: SafetyStore;
  /** zones, tracking health, alerts and adaptive reporting on this node */
  readonly safety: SafetyService;
  readonly safetyTicker: SafetyTicker;
  private readonly app: FastifyInstance;
  private draining = false;
  private started = false;
  /** the listening sockets beyond the HTTP server's own (LISTEN_SOCKETS) */
  private acceptQueues: NetServer[] = [];

  constructor(config: Config, deps: NodeDeps = {}) {
    this.config = config;
    this.logger = deps.logger ?? createLogger({ level: config.LOG_LEVEL, nodeId: config.NODE_ID });
    this.metrics = deps.metrics ?? new NodeMetrics();
    this.bus = deps.bus ?? new MemoryBus(undefined, this.logger.child({ part: 'bus' }));
    this.store = deps.store ?? new MemoryStore();
    this.records = deps.records ?? new MemoryRecords();
    this.callStore = deps.calls ?? new MemoryCallStore();
    this.safetyStore = deps.safetyStore ?? new MemorySafetyStore();
    this.webhook =
      deps.webhook ??
      (config.WEBHOOK_URL
        ? new HttpWebhook({
          url: config.WEBHOOK_URL,
          secret: config.WEBHOOK_SECRET!,
          timeoutMs: config.WEBHOOK_TIMEOUT_MS,
          maxAttempts: config.WEBHOOK_MAX_ATTEMPTS,
          queueLimit: config.WEBHOOK_QUEUE_LIMIT,
          logger: this.logger.child({ part: 'webhook' }),
          metrics: this.metrics,
        })
        : new NoWebhook());
    const turn = config.TURN_URLS.length > 0 ? new TurnIssuer({ urls: config.TURN_URLS, secret: config.TURN_SECRET!, ttlSeconds: config.TURN_TTL_S }) : null;
    // live sessions hold their deliveries from the moment the bus goes down until they are caught up
    let heldForOutage: Session[] | null = null;
    this.bus.onState((state) => {
      this.metrics.busUp.set(state === 'up' ? 1 : 0);
      this.metrics.busBlocked.set(state === 'blocked' ? 1 : 0);
      this.logger.info({ bus: state }, 'bus state');
      if (state === 'down' && !heldForOutage) heldForOutage = holdForCatchUp(this.gateway.sessions());
      if (state === 'up' && heldForOutage) {
        const held = heldForOutage;
        heldForOutage = null;
        // what was routed into the lost queue, or sent while nothing here was bound, is still owed
        this.lastCatchUp = catchUp(ctx, held);
      }
    });
    this.store.onState((state) => {
      this.metrics.storeUp.set(state === 'up' ? 1 : 0);
      this.logger.info({ store: state }, 'store state');
    });

    const { verifier, dev } = verifierOptions(config);
    this.devTokens = dev;
    this.relay = new Relay(this.bus, config.UNBIND_DELAY_MS);
    this.safety = new SafetyService({
      nodeId: config.NODE_ID,
      store: this.safetyStore,
      records: this.records,
      relay: this.relay,
      webhook: this.webhook,
      settings: safetySettings(config),
      leaseMs: config.SAFETY_LEASE_MS,
      logger: this.logger.child({ part: 'safety' }),
      metrics: this.metrics.safety,
      now: Date.now,
    });
    this.safetyTicker = new SafetyTicker(this.safety, { tickMs: config.SAFETY_TICK_MS, retentionMs: config.SAFETY_ALERT_RETENTION_DAYS * 86_400_000 });
    this.calls = new CallService({
      calls: this.callStore,
      relay: this.relay,
      store: this.store,
      records: this.records,
      history: new HistoryWriter(this.records, this.logger.child({ part: 'calls' })),
      webhook: this.webhook,
      // an SOS is a safety alert: one alert system, acknowledged, escalated and audited
      alerts: deps.alerts ?? this.safety,
      reporting: this.safety,
      circle: deps.circle ?? new TokenCareCircle(),
      turn,
      limits: {
        ringMs: config.CALL_RING_TIMEOUT_MS,
        escalationStepMs: config.CALL_ESCALATION_STEP_MS,
        maxDurationMs: config.CALL_MAX_DURATION_MS,
        keepEndedMs: config.CALL_ENDED_KEEP_MS,
        sweepMs: config.CALL_SWEEP_MS,
        historyRetentionMs: config.CALL_HISTORY_RETENTION_DAYS * 86_400_000,
        eventTtlMs: config.SIGNAL_TTL_MS,
      },
      metrics: this.metrics,
      logger: this.logger.child({ part: 'calls' }),
      now: Date.now,
    });
    const ctx: CoreContext = {
      nodeId: config.NODE_ID,
      bus: this.bus,
      store: this.store,
      relay: this.relay,
      deliveryLog: new DeliveryLog(this.store, this.logger),
      ends: new EndRetries(this.store),
      storeLost: () => this.presence.storeLost(),
      directs: new DirectWriter(this.store, Date.now),
      journal: new Batcher(async (batch) => {
        await this.store.recordRequests(batch);
        return batch.map(() => undefined);
      }),
      limits: {
        maxSubscriptions: config.MAX_SUBSCRIPTIONS,
        requestCacheSize: config.REQUEST_CACHE_SIZE,
        signalTtlMs: config.SIGNAL_TTL_MS,
        presenceTtlMs: config.PRESENCE_TTL_MS,
        resumeWindowMs: config.RESUME_WINDOW_MS,
        resume: {
          logFrames: config.RESUME_MAX_FRAMES,
          logBytes: config.RESUME_MAX_BYTES,
          pendingFrames: config.RESUME_MAX_FRAMES,
          pendingBytes: config.RESUME_MAX_BYTES,
          journalSize: config.REQUEST_CACHE_SIZE,
          detachedPerUser: config.RESUME_DETACHED_PER_USER,
        },
        staleAfterMs: config.LOCATION_STALE_MS,
      },
      calls: this.calls,
      sessionLive: [this.calls.sessionLive],
      metrics: this.metrics,
      logger: this.logger,
      now: Date.now,
      safety: this.safety,
    };
    const allowedOrigins = config.ALLOWED_ORIGINS.length === 0 && config.NODE_ENV === 'development' ? ['*'] : config.ALLOWED_ORIGINS;
    this.staleWatch = new StaleWatch(ctx);
    ctx.relay.observe(this.staleWatch);
    this.presence = new PresenceKeeper(ctx, () => this.gateway.sessions());
    this.gateway = new Gateway(
      ctx,
      {
        path: '/ws',
        hardMaxFrameBytes: config.HARD_MAX_FRAME_BYTES,
        maxFrameBytes: config.MAX_FRAME_BYTES,
        maxBufferedBytes: config.MAX_BUFFERED_BYTES,
        ratePerSecond: config.RATE_PER_SECOND,
        rateBurst: config.RATE_BURST,
        allowedOrigins,
        maxConnectionsPerUser: config.MAX_CONNECTIONS_PER_USER,
        heartbeatMs: config.HEARTBEAT_MS,
        ...(turn && { welcomeExtras: (identity) => ({ turn: turn.credentials(identity.userId, Date.now()) }) }),
      },
      createVerifier(verifier),
      this.metrics,
    );

    this.app = Fastify({ logger: false });
    registerOpsRoutes(this.app, { ready: () => this.ready, status: () => this.status() }, this.metrics);
    if (dev) registerDevTokenRoute(this.app, { secret: DEV_SECRET, issuer: DEV_ISSUER });
    this.app.server.on('upgrade', (req, socket, head) => this.gateway.handleUpgrade(req, socket, head));
  }

  /** True when a load balancer should send new connections here. Redis is not required. */
  get ready(): boolean {
    return this.started && !this.draining && this.bus.state === 'up';
  }

  async start(): Promise<{ port: number }> {
    await Promise.all([this.bus.start(), this.store.start(), this.records.start(), this.callStore.start(), this.safetyStore.start()]);
    const { LISTEN_SOCKETS: sockets, LISTEN_BACKLOG: backlog } = this.config;
    if (sockets > 1) await assertPortFree(this.config.HOST, this.config.PORT);
    // fastify hands these options to net.Server#listen, which knows reusePort; its types do not
    const listen: FastifyListenOptions & { reusePort: boolean } = { host: this.config.HOST, port: this.config.PORT, backlog, reusePort: sockets > 1 };
    await this.app.listen(listen);
    const bound = this.app.server.address() as AddressInfo;
    this.acceptQueues = await addAcceptQueues(this.app.server, bound.address, bound.port, sockets, backlog);
    this.presence.start();
    this.calls.start();
    this.safetyTicker.start();
    this.started = true;
    const { port } = this.app.server.address() as AddressInfo;
    this.logger.info({ port, devTokens: this.devTokens }, 'listening');
    if (this.devTokens) this.logger.warn('DEVELOPMENT MODE: tokens from GET /dev/token are signed with a public secret');
    return { port };
  }

  get port(): number {
    return (this.app.server.address() as AddressInfo).port;
  }

  /**
   * Graceful stop: readiness off, no new connections, clients closed with 1012 spread over
   * DRAIN_MS, then the bus, store and HTTP server are closed.
   */
  async shutdown(drainMs: number = this.config.DRAIN_MS): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    this.gateway.stopAccepting();
    this.logger.info({ connections: this.gateway.connections.size, drainMs }, 'draining');
    await this.gateway.closeAll(CLOSE_CODES.SERVICE_RESTART, 'server restarting; reconnect', drainMs);
    this.gateway.close();
    this.presence.stop();
    this.staleWatch.stop();
    await this.calls.stop();
    this.safetyTicker.stop();
    closeAcceptQueues(this.acceptQueues);
    await this.app.close();
    await Promise.allSettled([this.bus.close(), this.store.close(), this.records.close(), this.callStore.close(), this.safetyStore.close(), this.webhook.close()]);
    this.logger.info('stopped');
  }

  private status(): Record<string, unknown> {
    return {
      draining: this.draining,
      bus: this.bus.state,
      store: this.store.state,
      records: this.records.state,
      connections: this.gateway.connections.size,
    };
  }
}

/** Real keys when configured; otherwise (development only; config refuses production) the public dev secret. */
function verifierOptions(config: Config): { verifier: VerifierOptions; dev: boolean } {
  const claims = { issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE, clockToleranceS: config.JWT_CLOCK_TOLERANCE_S };
  if (config.JWT_JWKS_URL) return { verifier: { jwksUrl: config.JWT_JWKS_URL, ...claims }, dev: false };
  if (config.JWT_SECRET) return { verifier: { secret: config.JWT_SECRET, ...claims }, dev: false };
  if (config.NODE_ENV !== 'development') throw new Error('production needs JWT_SECRET or JWT_JWKS_URL');
  return { verifier: { secret: DEV_SECRET, issuer: DEV_ISSUER, clockToleranceS: config.JWT_CLOCK_TOLERANCE_S }, dev: true };
}
