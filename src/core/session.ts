import { randomBytes, randomUUID } from 'node:crypto';
import type { ClientMessage, Sender, ServerMessage, SessionDelivery } from '../protocol/index.ts';
import { ChannelSet } from './channel-set.ts';
import type { CoreContext } from './context.ts';
import { TetherError, errorFrame } from './errors.ts';
import type { Identity } from './identity.ts';
import type { Subscriber } from './relay.ts';
import { type Answer, RequestCache } from './request-cache.ts';
import { handleRequest } from './requests.ts';
import { SerialQueue } from './serial-queue.ts';

/** How the core talks back to one connection; implemented by the transport. */
export interface Outbound {
  /** `text`, when given, is `frame` already serialized (so it is not serialized twice) */
  send(frame: ServerMessage, text?: string): void;
}

/**
 * One authenticated connection's state: its identity, its subscriptions, the sequence
 * numbers of what it was delivered, and the answers to its recent requests.
 *
 * Requests take effect in the order received (one `SerialQueue`); a publish only waits its
 * turn to be issued to the bus, not for the bus's confirm, so publishes stay pipelined.
 *
 * Every delivered frame is numbered (`seq`, from 1, no gaps) and, when the session is
 * resumable, logged to the Store so another node can replay it after a reconnect. While a
 * resume replays missed frames, live deliveries are held and sent after them.
 */
export class Session implements Subscriber {
  /** fixed once `open` has run (a resume adopts the resumed session's id) */
  id: string;
  readonly identity: Identity;
  readonly subscriptions = new ChannelSet();
  readonly ctx: CoreContext;
  /** Store epoch of this session's resume record; null when it has none (store was down) */
  epoch: number | null = null;
  /** @internal the secret half of the resume token */
  resumeSecret: string = randomBytes(18).toString('base64url');
  /** @internal the last seq assigned */
  seq = 0;
  private readonly outbound: Outbound;
  /** made on the first request: a connection that only waits for calls never needs it */
  private requests: RequestCache | undefined;
  readonly queue = new SerialQueue();
  private closed = false;
  private held: SessionDelivery[] | null = null;

  constructor(ctx: CoreContext, identity: Identity, outbound: Outbound) {
    this.ctx = ctx;
    this.identity = identity;
    this.outbound = outbound;
    this.id = randomUUID();
  }

  /** The `from` stamped on everything this session sends. */
  get sender(): Sender {
    return { userId: this.identity.userId, role: this.identity.role, sessionId: this.id };
  }

  deliver(message: SessionDelivery): void {
    if (this.closed) return;
    if (this.held) {
      this.held.push(message);
      return;
    }
    if (message.type !== 'stale') {
      this.ctx.metrics.relayLatency(message.type, Math.max(0, this.ctx.now() - message.ts) / 1000);
    }
    this.sendNumbered({ ...message, seq: ++this.seq } as ServerMessage & { seq: number });
  }

  /** Sends an already numbered frame and logs it for resume. */
  sendNumbered(frame: ServerMessage & { seq: number }): void {
    const text = JSON.stringify(frame);
    this.outbound.send(frame, text);
    if (this.epoch !== null) this.ctx.resumeLog.append(this.id, this.epoch, { seq: frame.seq, frame: text });
  }

  /** Holds live deliveries until `release` (while missed frames are replayed). */
  hold(): void {
    this.held ??= [];
  }

  release(): void {
    const held = this.held ?? [];
    this.held = null;
    for (const message of held) this.deliver(message);
  }

  /** Answers one parsed request, exactly once, even when the same id is sent again. */
  receive(message: ClientMessage): void {
    const earlier = this.requests?.get(message.id);
    if (earlier) {
      earlier.then((answer) => this.send(answer));
      return;
    }
    const answer = this.queue
      .run(() => handleRequest(this, message))
      .then((pending) => pending.result)
      .then(
        (result): Answer => (result === undefined ? { type: 'ack', id: message.id } : { type: 'ack', id: message.id, result }),
        (error: unknown): Answer => this.toErrorFrame(message.id, error),
      );
    const requests = (this.requests ??= new RequestCache(this.ctx.limits.requestCacheSize));
    requests.set(message.id, answer);
    answer.then((frame) => {
      // a retryable error means nothing took effect: a retry with the same id tries again
      if (frame.type === 'error' && frame.retryable) requests.forget(message.id, answer);
      this.send(frame);
    });
  }

  /** Sends an error frame for a request that never reached `receive` (unparseable, rate limited). */
  reject(frame: Answer & { type: 'error' }): void {
    this.ctx.metrics.error(frame.code);
    this.send(frame);
  }

  send(frame: ServerMessage): void {
    if (!this.closed) this.outbound.send(frame);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** @internal marks the session closed; see session-lifecycle.ts */
  markClosed(): boolean {
    if (this.closed) return false;
    this.closed = true;
    this.ctx.resumeLog.flush();
    return true;
  }

  private toErrorFrame(id: string, error: unknown): Answer {
    if (error instanceof TetherError) {
      this.ctx.metrics.error(error.code);
      return errorFrame(id, error.code, error.message, error.details);
    }
    this.ctx.logger.error({ err: error, sessionId: this.id }, 'request failed unexpectedly');
    this.ctx.metrics.error('INTERNAL');
    return errorFrame(id, 'INTERNAL');
  }
}
