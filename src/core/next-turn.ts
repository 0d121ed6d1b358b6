/** What runs at the end of this turn of the event loop, in the order queued. */
let queued: Array<() => void> = [];

/**
 * Runs `fn` at the end of this turn of the event loop (in one setImmediate with everything else
 * queued in this turn), so the Store calls of the node's batchers (the resume log, kept direct
 * messages, the request journal) are issued together: ioredis sends the commands issued in one
 * tick in one write, and Redis answers them in one, instead of a round trip per batcher. `fn` must
 * not throw.
 */
export function atEndOfTurn(fn: () => void): void {
  if (queued.push(fn) === 1) setImmediate(runQueued);
}

function runQueued(): void {
  const fns = queued;
  queued = [];
  for (const fn of fns) fn();
}
