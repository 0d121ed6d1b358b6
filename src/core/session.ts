import { randomUUID } from 'node:crypto';
import type { ClientMessage, Sender, ServerMessage, UnnumberedDelivery } from '../protocol/index.ts';
import { userChannel } from '../protocol/index.ts';
import type { CoreContext } from './context.ts';
import { handleRequest } from './requests.ts';
import { TetherError, errorFrame } from './errors.ts';
import type { Identity } from './identity.ts';
import { type Answer, RequestCache } from './request-cache.ts';
import { SerialQueue } from './serial-queue.ts';
import type { Subscriber } from './relay.ts';
import { leaveChannel } from './subscriptions.ts';

/** How the core talks back to one connection; implemented by the transport. */
export interface Outbound {
  send(frame: ServerMessage): void;
}

/**
 * One authenticated connection's state: its identity, its subscriptions, the sequence
 * numbers of what it was delivered, and the answers to its recent requests.
 *
 * Requests take effect in the order received (one `SerialQueue`); a publish only waits its
 * turn to be issued to the bus, not for the bus's confirm, so publishes stay pipelined.
 */
export class Session implements Subscriber {
  readonly id: string = randomUUID();
  readonly identity: Identity;
  readonly subscriptions = new Set<string>();
  readonly ctx: CoreContext;
  private readonly outbound: Outbound;
  private readonly requests: RequestCache;
  private readonly queue = new SerialQueue();
  private seq = 0;
  private closed = false;

  constructor(ctx: CoreContext, identity: Identity, outbound: Outbound) {
    this.ctx = ctx;
    this.identity = identity;
    this.outbound = outbound;
    this.requests = new RequestCache(ctx.limits.requestCacheSize);
  }

  /** The `from` stamped on everything this session sends. */
  get sender(): Sender {
    return { userId: this.identity.userId, role: this.identity.role, sessionId: this.id };
  }

  /**
   * Subscribes the session to its own user channel and, once that is live, calls `onLive`
   * (which sends `welcome`). Requests received meanwhile wait their turn behind it.
   */
  open(onLive: () => void): Promise<void> {
    return this.queue.run(async () => {
      const channel = userChannel(this.identity.userId);
      this.subscriptions.add(channel);
      await this.ctx.relay.add(channel, this);
      onLive();
    });
  }

  deliver(message: UnnumberedDelivery): void {
    if (this.closed) return;
    this.ctx.metrics.relayLatency(message.type, Math.max(0, this.ctx.now() - message.ts) / 1000);
    this.outbound.send({ ...message, seq: ++this.seq } as ServerMessage);
  }

  /** Answers one parsed request, exactly once, even when the same id is sent again. */
  receive(message: ClientMessage): void {
    const earlier = this.requests.get(message.id);
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
    this.requests.set(message.id, answer);
    answer.then((frame) => {
      // a retryable error means nothing took effect: a retry with the same id tries again
      if (frame.type === 'error' && frame.retryable) this.requests.forget(message.id, answer);
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

  /** Leaves every channel; room members are told. Safe to call more than once. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled([...this.subscriptions].map((channel) => leaveChannel(this, channel)));
    this.subscriptions.clear();
  }

  get isClosed(): boolean {
    return this.closed;
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
