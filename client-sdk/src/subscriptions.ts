import type { SubscribeResult } from '../../src/protocol/index.ts';
import type { ReconnectPolicy } from './backoff.ts';
import { ConnectionClosedError, SubscriptionLostError, type TetherError } from './errors.ts';
import type { AckResult, RequestInput } from './pending-request.ts';
import type { Timers } from './platform.ts';

/** @internal What the subscription book needs from the client. */
export interface SubscriptionDeps {
  timers: Timers;
  /** paces re-subscribe retries after a retryable refusal */
  policy: ReconnectPolicy;
  /** issues an SDK-internal request (ahead of the app's queued ones) */
  request(input: RequestInput): Promise<AckResult>;
  /** true while a subscribe to `channel` is queued or in flight */
  hasSubscribe(channel: string): boolean;
  isOpen(): boolean;
  /** gates may have opened */
  pump(): void;
  subscribed(channel: string, result: SubscribeResult, resubscribed: boolean): void;
  lost(error: SubscriptionLostError): void;
}

/**
 * @internal The channels the app wants (subscribed and not unsubscribed), and which of them are
 * live on the current connection (their subscribe ack arrived on it). A room signal is held
 * back while its room is wanted but not live: that gate is the SDK's promise never to send
 * into a channel before its subscription is acknowledged.
 *
 * The server keeps no subscriptions across connections, so after every `welcome` each wanted
 * channel is subscribed again (unless the app's own subscribe is already on its way). A
 * retryable refusal is retried, paced by the reconnect policy; a final one drops the channel
 * and reports a SubscriptionLostError.
 */
export class Subscriptions {
  private readonly wanted = new Set<string>();
  private readonly live = new Set<string>();
  private readonly retries = new Map<string, { timer: unknown; attempt: number }>();
  private readonly deps: SubscriptionDeps;

  constructor(deps: SubscriptionDeps) {
    this.deps = deps;
  }

  /** True unless `channel` is wanted and its ack has not arrived on this connection. */
  gateOpen(channel: string): boolean {
    return !this.wanted.has(channel) || this.live.has(channel);
  }

  isLive(channel: string): boolean {
    return this.live.has(channel);
  }

  /** The app asked for `channel`. */
  want(channel: string): void {
    this.wanted.add(channel);
  }

  /** The app no longer wants `channel`; true if it was live (the server must be told). */
  unwant(channel: string): boolean {
    this.wanted.delete(channel);
    this.cancelRetry(channel);
    return this.live.delete(channel);
  }

  /** A subscribe ack arrived on the current connection. */
  acked(channel: string, result: AckResult, internal: boolean): void {
    if (!this.wanted.has(channel)) {
      // unsubscribed while the subscribe was on its way: undo it on the server
      this.deps.request({ type: 'unsubscribe', channel }).catch(() => {});
      return;
    }
    this.live.add(channel);
    this.retries.delete(channel);
    // requests held for this ack go before anything a `subscribed` listener sends
    this.deps.pump();
    this.deps.subscribed(channel, toSubscribeResult(channel, result), internal);
  }

  /**
   * A subscribe failed (refused, timed out). The app's own: it learns from its promise, the
   * channel is dropped. The SDK's: retried if retryable, else dropped and reported.
   */
  refused(channel: string, error: TetherError, internal: boolean): void {
    if (!internal || !this.wanted.has(channel)) {
      if (!this.live.has(channel)) this.wanted.delete(channel);
      // requests held for it go out now; the server answers them (NOT_SUBSCRIBED), none is dropped silently
      this.deps.pump();
      return;
    }
    const attempt = this.retries.get(channel)?.attempt ?? 0;
    const delay = error.retryable ? this.deps.policy.nextDelay(attempt) : null;
    if (delay === null) {
      this.unwant(channel);
      this.deps.lost(new SubscriptionLostError(channel, error));
      this.deps.pump();
      return;
    }
    const timer = this.deps.timers.setTimeout(() => this.resubscribe(channel), delay);
    this.retries.set(channel, { timer, attempt: attempt + 1 });
  }

  /**
   * After `welcome`: subscribe every wanted channel again, except those the server kept.
   * `kept` is the resumed session's `welcome.subscriptions` (null for a new session): wanted
   * ones are live at once; the others (unsubscribed while away) are unsubscribed on the
   * server, except `own`, the user channel every session has.
   */
  restore(kept: readonly string[] | null = null, own: string | null = null): void {
    for (const channel of kept ?? []) {
      if (this.wanted.has(channel)) this.live.add(channel);
      else if (channel !== own) this.deps.request({ type: 'unsubscribe', channel }).catch(() => {});
    }
    for (const channel of this.wanted) if (!this.live.has(channel) && !this.deps.hasSubscribe(channel)) this.resubscribe(channel);
  }

  /** The connection was lost: nothing is live any more. */
  reset(): void {
    this.live.clear();
    for (const channel of [...this.retries.keys()]) this.cancelRetry(channel);
  }

  private resubscribe(channel: string): void {
    const retry = this.retries.get(channel);
    if (retry) this.deps.timers.clearTimeout(retry.timer);
    if (!this.wanted.has(channel) || this.live.has(channel) || !this.deps.isOpen() || this.deps.hasSubscribe(channel)) return;
    // the ack arrives through acked(); a lost connection is handled by the next restore()
    this.deps.request({ type: 'subscribe', channel }).catch((error: TetherError) => {
      if (!(error instanceof ConnectionClosedError)) this.refused(channel, error, true);
    });
  }

  private cancelRetry(channel: string): void {
    const retry = this.retries.get(channel);
    if (retry) this.deps.timers.clearTimeout(retry.timer);
    this.retries.delete(channel);
  }
}

/** @internal An ack's result as a SubscribeResult (the server always sends one; this is defensive). */
export function toSubscribeResult(channel: string, result: AckResult): SubscribeResult {
  return result && 'channel' in result ? result : { channel };
}
