import type { CallRequests } from '../core/context.ts';
import { TetherError } from '../core/errors.ts';
import type { Pending } from '../core/requests.ts';
import type { Session } from '../core/session.ts';
import type { CallRequest } from '../protocol/index.ts';
import type { CallContext } from './call-context.ts';
import { CallClock } from './call-clock.ts';
import { changed } from './call-effects.ts';
import { callDelivery } from './call-events.ts';
import { listCalls } from './history-request.ts';
import { invite, sos } from './invite.ts';
import { transition } from './transitions.ts';

/** how often call history past its retention is deleted */
const PRUNE_EVERY_MS = 3_600_000;

/**
 * Server-side calls on one node (docs/protocol.md, section 15): answers the call requests, rings
 * the calls pending for a device the moment it goes live, and acts on deadlines (CallClock). The
 * state of every call is in the CallStore, so any node acts on any call; this node keeps only
 * timers.
 */
export class CallService implements CallRequests {
  private readonly ctx: CallContext;
  private readonly clock: CallClock;
  private pruner: NodeJS.Timeout | undefined;

  constructor(ctx: CallContext) {
    this.ctx = ctx;
    this.clock = new CallClock(ctx, (change) => changed(ctx, this.clock, change, null));
  }

  start(): void {
    this.clock.start();
    this.pruner = setInterval(() => void this.prune(), PRUNE_EVERY_MS);
    this.pruner.unref();
    void this.prune();
  }

  /** Stops the timers; resolves once the history written so far was tried. */
  async stop(): Promise<void> {
    this.clock.stop();
    clearInterval(this.pruner);
    await this.ctx.history.settled();
    this.ctx.history.stop();
  }

  async handle(session: Session, message: CallRequest): Promise<Pending> {
    return { result: Promise.resolve(await this.answer(session, message)) };
  }

  /** Resolves once the call history this node has written so far was tried (tests). */
  historySettled(): Promise<void> {
    return this.ctx.history.settled();
  }

  /** Checks deadlines now (tests; the clock does it by itself). */
  tick(): Promise<void> {
    return this.clock.tick();
  }

  /**
   * A SessionLiveHook: every call ringing the session's user right now reaches the new device at
   * once (its `invite` may also arrive live; apps drop a repeat by `callId`).
   */
  readonly sessionLive = (session: Session): void => {
    const { ctx } = this;
    const user = session.identity.userId;
    if (ctx.calls.mayRing?.(user) === false) return;
    ctx.calls.ringingFor(user, ctx.now()).then(
      (ringing) => {
        if (session.state !== 'live') return;
        for (const call of ringing) session.deliver(callDelivery(call, 'invite', user, null, ctx.now()));
      },
      (error: unknown) => ctx.logger.warn({ err: error, sessionId: session.id }, 'pending calls not read for a new session: store unavailable'),
    );
  };

  private answer(session: Session, message: CallRequest) {
    const { ctx, clock } = this;
    switch (message.type) {
      case 'invite':
        return invite(ctx, clock, session, message);
      case 'sos':
        return sos(ctx, clock, session, message);
      case 'accept':
      case 'reject':
      case 'cancel':
      case 'hangup':
        return transition(ctx, clock, session, message);
      case 'calls':
        return listCalls(ctx, session, message);
      case 'turn':
        if (!ctx.turn) throw new TetherError('TURN_UNAVAILABLE');
        return ctx.turn.credentials(session.identity.userId, ctx.now());
      default:
        return assertNever(message);
    }
  }

  private async prune(): Promise<void> {
    const { ctx } = this;
    try {
      const pruned = await ctx.records.calls.pruneCalls(ctx.now() - ctx.limits.historyRetentionMs);
      if (pruned > 0) ctx.logger.info({ pruned }, 'call history past its retention deleted');
    } catch (error) {
      ctx.logger.debug({ err: error }, 'call history not pruned: records unavailable; next hour tries again');
    }
  }
}

function assertNever(value: never): never {
  throw new Error(`unhandled call request: ${JSON.stringify(value)}`);
}
