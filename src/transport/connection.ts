import type { RawData, WebSocket } from 'ws';
import { CLOSE_CODES, type ServerMessage, parseClientFrame } from '../protocol/index.ts';
import { errorFrame } from '../core/errors.ts';
import type { Outbound, Session } from '../core/session.ts';
import { TokenBucket } from '../core/token-bucket.ts';
import type { NodeMetrics } from '../observability/metrics.ts';
import type { ConnectionSocket } from './connection-socket.ts';
import { peekId } from './peek-id.ts';

export interface ConnectionLimits {
  maxFrameBytes: number;
  maxBufferedBytes: number;
  ratePerSecond: number;
  rateBurst: number;
}

/** What the gateway does when a connection's socket fails or closes. */
export interface ConnectionOwner {
  socketError(connection: Connection, error: Error): void;
  /** called once, when the socket has closed */
  socketClosed(connection: Connection, code: number): void;
}

/**
 * Binds one WebSocket to its Session: reads frames (rate, binary, size, parse checks, in that order),
 * writes frames with a bounded send buffer, tracks liveness for the heartbeat and closes the
 * socket once the token has expired.
 *
 * An idle connection is most of a node's memory, so a Connection keeps no timers, closures or
 * promises of its own: the socket's listeners are shared functions, the gateway's sweeps call
 * `ping` and `closeIfExpired`, and `ended` makes its promise only when someone waits.
 */
export class Connection implements Outbound {
  readonly ws: ConnectionSocket;
  session!: Session;
  /** false once a ping went unanswered for a whole heartbeat interval */
  alive = true;
  private readonly limits: ConnectionLimits;
  private readonly metrics: NodeMetrics;
  /** told of the socket's errors and close */
  readonly owner: ConnectionOwner;
  private readonly bucket: TokenBucket;
  private isEnded = false;
  private ending: PromiseWithResolvers<void> | undefined;
  /** while the session's open steps run: settles when they are done (or undone) */
  opened: Promise<void> | undefined;

  constructor(ws: ConnectionSocket, limits: ConnectionLimits, metrics: NodeMetrics, owner: ConnectionOwner) {
    this.ws = ws;
    this.limits = limits;
    this.metrics = metrics;
    this.owner = owner;
    this.bucket = new TokenBucket(limits.ratePerSecond, limits.rateBurst);
    ws.connection = this;
  }

  /** Settles once the socket closed, its session was cleaned up (presence, rooms, resume) and its requests in progress settled. */
  get ended(): Promise<void> {
    if (this.isEnded) return Promise.resolve();
    this.ending ??= Promise.withResolvers<void>();
    return this.ending.promise;
  }

  /** @internal called by the gateway when cleanup is done */
  markEnded(): void {
    this.isEnded = true;
    this.ending?.resolve();
  }

  /** Starts reading frames for `session` and reporting the socket's errors and close to the owner. */
  attach(session: Session): void {
    this.session = session;
    this.ws.on('message', onMessage);
    this.ws.on('ping', onPing);
    this.ws.on('pong', onPong);
    this.ws.on('error', onError);
    this.ws.on('close', onClose);
  }

  /** Closes with 4003 if the token expired at or before `now` (ms since the epoch). */
  closeIfExpired(now: number): void {
    const expiresAt = this.session.identity.expiresAt;
    if (expiresAt !== null && expiresAt <= now) this.close(CLOSE_CODES.TOKEN_EXPIRED, 'token expired');
  }

  send(frame: ServerMessage, text: string = JSON.stringify(frame)): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    if (this.ws.bufferedAmount > this.limits.maxBufferedBytes) {
      this.close(CLOSE_CODES.SLOW_CONSUMER, 'send buffer full: reading too slowly');
      return;
    }
    this.ws.send(text);
    this.metrics.framesOut.inc({ type: frame.type });
  }

  close(code: number, reason: string): void {
    if (this.ws.readyState === this.ws.CLOSED || this.ws.readyState === this.ws.CLOSING) return;
    this.metrics.closes.inc({ code });
    this.ws.close(code, reason);
  }

  /** Heartbeat tick: a peer that did not answer the previous ping is dropped. */
  ping(): void {
    if (!this.alive) {
      this.metrics.closes.inc({ code: CLOSE_CODES.HEARTBEAT_TIMEOUT });
      this.ws.terminate();
      return;
    }
    this.alive = false;
    this.ws.ping();
  }

  /** @internal the socket's 'ping' listener (ws answers the pong itself) */
  pinged(): void {
    if (this.bucket.take()) return;
    this.metrics.framesIn.inc({ type: 'rate_limited' });
    this.close(CLOSE_CODES.POLICY_VIOLATION, 'ping flood: too many pings');
  }

  /** @internal the socket's 'message' listener */
  receive(data: RawData, isBinary: boolean): void {
    const session = this.session;
    // binaryType is the default 'nodebuffer', so a frame arrives as one Buffer
    const bytes = data as Buffer;
    if (!this.bucket.take()) {
      this.metrics.framesIn.inc({ type: 'rate_limited' });
      const id = isBinary ? null : peekId(bytes.subarray(0, 512).toString());
      session.reject(errorFrame(id, 'RATE_LIMITED', undefined, { retryAfterMs: this.bucket.waitMs() }));
      return;
    }
    if (isBinary) {
      this.metrics.framesIn.inc({ type: 'invalid' });
      session.reject(errorFrame(null, 'BAD_FRAME', 'binary frames are not supported; send JSON text'));
      return;
    }
    if (bytes.length > this.limits.maxFrameBytes) {
      this.metrics.framesIn.inc({ type: 'invalid' });
      const id = peekId(bytes.subarray(0, 512).toString());
      session.reject(errorFrame(id, 'FRAME_TOO_LARGE', `frames are limited to ${this.limits.maxFrameBytes} bytes`));
      return;
    }
    const parsed = parseClientFrame(bytes.toString());
    if (!parsed.ok) {
      this.metrics.framesIn.inc({ type: 'invalid' });
      session.reject(errorFrame(parsed.id, parsed.code, parsed.message, parsed.details));
      return;
    }
    this.metrics.framesIn.inc({ type: parsed.message.type });
    session.receive(parsed.message);
  }
}

// The socket's listeners: ws calls them with the socket, always a ConnectionSocket, as `this`
// (its typings say WebSocket).

function onMessage(this: WebSocket, data: RawData, isBinary: boolean): void {
  (this as ConnectionSocket).connection.receive(data, isBinary);
}

/** A WebSocket ping costs a rate token like a frame; a client out of tokens is flooding: cut it (1008). */
function onPing(this: WebSocket): void {
  const connection = (this as ConnectionSocket).connection;
  connection.pinged();
}

function onPong(this: WebSocket): void {
  (this as ConnectionSocket).connection.alive = true;
}

function onError(this: WebSocket, error: Error): void {
  const connection = (this as ConnectionSocket).connection;
  connection.owner.socketError(connection, error);
}

function onClose(this: WebSocket, code: number): void {
  const connection = (this as ConnectionSocket).connection;
  connection.owner.socketClosed(connection, code);
}
