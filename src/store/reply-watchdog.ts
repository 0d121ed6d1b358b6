/**
 * Tells a Redis that stopped answering from a node too busy to read its answers. The connection is
 * given up (`onDead`) once a command has waited `timeoutMs` and no command has completed for
 * `timeoutMs`, as judged by a check that ran on time. A check that runs late (the event loop was
 * busy: a GC pause, a burst of connections) judges nothing: the replies may be waiting unread in
 * the socket, and the next loop turn reads them before the next check. A per-command timer cannot
 * tell the two apart, and recycling a healthy connection under load turns a burst into an outage.
 */
/** How the watchdog schedules its checks; tests drive it by hand. */
export interface WatchdogClock {
  now(): number;
  every(ms: number, check: () => void): () => void;
}

const realClock: WatchdogClock = {
  now: Date.now,
  every(ms, check) {
    const timer = setInterval(check, ms).unref();
    return () => clearInterval(timer);
  },
};

export class ReplyWatchdog {
  /** start times of commands in flight, oldest first (insertion order) */
  private readonly pending = new Map<number, number>();
  private nextId = 0;
  private lastReply = 0;
  private cancel: (() => void) | undefined;
  private due = 0;
  /** ms between checks */
  readonly tickMs: number;
  private readonly timeoutMs: number;
  private readonly clock: WatchdogClock;
  private readonly onDead: () => void;

  constructor(timeoutMs: number, onDead: () => void, clock: WatchdogClock = realClock) {
    this.timeoutMs = timeoutMs;
    this.onDead = onDead;
    this.clock = clock;
    this.tickMs = Math.max(10, Math.min(250, Math.floor(timeoutMs / 4)));
  }

  /** Watches `command` until it settles. */
  track<T>(command: Promise<T>): Promise<T> {
    const id = this.nextId++;
    this.pending.set(id, this.clock.now());
    const settled = (): void => {
      this.pending.delete(id);
      this.lastReply = this.clock.now();
    };
    command.then(settled, settled);
    return command;
  }

  /** Starts watching a connection that just became ready. */
  start(): void {
    this.stop();
    this.lastReply = this.clock.now();
    this.due = this.lastReply + this.tickMs;
    this.cancel = this.clock.every(this.tickMs, () => this.check());
  }

  stop(): void {
    this.cancel?.();
    this.cancel = undefined;
  }

  private check(): void {
    const now = this.clock.now();
    const late = now - this.due > this.tickMs;
    this.due = now + this.tickMs;
    if (late) return;
    const oldest = this.pending.values().next();
    if (oldest.done) return;
    if (now - oldest.value > this.timeoutMs && now - this.lastReply > this.timeoutMs) {
      this.stop();
      this.onDead();
    }
  }
}
