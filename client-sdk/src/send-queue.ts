import type { PendingRequest } from './pending-request.ts';

/**
 * @internal Requests not yet sent: made while offline, or waiting for their channel's subscribe
 * ack. FIFO; `takeReady` removes, in order, every request whose gate is open, so requests to
 * one channel keep their order while a gated one does not hold back the others.
 *
 * Bounded: at most `limit` of the app's requests. The SDK's own (`internal`: re-subscribes, one
 * liveness ping) are not counted; their number is bounded by the subscriptions. Requests put
 * back after a lost connection go first, and the newest that no longer fit are returned so the
 * caller can reject them.
 */
export class SendQueue {
  private items: PendingRequest[] = [];
  private readonly limit: number;

  constructor(limit: number) {
    this.limit = limit;
  }

  get size(): number {
    return this.items.length;
  }

  /** False (and nothing queued) when the app's share is full. */
  push(request: PendingRequest, { front = false } = {}): boolean {
    if (!request.internal && this.appCount() >= this.limit) return false;
    if (!front) this.items.push(request);
    // ahead of the app's requests, behind earlier SDK requests, so those stay in order
    else this.items.splice(this.leadingInternal(), 0, request);
    return true;
  }

  /**
   * Puts requests that were in flight back at the head, in their original order. Returns those
   * that do not fit under the limit, newest first out.
   */
  requeue(requests: PendingRequest[]): PendingRequest[] {
    this.items = [...requests, ...this.items];
    let room = this.limit;
    const dropped: PendingRequest[] = [];
    this.items = this.items.filter((r) => r.internal || room-- > 0 || (dropped.push(r), false));
    return dropped;
  }

  /** Removes and returns, in queue order, every request `ready` accepts. */
  takeReady(ready: (request: PendingRequest) => boolean): PendingRequest[] {
    const taken: PendingRequest[] = [];
    this.items = this.items.filter((r) => (ready(r) ? (taken.push(r), false) : true));
    return taken;
  }

  some(predicate: (request: PendingRequest) => boolean): boolean {
    return this.items.some(predicate);
  }

  private leadingInternal(): number {
    const i = this.items.findIndex((r) => !r.internal);
    return i === -1 ? this.items.length : i;
  }

  private appCount(): number {
    let count = 0;
    for (const r of this.items) if (!r.internal) count++;
    return count;
  }

  /** Removes and returns everything. */
  drain(): PendingRequest[] {
    const all = this.items;
    this.items = [];
    return all;
  }
}
