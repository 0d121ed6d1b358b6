import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { AuthUnavailableError, TokenExpiredError, type Verify } from '../auth/verifier.ts';
import type { CoreContext } from '../core/context.ts';
import type { Identity } from '../core/identity.ts';
import { Session } from '../core/session.ts';
import { closeSession } from '../core/session-close.ts';
import { type OpenOutcome, type ResumeParams, openSession } from '../core/session-open.ts';
import { CLOSE_CODES, type Welcome } from '../protocol/index.ts';
import type { NodeMetrics } from '../observability/metrics.ts';
import { Connection, type ConnectionLimits, type ConnectionOwner } from './connection.ts';
import { ConnectionSocket } from './connection-socket.ts';
import { bearerToken, originAllowed } from './credentials.ts';
import { type RefusalCode, refuseUpgrade } from './refuse.ts';

export interface GatewayOptions extends ConnectionLimits {
  /** URL path of the WebSocket endpoint */
  path: string;
  hardMaxFrameBytes: number;
  allowedOrigins: readonly string[];
  maxConnectionsPerUser: number;
  heartbeatMs: number;
  /** fields a feature adds to each welcome (TURN credentials, src/calls) */
  welcomeExtras?: (identity: Identity) => Pick<Welcome, 'turn'>;
}

class Refusal {
  readonly status: number;
  readonly code: RefusalCode;
  readonly message: string;
  constructor(status: number, code: RefusalCode, message: string) {
    this.status = status;
    this.code = code;
    this.message = message;
  }
}

/** How often open connections are checked for an expired token (JWT `exp` has 1 s resolution). */
const EXPIRY_SWEEP_MS = 1_000;

/**
 * The WebSocket edge. Every upgrade is checked (path, draining, Origin, token, per-user
 * connection cap) before a socket exists; a refused one gets an HTTP error and no socket.
 * Two node-wide timers serve every connection: the heartbeat, and the token-expiry sweep
 * (a connection is closed with 4003 within a second after its token's `exp`).
 */
export class Gateway implements ConnectionOwner {
  readonly connections = new Set<Connection>();
  private readonly perUser = new Map<string, number>();
  private readonly wss: WebSocketServer;
  private readonly heartbeat: NodeJS.Timeout;
  private readonly expirySweep: NodeJS.Timeout;
  private draining = false;
  private readonly ctx: CoreContext;
  private readonly options: GatewayOptions;
  private readonly verify: Verify;
  private readonly metrics: NodeMetrics;

