import { randomBytes, randomUUID } from 'node:crypto';
import type { ClientMessage, Sender, ServerMessage, SessionDelivery } from '../protocol/index.ts';
import { CLOSE_CODES, UnnumberedDelivery } from '../protocol/index.ts';
import type { LogOutcome, LoggedFrame, PendingFrame, SessionFrames } from '../store/store.ts';
import { ChannelSet } from './channel-set.ts';
import type { CoreContext } from './context.ts';
import type { LoggedSession, OutgoingFrame } from './delivery-log.ts';
import type { Identity } from './identity.ts';
import { OffsetFilter } from './offset-filter.ts';
import type { Subscriber } from './relay.ts';
import { RequestLedger } from './request-ledger.ts';
import { SerialQueue } from './serial-queue.ts';

/** How the core talks back to one connection; implemented by the transport. */
export interface Outbound {
  /** `text`, when given, is `frame` already serialized (so it is not serialized twice) */
  send(frame: ServerMessage, text?: string): void;
  /** closes the connection from the server side */
  close(code: number, reason: string): void;
}

/**
 * `opening`: the open steps run (see session-open.ts); deliveries are held, requests wait.
 * `live`: open. `detached`: the socket closed and the session stays resumable; `closing`: it
 * closed cleanly (1000) and the session is being forgotten; both are cleaning up (see
 * session-close.ts). `closed`: nothing left on this node, or taken over by a resume elsewhere.
 */
export type SessionState = 'opening' | 'live' | 'detached' | 'closing' | 'closed';

interface Held {
  /** holds not yet released */
  holders: number;
  /** live deliveries that arrived meanwhile, with their offsets */
  deliveries: Array<[SessionDelivery, number | undefined]>;
  /** direct messages the holders found still owed */
  owed: PendingFrame[];
}

/** Thrown inside a step that finds its session ended after an await; its answer goes nowhere. */
export class SessionEnded extends Error {
  override name = 'SessionEnded';
}

/**
 * One authenticated connection's session: the single owner of its state (lifecycle, channels,
 * numbering, what it holds back, what it was delivered). Steps that await a Bus or Store call
 * check `ended` when they resume and undo what they did if the session moved on meanwhile.
 *
 * Delivery: every frame is numbered (`seq`, from 1, no gaps), logged to the session's Store record
 * and only then written to the socket (see delivery-log.ts), so a resume knows exactly what the
 * client can have. A direct message carries its offset; a copy of one already delivered is dropped.
 * While held (opening, or catching up after the bus came back) deliveries wait and follow what is
 * replayed. Once the socket is gone nothing more is delivered here: the direct messages owed to
 * the session stay pending in the Store.
 *
 * Requests take effect in the order received (one `SerialQueue`); a publish only waits its turn to
 * be issued to the bus, not for the bus's confirm, so publishes stay pipelined.
 */
export class Session implements Subscriber, LoggedSession {
  /** fixed once opened (a resume adopts the resumed session's id) */
  id: string;
  readonly identity: Identity;
  readonly subscriptions = new ChannelSet();
  readonly ctx: CoreContext;
  state: SessionState = 'opening';
  /** the client closed with 1000: the session is forgotten, not kept resumable */
  cleanClose = false;
  /** Store epoch of this session's record; null when it has none (the Store was unreachable) */
  epoch: number | null = null;
  /** @internal the secret half of the resume token */
  resumeSecret: string = randomBytes(18).toString('base64url');
  /** @internal the last seq assigned */
  seq = 0;
  /** @internal see LoggedSession */
  unlogged: SessionFrames['unlogged'] = undefined;
  readonly queue = new SerialQueue();
  private readonly outbound: Outbound;
  /** made on the first request: a connection that only waits for calls never needs it */
  private ledger: RequestLedger | undefined;
  /** while deliveries are held (opening, catching up): null otherwise, so an idle session holds nothing */
  private held: Held | null = { holders: 1, deliveries: [], owed: [] };
  /** made on the first direct message */
  private offsets: OffsetFilter | undefined;

