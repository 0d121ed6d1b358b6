import type { WebSocket, RawData } from 'ws';
import { CLOSE_CODES, type ServerMessage, parseClientFrame } from '../protocol/index.ts';
import { errorFrame } from '../core/errors.ts';
import type { Outbound, Session } from '../core/session.ts';
import { TokenBucket } from '../core/token-bucket.ts';
import type { NodeMetrics } from '../observability/metrics.ts';
import { peekId } from './peek-id.ts';

export interface ConnectionLimits {
  maxFrameBytes: number;
  maxBufferedBytes: number;
  ratePerSecond: number;
  rateBurst: number;
}

/**
 * Binds one WebSocket to its Session: reads frames (rate, binary, size, parse checks, in that order),
 * writes frames with a bounded send buffer, tracks liveness for the heartbeat and closes the
 * socket when the token expires.
 */
export class Connection implements Outbound {
  readonly ws: WebSocket;
  session!: Session;
  /** false once a ping went unanswered for a whole heartbeat interval */
  alive = true;
  private readonly ending = Promise.withResolvers<void>();
  private readonly limits: ConnectionLimits;
  private readonly metrics: NodeMetrics;
  private readonly bucket: TokenBucket;
  private expiryTimer: NodeJS.Timeout | undefined;

  constructor(ws: WebSocket, limits: ConnectionLimits, metrics: NodeMetrics) {
    this.ws = ws;
    this.limits = limits;
    this.metrics = metrics;
    this.bucket = new TokenBucket(limits.ratePerSecond, limits.rateBurst);
    ws.on('pong', () => (this.alive = true));
  }

  /** Settles once the socket closed and its session was cleaned up (presence, rooms, resume). */
  get ended(): Promise<void> {
    return this.ending.promise;
  }

  /** @internal called by the gateway when cleanup is done */
  markEnded(): void {
    this.ending.resolve();
  }

  /** Starts reading frames for `session` and arms the token-expiry close. */
  attach(session: Session): void {
    this.session = session;
    this.ws.on('message', (data, isBinary) => this.receive(data, isBinary));
    if (session.identity.expiresAt !== null) this.armExpiry(session.identity.expiresAt);
    this.ws.once('close', () => clearTimeout(this.expiryTimer));
  }

  /** Closes with 4003 at `expiresAt`; timers wait at most ~24.8 days, so longer waits re-arm. */
  private armExpiry(expiresAt: number): void {
    const ms = Math.max(0, expiresAt - Date.now());
    const wait = Math.min(ms, 2 ** 31 - 1);
    this.expiryTimer = setTimeout(
      () => (wait < ms ? this.armExpiry(expiresAt) : this.close(CLOSE_CODES.TOKEN_EXPIRED, 'token expired')),
      wait,
    );
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

  private receive(data: RawData, isBinary: boolean): void {
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
