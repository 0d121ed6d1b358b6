import type { z } from 'zod';
import type { Position, PositionFix as PositionFixSchema, ServerMessage, SignalBody, SubscribeResult, Welcome } from '../../src/protocol/index.ts';
import { locationChannel } from './channels.ts';
import { Emitter, type Listener } from './emitter.ts';
import { ConnectionClosedError, RequestError, type ProtocolError, type TetherError } from './errors.ts';
import type { Channel, ConnectionState, SignalTarget, StateChange, TetherEvents } from './events.ts';
import { IdleWatch } from './idle-watch.ts';
import { Link } from './link.ts';
import { type LocationFix, type LocationWatch, watchLocation } from './location-watch.ts';
import type { ResolvedOptions } from './options.ts';
import { Outbox } from './outbox.ts';
import { ResumeState } from './resume.ts';
import { Subscriptions, toSubscribeResult } from './subscriptions.ts';

/** A position as the server accepted it: the fix, who sent it, server time (ms). */
export type PositionFix = z.infer<typeof PositionFixSchema>;

/** A signal body as the app writes it (`invite.media` defaults to 'audio'). */
export type SignalInput = z.input<typeof SignalBody>;

/**
 * A connection to Tether that survives reconnects. Create one with `connect()`.
 *
 * Contract:
 * - Every request gets an id and settles exactly once: with the ack's result, or with a
 *   TetherError (RequestError for the server's error frames, TimeoutError, ConnectionClosedError,
 *   OfflineQueueFullError, InvalidRequestError).
 * - A signal into a room is never sent before that room's subscribe ack on the current
 *   connection; it waits for it.
 * - Requests made while not open wait in a bounded queue and go out after the next `welcome`,
 *   once every subscribed channel has been subscribed again.
 * - Reconnects resume the session when the server allows it (`welcome.resumed.ok`): frames
 *   sent to this client while it was away are delivered after the reconnect, in order, once
 *   each (every delivered frame's `seq` is tracked; repeats are dropped), and subscriptions the
 *   server kept are not subscribed again. Otherwise a new session starts and every channel is
 *   re-subscribed; what was sent meanwhile is missed.
 * - A request that was in flight when the connection dropped is sent again, same id, on the
 *   next one. A resumed session remembers the writes it took, so it does not act twice; after a
 *   new session it may (a signal relayed twice, a position stored twice). Make signal handling
 *   idempotent (e.g. by callId and kind).
 */
export class TetherClient {
  private readonly events = new Emitter<TetherEvents>();
  private readonly link: Link;
  private readonly outbox: Outbox;
  private readonly subs: Subscriptions;
  private readonly idle: IdleWatch;
  private readonly resume = new ResumeState();
  private lastWelcome: Welcome | null = null;
  private closedWith: ConnectionClosedError | null = null;

  /** @internal Use `connect()`. */
  constructor(options: ResolvedOptions) {
    const { timers } = options;
    this.link = new Link(options, {
      onWelcome: (welcome, previous) => this.opened(welcome, previous),
      onFrame: (frame) => this.dispatch(frame),
      onBadFrame: (error, raw) => this.badFrame(error, raw),
      onDown: (reason) => this.down(reason),
      onState: (change) => this.changed(change),
      onError: (error) => this.events.emit('error', error),
      resumeQuery: () => this.resume.query(),
    });
    this.outbox = new Outbox({
      timers,
      requestTimeoutMs: options.requestTimeoutMs,
      maxAttempts: options.maxAttempts,
      offlineQueueLimit: options.offlineQueueLimit,
      link: this.link,
      gateOpen: (channel) => this.subs.gateOpen(channel),
    });
    this.subs = new Subscriptions({
      timers,
      policy: options.reconnect,
      request: (input) => this.outbox.request(input, { internal: true, front: true }),
      hasSubscribe: (channel) => this.outbox.hasSubscribe(channel),
      isOpen: () => this.link.isOpen,
      pump: () => this.outbox.pump(),
      subscribed: (channel, result, resubscribed) => this.events.emit('subscribed', { channel, result, resubscribed }),
      lost: (error) => this.events.emit('error', error),
    });
    this.idle = new IdleWatch(timers, () => this.link.framesReceived, () => this.probe());
    this.link.start();
  }

  get state(): ConnectionState {
    return this.link.state;
  }