  constructor(ctx: CoreContext, options: GatewayOptions, verify: Verify, metrics: NodeMetrics) {
    this.ctx = ctx;
    this.options = options;
    this.verify = verify;
    this.metrics = metrics;
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: options.hardMaxFrameBytes,
      perMessageDeflate: false,
      // the gateway tracks its own connections; ws's tracking would add a listener per socket
      clientTracking: false,
      WebSocket: ConnectionSocket,
    });
    this.heartbeat = setInterval(() => this.connections.forEach((c) => c.ping()), options.heartbeatMs);
    this.expirySweep = setInterval(() => {
      const now = Date.now();
      for (const connection of this.connections) connection.closeIfExpired(now);
    }, EXPIRY_SWEEP_MS);
  }

  /** The http server's 'upgrade' listener. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    // a named function, not a closure: a closure here would keep `req` (headers, token) and
    // `head` alive as long as the socket
    socket.on('error', destroySocket);
    this.authorize(req).then(
      ({ identity, resume }) =>
        this.wss.handleUpgrade(req, socket, head, (ws) => {
          socket.off('error', destroySocket);
          this.accept(ws as ConnectionSocket, identity, resume);
        }),
      (error: unknown) => {
        const refusal = error instanceof Refusal ? error : new Refusal(500, 'INTERNAL', 'upgrade failed');
        if (!(error instanceof Refusal)) this.ctx.logger.error({ err: error }, 'upgrade failed');
        this.metrics.upgradesRejected.inc({ status: refusal.status });
        // never the URL: browsers carry the token in its query string
        this.ctx.logger.info({ status: refusal.status, code: refusal.code, reason: refusal.message, ip: req.socket.remoteAddress }, 'upgrade refused');
        refuseUpgrade(socket, refusal.status, refusal.code, refusal.message);
      },
    );
  }

  /** Stops accepting upgrades; existing connections stay until closed. */
  stopAccepting(): void {
    this.draining = true;
  }

  /**
   * Closes every connection with `code`, spread evenly over `windowMs` so the clients do not
   * all reconnect to the other nodes at once. Resolves when all are closed.
   */
  async closeAll(code: number, reason: string, windowMs: number): Promise<void> {
    const all = [...this.connections];
    const step = all.length > 1 ? windowMs / all.length : 0;
    await Promise.all(
      all.map(
        (connection, i) =>
          new Promise<void>((resolve) => {
            // resolved once the session is cleaned up too (presence, rooms, resume record)
            connection.ended.then(() => resolve());
            if (connection.ws.readyState === connection.ws.CLOSED) return;
            setTimeout(() => connection.close(code, reason), i * step);
            // a peer that never answers the close handshake is cut off
            setTimeout(() => connection.ws.terminate(), i * step + 5_000).unref();
          }),
      ),
    );
  }

  /** The sessions of this node's open connections. */
  *sessions(): Iterable<Session> {
    for (const connection of this.connections) yield connection.session;
  }

  close(): void {
    clearInterval(this.heartbeat);
    clearInterval(this.expirySweep);
    for (const connection of this.connections) connection.ws.terminate();
    this.wss.close();
  }

  private async authorize(req: IncomingMessage): Promise<{ identity: Identity; resume: ResumeParams | null }> {
    const url = URL.parse(req.url ?? '/', 'http://localhost');
    if (!url) throw new Refusal(400, 'BAD_REQUEST', 'malformed request URL');
    if (url.pathname !== this.options.path) throw new Refusal(404, 'NOT_FOUND', `the WebSocket endpoint is ${this.options.path}`);
    this.assertAccepting();
    if (!originAllowed(req, this.options.allowedOrigins)) throw new Refusal(403, 'ORIGIN_NOT_ALLOWED', 'Origin not allowed');
    const token = bearerToken(req, url);
    if (!token) throw new Refusal(401, 'UNAUTHORIZED', 'missing bearer token');
    const identity = await this.verify(token).catch((error: unknown) => {
      if (error instanceof AuthUnavailableError) throw new Refusal(503, 'AUTH_UNAVAILABLE', 'token keys unavailable; retry later');
      if (error instanceof TokenExpiredError) throw new Refusal(401, 'TOKEN_EXPIRED', 'token expired; connect with a fresh one');
      throw new Refusal(401, 'UNAUTHORIZED', error instanceof Error ? error.message : 'token rejected');
    });
    if ((this.perUser.get(identity.userId) ?? 0) >= this.options.maxConnectionsPerUser) {
      throw new Refusal(429, 'TOO_MANY_CONNECTIONS', `at most ${this.options.maxConnectionsPerUser} connections per user on one node`);
    }
    this.assertAccepting();
    return { identity, resume: resumeParams(url) };
  }

  private assertAccepting(): void {
    if (this.draining) throw new Refusal(503, 'SHUTTING_DOWN', 'this node is draining; connect to another');
  }

  private accept(ws: ConnectionSocket, identity: Identity, resume: ResumeParams | null): void {
    const connection = new Connection(ws, this.options, this.metrics, this);
    const session = new Session(this.ctx, identity, connection);
    connection.attach(session);
    this.connections.add(connection);
    this.perUser.set(identity.userId, (this.perUser.get(identity.userId) ?? 0) + 1);
    this.metrics.connections.inc();
    const opening: Promise<void> = openSession(session, resume, (outcome) => {
      this.ctx.logger.info({ ...logFields(connection), resumed: outcome.resumed }, 'connected');
      connection.send(this.welcome(session, outcome));
    })
      .catch((error: unknown) => {
        this.ctx.logger.warn({ ...logFields(connection), err: error }, "could not bind the session's channels");
        connection.close(CLOSE_CODES.TRY_AGAIN_LATER, 'message bus unavailable; reconnect later');
      })
      .finally(() => {
        // an open connection keeps no promise (memory per idle connection)
        if (connection.opened === opening) connection.opened = undefined;
      });
    connection.opened = opening;
  }

  /** @internal ConnectionOwner */
  socketError(connection: Connection, error: Error): void {
    this.ctx.logger.warn({ ...logFields(connection), err: error }, 'socket error');
  }

  /** @internal ConnectionOwner */
  socketClosed(connection: Connection, code: number): void {
    const { userId } = connection.session.identity;
    this.connections.delete(connection);
    const left = (this.perUser.get(userId) ?? 1) - 1;
    if (left > 0) this.perUser.set(userId, left);
    else this.perUser.delete(userId);
    this.metrics.connections.dec();
    const log = this.ctx.logger;
    log.info({ ...logFields(connection), code }, 'disconnected');
    // 1000 is the client leaving on purpose; any other close keeps the session resumable
    const clean = code === CLOSE_CODES.NORMAL;
    const cleanup = connection.session.markEnded(clean)
      ? closeSession(connection.session, clean)
      : // still opening: the open steps undo themselves; or taken over: nothing to clean
        (connection.opened ?? Promise.resolve());
    cleanup
      .catch((error: unknown) => log.warn({ ...logFields(connection), err: error }, 'session cleanup incomplete'))
      // requests still in progress finish or undo themselves (a subscribe unbinds) before `ended`
      .then(() => connection.session.queue.idle())
      .finally(() => connection.markEnded());
  }

  private welcome(session: Session, outcome: OpenOutcome): Welcome {
    const { identity } = session;
    return {
      type: 'welcome',
      sessionId: session.id,
      nodeId: this.ctx.nodeId,
      user: { id: identity.userId, role: identity.role },
      subscriptions: [...session.subscriptions],
      heartbeatMs: this.options.heartbeatMs,
      staleAfterMs: this.ctx.limits.staleAfterMs,
      ...outcome,
      ...this.options.welcomeExtras?.(identity),
      limits: {
        maxFrameBytes: this.options.maxFrameBytes,
        ratePerSecond: this.options.ratePerSecond,
        rateBurst: this.options.rateBurst,
        maxSubscriptions: this.ctx.limits.maxSubscriptions,
      },
    };
  }
}

