/** Reconnect delays: full-jitter exponential backoff, `random(0, min(capMs, baseMs * 2^attempt))`. */
export interface BackoffOptions {
  /** ms; the upper bound of the first delay */
  baseMs: number;
  /** ms; no delay exceeds this */
  capMs: number;
}

export function fullJitterDelay(attempt: number, { baseMs, capMs }: BackoffOptions, random = Math.random): number {
  return random() * Math.min(capMs, baseMs * 2 ** Math.min(attempt, 30));
}

/**
 * A wait that `cancel()` ends at once, so closing the bus leaves no timer behind.
 * @internal
 */
export class CancellableDelay {
  private timer: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;

  wait(ms: number): Promise<void> {
    this.cancel();
    return new Promise((resolve) => {
      this.wake = resolve;
      this.timer = setTimeout(() => this.cancel(), ms);
    });
  }

  cancel(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
