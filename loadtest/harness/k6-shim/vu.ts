/**
 * One VU of the runner, and the rules k6 applies to it (k6's per-VU event loop):
 *
 * - An iteration ends when the VU has nothing left that can call it back: no pending timer and no
 *   WebSocket that is not closed yet. A promise that never settles does not keep it alive; an
 *   interval never cleared or a socket never closed does (until the scenario's maxDuration).
 * - An exception in the iteration, in a timer callback or in a WebSocket event handler ends the
 *   iteration at once with that error (k6 logs it; it does not change the exit code). Later
 *   callbacks of that VU are dropped.
 * - `exec.test.abort()` anywhere ends the whole run (exit code 108).
 *
 * Code running for a VU finds it with `currentVu()`: every callback is run inside `vu.invoke`.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

/** Thrown by `exec.test.abort()`; the runner stops the test when a VU ends with it. */
export class TestAbort extends Error {}

export type Outcome = 'complete' | 'error' | 'interrupted' | 'aborted';

const store = new AsyncLocalStorage<Vu>();

export function currentVu(): Vu {
  const vu = store.getStore();
  if (!vu) throw new Error('k6 runner: this API is available only inside a VU (not in the init context or setup)');
  return vu;
}

/** The VU the caller runs in, or null (init context, setup). */
export function maybeVu(): Vu | null {
  return store.getStore() ?? null;
}

export class Vu {
  readonly id: number;
  readonly scenario: string;
  readonly iterationInTest: number;
  readonly startTime: number;
  /** why the run must stop, when a VU called exec.test.abort() */
  static onAbort: (reason: string) => void = () => {};
  private handles = 0;
  private readonly cancels = new Set<() => void>();
  private ended = false;
  private resolve!: (outcome: Outcome) => void;
  readonly done: Promise<Outcome>;

  constructor(id: number, scenario: string, iterationInTest: number, startTime: number) {
    this.id = id;
    this.scenario = scenario;
    this.iterationInTest = iterationInTest;
    this.startTime = startTime;
    this.done = new Promise((resolve) => (this.resolve = resolve));
  }

  get active(): boolean {
    return !this.ended;
  }

  /** Runs the iteration function; `done` resolves with how the iteration ended. */
  start(fn: () => unknown): Promise<Outcome> {
    this.invoke(() => {
      const result = fn();
      if (result instanceof Promise) result.catch((error: unknown) => this.fail(error));
    });
    return this.done;
  }

  /**
   * Something that can call the VU back (a timer, an open socket) exists until the returned
   * function is called; `cancel` is called if the iteration ends first.
   */
  hold(cancel: () => void): () => void {
    this.handles++;
    this.cancels.add(cancel);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.handles--;
      this.cancels.delete(cancel);
      this.checkIdle();
    };
  }

  /** Runs a callback for this VU; an exception ends the iteration. Dropped once it ended. */
  invoke(fn: () => void): void {
    if (this.ended) return;
    try {
      store.run(this, fn);
    } catch (error) {
      this.fail(error);
    }
    this.checkIdle();
  }

  fail(error: unknown): void {
    if (this.ended) return;
    if (error instanceof TestAbort) {
      Vu.onAbort(error.message);
      this.end('aborted');
      return;
    }
    console.error(`VU ${this.id} (${this.scenario}): iteration failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    this.end('error');
  }

  /** maxDuration (plus gracefulStop) passed, or the run was aborted. */
  interrupt(): void {
    this.end('interrupted');
  }

  private checkIdle(): void {
    // after the microtasks the callback queued: they may start new timers or sockets
    setImmediate(() => {
      if (!this.ended && this.handles === 0) this.end('complete');
    });
  }

  private end(outcome: Outcome): void {
    if (this.ended) return;
    this.ended = true;
    for (const cancel of [...this.cancels]) cancel();
    this.cancels.clear();
    this.resolve(outcome);
  }
}