/**
 * `resume=<sessionId>.<secret>&lastSeq=<n>` from the upgrade URL; null when not asked for. A
 * malformed request names no session, so it is answered like an unknown one (`UNKNOWN`).
 */
function resumeParams(url: URL): ResumeParams | null {
  const token = url.searchParams.get('resume');
  if (token === null) return null;
  const lastSeq = Number(url.searchParams.get('lastSeq') ?? '0');
  const [sessionId = '', secret = ''] = token.split('.', 2);
  // session ids are UUIDs and secrets 24 base64url characters: anything else names no session
  // (and must never reach the Store as part of a key name)
  const wellFormed = SESSION_ID.test(sessionId) && SECRET.test(secret) && Number.isSafeInteger(lastSeq) && lastSeq >= 0;
  if (!wellFormed) return { sessionId: '', secret: '', lastSeq: 0 };
  return { sessionId, secret, lastSeq };
}

const SESSION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const SECRET = /^[A-Za-z0-9_-]{1,128}$/;

/** Log fields naming a connection, built per call: no child logger per connection. */
function logFields(connection: Connection): { userId: string; sessionId: string } {
  return { userId: connection.session.identity.userId, sessionId: connection.session.id };
}

function destroySocket(this: Duplex): void {
  this.destroy();
}