  constructor(ctx: CoreContext, identity: Identity, outbound: Outbound) {
    this.ctx = ctx;
    this.identity = identity;
    this.outbound = outbound;
    this.id = randomUUID();
  }

  /** The `from` stamped on everything this session sends. */
  get sender(): Sender {
    return { userId: this.identity.userId, role: this.identity.role, sessionId: this.id };
  }

  /** The socket is gone (or the session was taken over): no step may add anything for it now. */
  get ended(): boolean {
    return this.state !== 'opening' && this.state !== 'live';
  }

  /** Throws SessionEnded once ended: for steps resuming after an await. */
  assertOpen(): void {
    if (this.ended) throw new SessionEnded(`session ${this.id} ended`);
  }

  // --- delivery

  deliver(message: SessionDelivery, offset?: number): void {
    if (this.held) {
      this.held.deliveries.push([message, offset]);
      return;
    }
    if (this.state !== 'live') return;
    if (offset !== undefined && !(this.offsets ??= new OffsetFilter()).admit(offset)) return;
    if (message.type !== 'stale') {
      this.ctx.metrics.relayLatency(message.type, Math.max(0, this.ctx.now() - message.ts) / 1000);
    }
    const frame = { ...message, seq: ++this.seq } as ServerMessage & { seq: number };
    const outgoing: OutgoingFrame = { seq: frame.seq, frame, text: JSON.stringify(frame) };
    if (offset !== undefined) outgoing.offset = offset;
    if (this.epoch === null) this.outbound.send(frame, outgoing.text);
    else this.ctx.deliveryLog.append(this, outgoing);
  }

  /** @internal DeliveryLog: frames it logged (or could not), in the order they were appended. */
  logged(frames: OutgoingFrame[], outcome: LogOutcome | 'failed', declared: SessionFrames['unlogged']): void {
    if (outcome === 'fenced') {
      // fenced after the session ended here (a clean close forgot it) is no takeover
      if (!this.ended) this.takenOver();
      return;
    }
    if (outcome === 'ok') {
      if (this.unlogged === declared) this.unlogged = undefined;
    } else {
      // the Store lost its data: the node registers its sessions again (a record with a hole)
      if (outcome === 'missing') this.ctx.storeLost();
      // sent anyway (signaling works without the Store); declared as a hole with the next write
      const last = frames.at(-1)!.seq;
      const offsets = frames.flatMap((f) => (f.offset === undefined ? [] : [f.offset]));
      this.unlogged = { toSeq: last, offsets: [...(this.unlogged?.offsets ?? []), ...offsets] };
    }
    if (this.state !== 'live') return;
    for (const { frame, text } of frames) this.outbound.send(frame, text);
  }

  /**
   * Holds live deliveries until the matching `release` (while missed frames are replayed or
   * caught up). Holds nest: deliveries flow again when the last holder releases.
   */
  hold(): void {
    if (this.ended) return;
    if (this.held) this.held.holders++;
    else this.held = { holders: 1, deliveries: [], owed: [] };
  }

  /**
   * One holder is done, with the direct messages it found still owed. When it is the last, the
   * session delivers what was owed and what was held meanwhile, merged so that each sender's
   * messages keep their order: the held ones in arrival order, each preceded by the owed ones
   * with lower offsets (offsets grow in the order messages are sent), the rest after. A held
   * message without an offset (relayed live only: its sender could not keep it) has no place of
   * its own; it counts as no older than the next held message that has one, so owed messages,
   * sent before it, come first. Copies the session already has are dropped by offset.
   */
  release(pending: readonly PendingFrame[] = []): void {
    const held = this.held;
    if (!held) return;
    held.owed.push(...pending);
    if (--held.holders > 0) return;
    this.held = null;
    const owed = held.owed.sort((a, b) => a.offset - b.offset);
    const { deliveries } = held;
    // the offset each held message is placed by: its own, else the next held one's
    const places = new Array<number>(deliveries.length);
    let later = Infinity;
    for (let i = deliveries.length - 1; i >= 0; i--) places[i] = later = deliveries[i]![1] ?? later;
    let next = 0;
    deliveries.forEach(([message, offset], i) => {
      for (; next < owed.length && owed[next]!.offset < places[i]!; next++) this.deliverOwed(owed[next]!);
      this.deliver(message, offset);
    });
    for (; next < owed.length; next++) this.deliverOwed(owed[next]!);
  }

