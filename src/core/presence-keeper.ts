import type { CoreContext } from './context.ts';
import type { Session } from './session.ts';

import { registerSession } from './session-lifecycle.ts';

/** Most lapsed sessions cleaned per tick; the rest wait for the next tick. */
const CLAIM_BATCH = 200;

/**
 * Keeps this node's sessions live in the cluster's presence, and cleans up after dead nodes.
 * Every `presenceTtlMs / 3` it renews all local sessions until now + `presenceTtlMs`, then claims
 * sessions whose deadline passed (their node died without ending them) and tells their rooms they
 * left. So a killed node's users drop out of presence and rosters within `presenceTtlMs` plus one
 * tick. Store failures are logged; the next tick tries again.
 *
 * When the store comes back after an outage (Redis may have restarted empty), every local
 * session is registered again: presence, resume record and room rosters; and for one TTL no
 * session is claimed as lapsed, so sessions of nodes that have not renewed yet are not mistaken
 * for dead ones. A claimed session stays resumable for the resume window.
 */
export class PresenceKeeper {
  private readonly ctx: CoreContext;
  private readonly sessions: () => Iterable<Session>;
  private timer: NodeJS.Timeout | undefined;
  /** the registration pass started by the store's latest return; settles when it is done */
  lastRestore: Promise<void> = Promise.resolve();
  /** no lapsed sessions are claimed before this time (ms) */
  private claimAfter = 0;
  private running: Promise<void> | null = null;

  constructor(ctx: CoreContext, sessions: () => Iterable<Session>) {
    this.ctx = ctx;
    this.sessions = sessions;
  }

  start(): void {
    this.timer = setInterval(() => void this.tick(), Math.max(50, Math.floor(this.ctx.limits.presenceTtlMs / 3)));
    let wasDown = false;
    this.ctx.store.onState((state) => {
      if (state === 'down') wasDown = true;
      if (state !== 'up' || !wasDown) return;
      wasDown = false;
      this.claimAfter = this.ctx.now() + this.ctx.limits.presenceTtlMs;
      this.lastRestore = this.restore();
    });
  }

  /** Registers every local session again; resolves when done (failures are logged). */
  async restore(): Promise<void> {
    const sessions = [...this.sessions()].filter((s) => !s.isClosed);
    await Promise.all(sessions.map((s) => registerSession(s)));
    this.ctx.logger.info({ sessions: sessions.length }, 'sessions registered again after a store outage');
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** One renewal and cleanup pass; overlapping calls share the pass in progress. */
  tick(): Promise<void> {
    this.running ??= this.pass().finally(() => (this.running = null));
    return this.running;
  }

  private async pass(): Promise<void> {
    const { ctx } = this;
    if (ctx.store.state !== 'up') return;
    try {
      const live = [...this.sessions()].filter((s) => !s.isClosed).map((s) => ({ member: s.sender, nodeId: ctx.nodeId }));
      if (live.length > 0) await ctx.store.touchSessions(live, ctx.now() + ctx.limits.presenceTtlMs);
      // after an outage other nodes need one renewal round before their sessions count as lapsed
      if (ctx.now() < this.claimAfter) return;
      const lapsed = await ctx.store.claimLapsed(ctx.now(), CLAIM_BATCH, ctx.now() + ctx.limits.resumeWindowMs);
      for (const { member, rooms } of lapsed) {
        ctx.logger.info({ sessionId: member.sessionId, userId: member.userId }, 'session lapsed: its node stopped renewing it');
        for (const room of rooms) {
          const channel = `room:${room}`;
          ctx.relay
            .publish(channel, { type: 'presence', channel, from: member, ts: ctx.now(), event: 'left' }, { mandatory: false })
            .catch((error: unknown) => ctx.logger.warn({ err: error, channel }, 'left event not published'));
        }
      }
    } catch (error) {
      ctx.logger.warn({ err: error }, 'presence renewal failed; retrying next tick');
    }
  }
}
