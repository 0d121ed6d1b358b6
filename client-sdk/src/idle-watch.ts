import type { Timers } from './platform.ts';

/**
 * @internal Notices a silent connection. Browsers cannot see WebSocket pings, so the SDK checks
 * for traffic itself: every `idleMs` (twice the server's `heartbeatMs`, as `welcome` suggests)
 * it compares the frame count with the last check and calls `onIdle` when nothing arrived. The
 * client then sends a `ping` request; if that goes unanswered on a silent link, the request
 * layer drops the link and reconnects.
 */
export class IdleWatch {
  private readonly timers: Timers;
  private readonly frames: () => number;
  private readonly onIdle: () => void;
  private timer: unknown = null;
  private seen = 0;

  constructor(timers: Timers, frames: () => number, onIdle: () => void) {
    this.timers = timers;
    this.frames = frames;
    this.onIdle = onIdle;
  }

  start(idleMs: number): void {
    this.stop();
    this.seen = this.frames();
    const tick = (): void => {
      const now = this.frames();
      const idle = now === this.seen;
      this.seen = now;
      this.timer = this.timers.setTimeout(tick, idleMs);
      if (idle) this.onIdle(); // last: it may stop() this watch
    };
    this.timer = this.timers.setTimeout(tick, idleMs);
  }

  stop(): void {
    if (this.timer !== null) this.timers.clearTimeout(this.timer);
    this.timer = null;
  }
}