  /** The current connection's `welcome` (session id, node, limits); null before the first. */
  get welcome(): Welcome | null {
    return this.lastWelcome;
  }

  /** Requests waiting to be sent (offline, or held for a subscribe ack). */
  get queued(): number {
    return this.outbox.queued;
  }

  /** Listens to `event`; returns a function that stops listening. */
  on<K extends keyof TetherEvents>(event: K, listener: Listener<TetherEvents[K]>): () => void {
    return this.events.on(event, listener);
  }

  /** Resolves with the current `welcome` once open; rejects with the ConnectionClosedError if closed first. */
  ready(): Promise<Welcome> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    if (this.state === 'open' && this.lastWelcome) return Promise.resolve(this.lastWelcome);
    return new Promise((resolve, reject) => {
      const stop: Array<() => void> = [];
      const settle = (run: () => void): void => {
        stop.forEach((off) => off());
        run();
      };
      stop.push(
        this.on('welcome', (welcome) => settle(() => resolve(welcome))),
        this.on('state', (change) => change.state === 'closed' && settle(() => reject(change.error))),
      );
    });
  }

  /**
   * Subscribes to `channel` and resolves with the ack's result once the subscription is live
   * cluster-wide: `members` for a room (this connection included), `last` position for a
   * location stream. The SDK re-subscribes it after every reconnect until `unsubscribe`.
   * Rejects (and forgets the channel) if the server refuses, e.g. FORBIDDEN.
   */
  subscribe(channel: Channel): Promise<SubscribeResult> {
    this.subs.want(channel);
    return this.outbox.request({ type: 'subscribe', channel }).then(
      (result) => toSubscribeResult(channel, result),
      (error: TetherError) => {
        this.subs.refused(channel, error, false);
        throw error;
      },
    );
  }

  /**
   * Stops receiving `channel` and stops re-subscribing it. Resolves at once when it is not live
   * on the current connection (nothing to undo on the server), else on the server's ack.
   */
  async unsubscribe(channel: Channel): Promise<void> {
    const wasLive = this.subs.unwant(channel);
    this.outbox.pump();
    if (!wasLive) return;
    await this.outbox.request({ type: 'unsubscribe', channel }).catch((error: unknown) => {
      if (!(error instanceof RequestError && error.code === 'NOT_SUBSCRIBED')) throw error;
    });
  }

  /**
   * Relays `signal` to a user (`user:<id>`, every device) or into a room (`room:<id>`).
   * Resolves when the server's bus accepted it. Into a room: held until that room's subscribe
   * ack. To a user with no live session anywhere: rejects with PEER_UNAVAILABLE at once, or
   * resolves `{ queued: true }` when the server parked it for a session of that user that may
   * still resume (it is delivered only if that session resumes within the resume window).
   */
  async signal(to: SignalTarget, callId: string, signal: SignalInput): Promise<{ queued: boolean }> {
    const gate = to.startsWith('room:') ? to : null;
    const result = await this.outbox.request({ type: 'signal', to, callId, signal }, { gate });
    return { queued: result !== undefined && 'queued' in result && result.queued };
  }

  /** Publishes this patient's position to `location:<own id>`; resolves once relayed and stored. */
  async publishLocation(position: Position): Promise<void> {
    await this.outbox.request({ type: 'location', position });
  }

  /**
   * A patient's recent positions, oldest first: those accepted at or after `since` (server time,
   * ms), at most `limit` of the newest (server default 100). Same rights as watching the stream.
   */
  async history(patientId: string, options: { since?: number; limit?: number } = {}): Promise<PositionFix[]> {
    const result = await this.outbox.request({ type: 'history', channel: locationChannel(patientId), ...options });
    return result && 'positions' in result ? result.positions : [];
  }

  /** Whether `userId` has a live session anywhere in the cluster, and how many (devices). */
  async lookup(userId: string): Promise<{ online: boolean; sessions: number }> {
    const result = await this.outbox.request({ type: 'lookup', userId });
    return result && 'online' in result ? { online: result.online, sessions: result.sessions } : { online: false, sessions: 0 };
  }

  /** Round trip to the server: its clock (`ts`) and the time to the answer, queueing included. */
  async ping(): Promise<{ ts: number; rttMs: number }> {
    const started = Date.now();
    const result = await this.outbox.request({ type: 'ping' });
    const ts = result && 'ts' in result ? result.ts : Number.NaN;
    return { ts, rttMs: Date.now() - started };
  }

  /** Follows a patient's location: see `watchLocation` in location-watch.ts. */
  watchLocation(patientId: string, onFix: (fix: LocationFix) => void): Promise<LocationWatch> {
    return watchLocation(this, patientId, onFix);
  }

  /**
   * Closes for good: state 'closed', every pending request rejected with a ConnectionClosedError.
   * The socket is closed with 1000, which ends the session on the server (it is not kept for
   * resume; signals to this user are then answered PEER_UNAVAILABLE, not queued).
   */
  close(): void {
    this.resume.forget();
    this.link.close();
  }

  private opened(welcome: Welcome, previous: ConnectionState): void {
    this.lastWelcome = welcome;
    const resumed = this.resume.welcomed(welcome);
    // re-subscribe what the server does not have, then flush the queue: held room signals wait for their acks
    this.outbox.batch(() => this.subs.restore(resumed ? welcome.subscriptions : null, `user:${welcome.user.id}`));
    this.idle.start(welcome.heartbeatMs * 2);
    this.events.emit('state', { state: 'open', previous });
    this.events.emit('welcome', welcome);
  }

  private down(reason: string): void {
    this.idle.stop();
    this.subs.reset();
    this.outbox.linkDown(reason);
  }

  private changed(change: StateChange): void {
    if (change.state === 'closed') {
      const error = change.error instanceof ConnectionClosedError ? change.error : new ConnectionClosedError(change.reason ?? 'closed', { retryable: false });
      this.closedWith = error;
      this.idle.stop();
      this.subs.reset();
      this.outbox.close(error);
    }
    this.events.emit('state', change);
  }

  private dispatch(frame: Exclude<ServerMessage, { type: 'welcome' }>): void {
    switch (frame.type) {
      case 'ack': {
        const settled = this.outbox.settle(frame);
        const request = settled?.request.frame;
        if (request?.type === 'subscribe') this.subs.acked(request.channel, frame.result, settled!.request.internal);
        return;
      }
      case 'error':
        // an unknown id is the repeated answer to a re-sent request: already settled
        if (frame.id === null) this.events.emit('error', new RequestError(frame));
        else this.outbox.settle(frame);
        return;
      // numbered deliveries: a seq not above the last delivered one is a replayed duplicate; one
      // past the next is a gap: resume from the last one delivered, to get the missing frames
      case 'signal':
        return this.numbered(frame) ? this.events.emit('signal', frame) : undefined;
      case 'location':
        return this.numbered(frame) ? this.events.emit('location', frame) : undefined;
      case 'presence':
        return this.numbered(frame) ? this.events.emit('presence', frame) : undefined;
      case 'stale':
        return this.numbered(frame) ? this.events.emit('stale', frame) : undefined;
      case 'call':
        return this.numbered(frame) ? this.events.emit('call', frame) : undefined;
      case 'alert':
        return this.numbered(frame) ? this.events.emit('alert', frame) : undefined;
      default:
        return assertNever(frame);
    }
  }

  /** True when a numbered frame is the next one; on a gap, drops the link to resume from the last delivered. */
  private numbered(frame: { seq: number }): boolean {
    const verdict = this.resume.accept(frame.seq);
    if (verdict === 'gap') this.link.drop(`seq ${frame.seq} after ${this.resume.lastSeq}: frames missing; resuming to get them`);
    return verdict === 'deliver';
  }

  /** An unreadable frame: if it answers a request, that request fails instead of timing out. */
  private badFrame(error: ProtocolError, raw: unknown): void {
    const fields = typeof raw === 'object' && raw !== null ? (raw as { type?: unknown; id?: unknown }) : {};
    if ((fields.type === 'ack' || fields.type === 'error') && typeof fields.id === 'string') this.outbox.fail(fields.id, error);
    this.events.emit('error', error);
  }

  /** The link was silent for two heartbeats: a ping either shows it alive or gets it dropped. */
  private probe(): void {
    this.outbox.request({ type: 'ping' }, { internal: true, maxAttempts: 1 }).catch(() => {});
  }
}

function assertNever(value: never): never {
  throw new Error(`unhandled server frame: ${JSON.stringify(value)}`);
}
