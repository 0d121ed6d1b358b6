import type { CallContext } from './call-context.ts';
import type { CallRecord, Change } from './call-store.ts';

/** deadlines handled per CallStore.due call */
const BATCH = 100;

/**
 * Acts on calls whose deadline passed: a ring that timed out (missed, or the next of a circle),
 * an accepted call past its longest duration. The node that rings a callee arms a timer for the
 * end of that ring, so a timeout is on time; and every node asks the CallStore every `sweepMs`
 * for any deadline that passed, so the calls of a node that died are ended (or escalated) by the
 * others within `sweepMs`. The store hands each deadline to one node only.
 */
export class CallClock {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private sweeper: NodeJS.Timeout | undefined;
  private running: Promise<void> | null = null;
  private again = false;
  private readonly ctx: CallContext;
  private readonly onChange: (change: Change) => void;

  constructor(ctx: CallContext, onChange: (change: Change) => void) {
    this.ctx = ctx;
    this.onChange = onChange;
  }

  start(): void {
    this.sweeper = setInterval(() => void this.tick(), this.ctx.limits.sweepMs);
    this.sweeper.unref();
  }

  stop(): void {
    clearInterval(this.sweeper);
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  /** A timer for the end of `call`'s current ring. */
  arm(call: CallRecord): void {
    if (call.state !== 'ringing') return;
    clearTimeout(this.timers.get(call.callId));
    const timer = setTimeout(() => {
      this.timers.delete(call.callId);
      void this.tick();
    }, Math.max(0, call.ringUntil - this.ctx.now()) + 1);
    timer.unref();
    this.timers.set(call.callId, timer);
  }

  forget(callId: string): void {
    clearTimeout(this.timers.get(callId));
    this.timers.delete(callId);
  }

  /** One pass over what is due; a call during a pass runs one more after it. */
  tick(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.pass().finally(() => {
      this.running = null;
      if (this.again) {
        this.again = false;
        void this.tick();
      }
    });
    return this.running;
  }

  private async pass(): Promise<void> {
    for (;;) {
      let changes: Change[];
      try {
        changes = await this.ctx.calls.due(this.ctx.now(), BATCH);
      } catch (error) {
        this.ctx.logger.warn({ err: error }, 'call deadlines not checked: store unavailable; next sweep tries again');
        return;
      }
      for (const change of changes) {
        this.forget(change.call.callId);
        this.onChange(change);
      }
      if (changes.length < BATCH) return;
    }
  }
}