  private deliverOwed({ offset, frame }: PendingFrame): void {
    const message = UnnumberedDelivery.safeParse(JSON.parse(frame));
    if (message.success) this.deliver(message.data, offset);
    else this.ctx.logger.error({ sessionId: this.id, offset }, 'unreadable pending message skipped');
  }

  /**
   * A resume: remembers the direct messages the session's log says it was delivered (copies of
   * them are dropped), then sends the frames the client missed with their own numbers.
   */
  replay(delivered: readonly number[], frames: readonly LoggedFrame[]): void {
    if (delivered.length > 0) {
      const offsets = (this.offsets ??= new OffsetFilter());
      for (const offset of delivered) offsets.admit(offset);
    }
    for (const { frame } of frames) this.outbound.send(JSON.parse(frame) as ServerMessage, frame);
  }

  // --- requests

  /** Answers one parsed request, exactly once per id (see request-ledger.ts). */
  receive(message: ClientMessage): void {
    if (this.ended) return;
    (this.ledger ??= new RequestLedger(this.ctx.limits.requestCacheSize)).receive(this, message);
  }

  /** @internal seeds the request ledger with what the session did before a resume */
  rememberRequests(journal: ReadonlyArray<{ requestId: string; offset?: number }>): void {
    if (journal.length === 0) return;
    (this.ledger ??= new RequestLedger(this.ctx.limits.requestCacheSize)).restore(journal);
  }

  /** Sends an error frame for a request that never reached `receive` (unparseable, rate limited). */
  reject(frame: Extract<ServerMessage, { type: 'error' }>): void {
    this.ctx.metrics.error(frame.code);
    this.send(frame);
  }

  /** Sends an unnumbered frame (welcome, ack, error) while the connection is open. */
  send(frame: ServerMessage): void {
    if (!this.ended) this.outbound.send(frame);
  }

  // --- lifecycle (the steps live in session-open.ts and session-close.ts)

  /** @internal marks the session live; deliveries stay held until `release` */
  markLive(): void {
    if (this.state === 'opening') this.state = 'live';
  }

  /**
   * The socket closed. Returns true when the caller must clean up (the session was live); an
   * opening session's steps see `ended` and undo themselves.
   */
  markEnded(clean: boolean): boolean {
    const wasLive = this.state === 'live';
    if (this.state === 'opening' || this.state === 'live') {
      this.state = clean ? 'closing' : 'detached';
      this.cleanClose = clean;
    }
    this.held = null;
    return wasLive;
  }

  /** @internal cleanup finished */
  markClosed(): void {
    this.state = 'closed';
  }

  /**
   * A resume took the session over on another node (a write here was fenced): nothing more is
   * delivered or cleaned up from here, and the connection, which is dead or stale, is closed.
   */
  takenOver(): void {
    if (this.state === 'closed') return;
    const wasOpen = !this.ended;
    this.state = 'closed';
    this.held = null;
    for (const channel of this.subscriptions) void this.ctx.relay.remove(channel, this).catch(() => {});
    this.ctx.logger.info({ sessionId: this.id }, 'session resumed elsewhere; closing its old connection');
    if (wasOpen) this.outbound.close(CLOSE_CODES.SESSION_TAKEN_OVER, 'session resumed on another connection');
  }
}
