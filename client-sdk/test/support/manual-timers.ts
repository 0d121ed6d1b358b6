/**
 * Timers the test moves by hand, injected through `connect({ timers })`: a backoff, a request
 * timeout or an idle check fires only when the test calls `advance` / `runNext`, so tests
 * neither wait out real delays nor race them. Extend with helpers as tests need them.
 */
import type { Timers } from '../../src/platform.ts';

interface Pending {
  at: number;
  ms: number;
  callback: () => void;
}

export class ManualTimers implements Timers {
  now = 0;
  private nextHandle = 0;
  private readonly pending = new Map<number, Pending>();

  setTimeout(callback: () => void, ms: number): unknown {
    const handle = ++this.nextHandle;
    this.pending.set(handle, { at: this.now + ms, ms, callback });
    return handle;
  }

  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number);
  }

  /** The requested delays of the timers still pending, in the order they were set. */
  get delays(): number[] {
    return [...this.pending.values()].map((p) => p.ms);
  }

  /** Moves time on by `ms`, running every timer that falls due, in time order. */
  advance(ms: number): void {
    const until = this.now + ms;
    for (;;) {
      const due = [...this.pending.entries()].filter(([, p]) => p.at <= until).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.pending.delete(due[0]);
      this.now = due[1].at;
      due[1].callback();
    }
    this.now = until;
  }

  /** Runs the earliest pending timer (moving time to it); false if none is pending. */
  runNext(): boolean {
    const next = [...this.pending.values()].sort((a, b) => a.at - b.at)[0];
    if (!next) return false;
    this.advance(next.at - this.now);
    return true;
  }
}
