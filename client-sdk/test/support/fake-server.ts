/**
 * A scripted Tether server for SDK unit tests: a real `ws` WebSocketServer on port 0 that
 * records every frame the SDK sends and answers only when the test says so, so a test can
 * observe exactly what went over the wire and when (e.g. that a room signal is held until the
 * subscribe ack). Frames the SDK sends are parsed with the protocol's `ClientMessage` schema, so
 * a malformed request fails the test. Waiting is on events (`next`, `nextConnection`), never on
 * sleeps. Extend it with helpers that send more server frames next to `ack` / `error`.
 * For behaviour of the real server use the in-process cluster (test/support/cluster.ts).
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { type ClientMessage, ClientMessage as ClientSchema, type ErrorCode, type ServerMessage, type Welcome } from '../../../src/protocol/index.ts';

type Of<T extends ClientMessage['type']> = Extract<ClientMessage, { type: T }>;

export interface FakeServerOptions {
  /** send `welcome` as soon as a socket connects (default true) */
  autoWelcome?: boolean;
  /** the welcome's heartbeatMs (default 25 000) */
  heartbeatMs?: number;
}

export class FakeServer {
  readonly connections: FakeConnection[] = [];
  /** HTTP statuses to refuse the next upgrades with, in order */
  readonly refusals: number[];
  private readonly wss: WebSocketServer;
  private readonly options: Required<FakeServerOptions>;
  private waiters: Array<(connection: FakeConnection) => void> = [];
  private readonly unclaimed: FakeConnection[] = [];
  private sessions = 0;

  private constructor(wss: WebSocketServer, refusals: number[], options: FakeServerOptions) {
    this.wss = wss;
    this.refusals = refusals;
    this.options = { autoWelcome: true, heartbeatMs: 25_000, ...options };
    wss.on('connection', (ws, req) => {
      const query = new URL(req.url ?? '/', 'http://x').searchParams;
      const connection = new FakeConnection(ws, query, `s${++this.sessions}`, this.options.heartbeatMs);
      this.connections.push(connection);
      if (this.options.autoWelcome) connection.welcome();
      const waiter = this.waiters.shift();
      if (waiter) waiter(connection);
      else this.unclaimed.push(connection);
    });
  }

  static async start(options: FakeServerOptions = {}): Promise<FakeServer> {
    const refusals: number[] = [];
    const wss = new WebSocketServer({
      port: 0,
      host: '127.0.0.1',
      verifyClient: (_info, done) => {
        const status = refusals.shift();
        if (status === undefined) done(true);
        else done(false, status);
      },
    });
    const server = new FakeServer(wss, refusals, options);
    await once(wss, 'listening');
    return server;
  }

  get url(): string {
    return `ws://127.0.0.1:${(this.wss.address() as AddressInfo).port}/ws`;
  }

  /** The next connection not yet claimed by an earlier call (already made or future). */
  nextConnection(): Promise<FakeConnection> {
    const ready = this.unclaimed.shift();
    if (ready) return Promise.resolve(ready);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  async close(): Promise<void> {
    for (const c of this.connections) c.ws.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }
}

export class FakeConnection {
  readonly ws: WebSocket;
  /** the `token` query parameter of the upgrade */
  readonly token: string | null;
  /** every query parameter of the upgrade (`resume`, `lastSeq`, ...) */
  readonly query: URLSearchParams;
  readonly sessionId: string;
  /** every frame received, in order */
  readonly received: ClientMessage[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private readonly heartbeatMs: number;
  private queue: ClientMessage[] = [];
  private waiters: Array<{ match: (f: ClientMessage) => boolean; resolve: (f: ClientMessage) => void }> = [];

  constructor(ws: WebSocket, query: URLSearchParams, sessionId: string, heartbeatMs: number) {
    this.ws = ws;
    this.query = query;
    this.token = query.get('token');
    this.sessionId = sessionId;
    this.heartbeatMs = heartbeatMs;
    this.closed = once(ws, 'close').then(([code, reason]) => ({ code: code as number, reason: String(reason) }));
    ws.on('message', (data) => {
      const frame = ClientSchema.parse(JSON.parse(String(data)));
      this.received.push(frame);
      const i = this.waiters.findIndex((w) => w.match(frame));
      if (i >= 0) this.waiters.splice(i, 1)[0]!.resolve(frame);
      else this.queue.push(frame);
    });
  }

  /** The first not-yet-taken frame of `type` matching `where` (already received or future). */
  next<T extends ClientMessage['type']>(type: T, where: (f: Of<T>) => boolean = () => true): Promise<Of<T>> {
    const match = (f: ClientMessage) => f.type === type && where(f as Of<T>);
    const i = this.queue.findIndex(match);
    if (i >= 0) return Promise.resolve(this.queue.splice(i, 1)[0] as Of<T>);
    return new Promise((resolve) => this.waiters.push({ match, resolve: resolve as (f: ClientMessage) => void }));
  }

  send(frame: ServerMessage | Record<string, unknown>): void {
    this.ws.send(JSON.stringify(frame));
  }

  /** Typed as the protocol's Welcome, so a protocol change fails the typecheck here, not at run time. */
  welcome(userId = 'u1', overrides: Partial<Welcome> = {}): void {
    const welcome: Welcome = {
      type: 'welcome',
      sessionId: this.sessionId,
      nodeId: 'fake',
      user: { id: userId, role: 'caregiver' },
      subscriptions: [`user:${userId}`],
      heartbeatMs: this.heartbeatMs,
      staleAfterMs: 60_000,
      resume: null,
      limits: { maxFrameBytes: 65_536, ratePerSecond: 50, rateBurst: 100, maxSubscriptions: 100 },
      ...overrides,
    };
    this.send(welcome);
  }

  ack(id: string, result?: Extract<ServerMessage, { type: 'ack' }>['result']): void {
    this.send(result === undefined ? { type: 'ack', id } : { type: 'ack', id, result });
  }

  error(id: string | null, code: ErrorCode, { retryable = false, details }: { retryable?: boolean; details?: Record<string, unknown> } = {}): void {
    this.send({ type: 'error', id, code, message: `fake ${code}`, retryable, ...(details ? { details } : {}) });
  }

  /** A relayed signal, as the server delivers it. */
  deliverSignal(channel: string, callId: string, seq = 1): void {
    this.send({ type: 'signal', seq, channel, from: { userId: 'peer', role: 'patient', sessionId: 'peer-s' }, ts: 1, callId, signal: { kind: 'ringing' } });
  }

  /** Frames `seqs` as relayed signals to `user:u1`, callId `c<seq>`, in the order given. */
  deliverSeqs(...seqs: number[]): void {
    for (const seq of seqs) this.deliverSignal('user:u1', `c${seq}`, seq);
  }

  close(code: number, reason = ''): void {
    this.ws.close(code, reason);
  }
}
