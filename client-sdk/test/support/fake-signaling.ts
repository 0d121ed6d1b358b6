/**
 * An in-memory stand-in for Tether between CallSessions in unit tests: each `endpoint(userId)`
 * is a CallSignaling (what a CallSession needs of a TetherClient) whose `signal()` validates
 * the body with the protocol schema and delivers it to every endpoint of the target user, in
 * order, on a later task. `hold()` / `release()` stop and restart delivery, so a test can have
 * both sides send before either receives (glare); `duplicate` delivers every frame twice, as a
 * request relayed twice across a reconnect would be. A user with no endpoint gets the server's
 * PEER_UNAVAILABLE. `reconnect()` emits a new `welcome`, as a client's reconnect does.
 * Against the real server, use TetherClients on the in-process cluster instead.
 */
import { type SignalDelivery, SignalBody, type Welcome } from '../../../src/protocol/index.ts';
import { Emitter, type Listener } from '../../src/emitter.ts';
import { type CallSignaling, RequestError, type SignalInput, type SignalTarget, type TetherEvents } from '../../src/index.ts';

export class FakeSignalingNetwork {
  /** deliver every frame twice */
  duplicate = false;
  private readonly endpoints: FakeEndpoint[] = [];
  private readonly queue: Array<() => void> = [];
  private held = false;
  private scheduled = false;
  private waiters: Array<{ count: number; resolve: () => void }> = [];

  endpoint(userId: string, sessionId = `${userId}-s${this.endpoints.length + 1}`): FakeEndpoint {
    const endpoint = new FakeEndpoint(this, userId, sessionId);
    this.endpoints.push(endpoint);
    return endpoint;
  }

  /** Frames waiting for delivery. */
  get pending(): number {
    return this.queue.length;
  }

  hold(): void {
    this.held = true;
  }

  release(): void {
    this.held = false;
    this.schedule();
  }

  /** Resolves once at least `count` frames wait (use with `hold()`). */
  whenPending(count: number): Promise<void> {
    if (this.queue.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ count, resolve }));
  }

  /** @internal used by endpoints */
  route(from: FakeEndpoint, to: SignalTarget, callId: string, signal: SignalInput): Promise<{ queued: boolean }> {
    const body = SignalBody.parse(signal); // what the server would refuse fails the test
    const userId = to.slice(to.indexOf(':') + 1);
    const targets = this.endpoints.filter((e) => e.userId === userId && e.online);
    if (targets.length === 0) {
      return Promise.reject(new RequestError({ type: 'error', id: 'fake', code: 'PEER_UNAVAILABLE', message: `${userId} is not connected`, retryable: true }));
    }
    for (const target of targets) {
      const copies = this.duplicate ? 2 : 1;
      for (let i = 0; i < copies; i++) this.queue.push(() => target.deliver({ channel: to, from: from.sender, callId, signal: body }));
    }
    this.waiters = this.waiters.filter((w) => (this.queue.length >= w.count ? (w.resolve(), false) : true));
    this.schedule();
    return Promise.resolve({ queued: false });
  }

  private schedule(): void {
    if (this.held || this.scheduled || this.queue.length === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      while (!this.held && this.queue.length > 0) this.queue.shift()!();
    });
  }
}

export class FakeEndpoint implements CallSignaling {
  readonly userId: string;
  welcome: Welcome;
  online = true;
  /** every signal this endpoint sent, in order */
  readonly sent: Array<{ to: string; callId: string; kind: string }> = [];
  private readonly network: FakeSignalingNetwork;
  private readonly events = new Emitter<TetherEvents>();
  private seq = 0;

  constructor(network: FakeSignalingNetwork, userId: string, sessionId: string) {
    this.network = network;
    this.userId = userId;
    this.welcome = {
      type: 'welcome',
      sessionId,
      nodeId: 'fake',
      user: { id: userId, role: 'caregiver' },
      subscriptions: [`user:${userId}`],
      heartbeatMs: 25_000,
      staleAfterMs: 60_000,
      resume: null,
      limits: { maxFrameBytes: 65_536, ratePerSecond: 50, rateBurst: 100, maxSubscriptions: 100 },
    };
  }

  get sender(): SignalDelivery['from'] {
    return { userId: this.userId, role: this.welcome.user.role, sessionId: this.welcome.sessionId };
  }

  on<K extends 'signal' | 'welcome'>(event: K, listener: Listener<TetherEvents[K]>): () => void {
    return this.events.on(event, listener);
  }

  signal(to: SignalTarget, callId: string, signal: SignalInput): Promise<{ queued: boolean }> {
    this.sent.push({ to, callId, kind: signal.kind });
    return this.network.route(this, to, callId, signal);
  }

  /** A reconnect: a new welcome (same session, as after a resume). */
  reconnect(): void {
    this.events.emit('welcome', { ...this.welcome, resumed: { ok: true, replayed: 0 } });
  }

  /** @internal */
  deliver(frame: Omit<SignalDelivery, 'type' | 'seq' | 'ts'>): void {
    if (this.online) this.events.emit('signal', { type: 'signal', seq: ++this.seq, ts: Date.now(), ...frame });
  }
}
