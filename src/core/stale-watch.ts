import type { UnnumberedDelivery } from '../protocol/index.ts';
import type { CoreContext } from './context.ts';
import type { ChannelObserver } from './relay.ts';

interface Watched {
  timer: NodeJS.Timeout;
  /** server time of the last position relayed here, if any */
  lastTs: number | null;
}

/**
 * Tells this node's location watchers when a patient goes quiet: `staleAfterMs` after the last
 * position relayed here (or after watching began), local subscribers of `location:<patient>` get
 * one `stale` event; the next position re-arms it. Each node judges from what it relays itself,
 * so it works whichever node the patient is on, and when that node is gone. The timer is per
 * channel on a node: a watcher that joins mid-silence shares it (its subscribe ack carries the
 * last position and its time).
 */
export class StaleWatch implements ChannelObserver {
  private readonly watched = new Map<string, Watched>();
  private readonly ctx: CoreContext;

  constructor(ctx: CoreContext) {
    this.ctx = ctx;
  }

  channelAdded(channel: string): void {
    if (!channel.startsWith('location:')) return;
    this.arm(channel, null);
    // the last known position, for `lastTs`, unless a live one arrived first
    this.ctx.store.lastPosition(channel.slice('location:'.length)).then(
      (fix) => {
        const watched = this.watched.get(channel);
        if (fix && watched && watched.lastTs === null) watched.lastTs = fix.ts;
      },
      () => {},
    );
  }

  channelRemoved(channel: string): void {
    clearTimeout(this.watched.get(channel)?.timer);
    this.watched.delete(channel);
  }

  relayed(channel: string, message: UnnumberedDelivery): void {
    if (message.type !== 'location' || !this.watched.has(channel)) return;
    clearTimeout(this.watched.get(channel)!.timer);
    this.arm(channel, message.ts);
  }

  stop(): void {
    for (const { timer } of this.watched.values()) clearTimeout(timer);
    this.watched.clear();
  }

  private arm(channel: string, lastTs: number | null): void {
    const timer = setTimeout(() => this.fire(channel), this.ctx.limits.staleAfterMs);
    timer.unref();
    this.watched.set(channel, { timer, lastTs });
  }

  private fire(channel: string): void {
    const watched = this.watched.get(channel);
    if (!watched) return;
    const patientId = channel.slice('location:'.length);
    this.ctx.relay.deliverLocal(channel, { type: 'stale', channel, patientId, lastTs: watched.lastTs, ts: this.ctx.now() });
  }
}
