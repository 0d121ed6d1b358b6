/**
 * When to reconnect. `attempt` is 0 for the first attempt after a drop and counts up while
 * attempts fail; it resets to 0 after every `welcome`. Return the delay in ms, or null to give
 * up (the client then closes with a ConnectionClosedError).
 */
export interface ReconnectPolicy {
  nextDelay(attempt: number): number | null;
}

export interface FullJitterOptions {
  /** ceiling of the first delay, ms (default 500) */
  baseMs?: number;
  /** largest ceiling, ms (default 30 000) */
  capMs?: number;
  /** give up after this many consecutive failed attempts (default: never) */
  maxAttempts?: number;
  /** a uniform random number in [0, 1) (default Math.random) */
  random?: () => number;
}

/**
 * "Full jitter" exponential backoff (AWS Architecture Blog, "Exponential Backoff And Jitter"):
 * a delay drawn uniformly from [0, min(capMs, baseMs * 2^attempt)), so clients dropped together
 * (a node draining) spread their reconnects instead of arriving at once.
 */
export function fullJitterBackoff(options: FullJitterOptions = {}): ReconnectPolicy {
  const { baseMs = 500, capMs = 30_000, maxAttempts = Infinity, random = Math.random } = options;
  return {
    nextDelay(attempt) {
      if (attempt >= maxAttempts) return null;
      const ceiling = Math.min(capMs, baseMs * 2 ** attempt);
      return Math.floor(random() * ceiling);
    },
  };
}
