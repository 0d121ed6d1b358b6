import type { CoreContext } from './context.ts';
import type { Session } from './session.ts';
import { resumeRecord } from './session-record.ts';

/** Most lapsed sessions cleaned per tick; the rest wait for the next tick. */
const CLAIM_BATCH = 200;
/** sessions per registerAgain call */
const REGISTER_CHUNK = 1_000;

/**
 * Keeps this node's live sessions live in the cluster's presence, and cleans up after dead nodes.
 * Every `presenceTtlMs / 3` it renews all local live sessions until now + `presenceTtlMs`, then
 * claims sessions whose deadline passed (their node died without ending them) and tells their
 * rooms they left. So a killed node's users drop out of presence and rosters within
 * `presenceTtlMs` plus one tick. Store failures are logged; the next tick tries again.
 *
 * When the store comes back after an outage (Redis may have restarted empty), every live session
 * is registered again, in batches (`registerAgain`: a record the Store lost is recreated, one a
 * resume took over meanwhile closes the session here), and rejoins its rooms; and for one TTL no
 * session is claimed as lapsed, so sessions of nodes that have not renewed yet are not mistaken
 * for dead ones. A claimed session stays resumable for the resume window. When this node itself
 * renewed too late (it stalled past its sessions' deadline), its sessions are registered again the
 * same way: a record another node detached meanwhile is attached again, rooms are rejoined.
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
  /** the presence deadline of the latest renewal that went through; null before the first */
  private renewedUntil: number | null = null;
  /** a restore is in progress / another was asked for meanwhile */
  private restoring = false;
  private restoreAgain = false;

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

  /**
   * The Store has no trace of a session this node holds: it lost its data without this node
   * seeing it go down (a failover, a restart faster than a reconnect). Registers every live
   * session again, as after an outage; a call during a pass asks for one more pass after it.
   */
  storeLost(): void {
    this.registerSoon('the store has no record of sessions held here: registering them again');
  }

  /** A registration pass now, or one more after the pass in progress. */
  private registerSoon(why: string, fields: Record<string, unknown> = {}): void {
    if (this.restoring) {
      this.restoreAgain = true;
      return;
    }
    this.ctx.logger.warn(fields, why);
    this.lastRestore = this.restore();
  }

  /** Registers every live session again; resolves when done (failures are logged). */
  async restore(): Promise<void> {
    this.restoring = true;
    try {
      do {
        this.restoreAgain = false;
        await this.registerAll();
      } while (this.restoreAgain);
    } finally {
      this.restoring = false;
    }
  }

  private async registerAll(): Promise<void> {
    const { ctx } = this;
    await ctx.ends.flush();
    const live = this.live();
    for (let i = 0; i < live.length; i += REGISTER_CHUNK) {
      const chunk = live.slice(i, i + REGISTER_CHUNK);
      try {
        await ctx.store.touchSessions(chunk.map((s) => ({ member: s.sender, nodeId: ctx.nodeId })), ctx.now() + ctx.limits.presenceTtlMs);
        await this.endAgain(chunk.filter((s) => s.ended));
        const outcomes = await ctx.store.registerAgain(
          chunk.map((s) => ({ record: resumeRecord(s), epoch: s.epoch, seq: s.seq })),
          ctx.now(),
        );
        const closedMeanwhile: Array<[Session, number]> = [];
        chunk.forEach((session, j) => {
          const outcome = outcomes[j]!;
          if (outcome === 'taken') session.takenOver();
          else if (!session.ended) session.epoch = outcome.epoch;
          // closed while this ran: its own end named the epoch it had (none, or one since replaced)
          else closedMeanwhile.push([session, outcome.epoch]);
        });
        await Promise.all(closedMeanwhile.map(([session, epoch]) => this.endAgain([session], epoch)));
        await Promise.all(chunk.filter((s) => !s.ended).map((s) => this.rejoinRooms(s)));
      } catch (error) {
        ctx.logger.warn({ err: error, sessions: chunk.length }, 'sessions not registered again; retried when the store returns');
      }
    }
    ctx.logger.info({ sessions: live.length }, 'sessions registered again after a store outage');
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** One renewal and cleanup pass; overlapping calls share the pass in progress. */
  tick(): Promise<void> {
    this.running ??= this.pass().finally(() => (this.running = null));
    return this.running;
  }

  private live(): Session[] {
    return [...this.sessions()].filter((s) => s.state === 'live');
  }

  private async rejoinRooms(session: Session): Promise<void> {
    const rooms = [...session.subscriptions].filter((c) => c.startsWith('room:'));
    // a session resumed elsewhere meanwhile joins nothing here (null); its next log write closes it
    await Promise.all(rooms.map((c) => this.ctx.store.joinRoom(c.slice('room:'.length), session.sender, this.ctx.now(), session.epoch)));
    // a session that ended meanwhile may have ended before these joins landed: end it again
    if (session.ended) await this.endAgain([session]);
  }

  private async pass(): Promise<void> {
    const { ctx } = this;
    if (ctx.store.state !== 'up') return;
    try {
      await ctx.ends.flush();
      const live = this.live();
      // renewed too late (this node stalled, or its store calls hung): another node may have
      // claimed its sessions as lapsed (records detached, rooms told they left)
      const lateMs = this.renewedUntil === null ? 0 : ctx.now() - this.renewedUntil;
      const until = ctx.now() + ctx.limits.presenceTtlMs;
      if (live.length > 0) {
        await ctx.store.touchSessions(live.map((s) => ({ member: s.sender, nodeId: ctx.nodeId })), until);
        // one that ended while this renewal was on its way must not stay live
        await this.endAgain(live.filter((s) => s.ended));
      }
      this.renewedUntil = until;
      if (lateMs > 0 && live.length > 0) this.registerSoon("presence renewed too late: registering this node's sessions again", { lateMs });
      // after an outage other nodes need one renewal round before their sessions count as lapsed
      if (ctx.now() < this.claimAfter) return;
      const lapsed = await ctx.store.claimLapsed(ctx.now(), CLAIM_BATCH, ctx.now() + ctx.limits.resumeWindowMs);
      for (const { member, rooms } of lapsed) {
        ctx.logger.info({ sessionId: member.sessionId, userId: member.userId }, 'session lapsed: its node stopped renewing it');
        for (const room of rooms) {
          const channel = `room:${room}`;
          ctx.relay
            .publish(channel, { delivery: { type: 'presence', channel, from: member, ts: ctx.now(), event: 'left' } }, { mandatory: false })
            .catch((error: unknown) => ctx.logger.warn({ err: error, channel }, 'left event not published'));
        }
      }
    } catch (error) {
      ctx.logger.warn({ err: error }, 'presence renewal failed; retrying next tick');
    }
  }

  /**
   * Ends again sessions that ended while a write that lists them live was on its way (the end
   * can land first). Fenced as any end; a session cleanly closed is forgotten again, any other
   * stays resumable until a window from now.
   */
  private async endAgain(sessions: readonly Session[], epoch?: number): Promise<void> {
    const { ctx } = this;
    await Promise.all(
      sessions.map((s) => {
        const end = { resumableUntil: s.cleanClose ? null : ctx.now() + ctx.limits.resumeWindowMs, now: ctx.now() };
        return ctx.store.endSession(s.id, epoch ?? s.epoch, end).catch(() => ctx.ends.add(s.id, epoch ?? s.epoch, end));
      }),
    );
  }
}
