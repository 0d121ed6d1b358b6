/**
 * A real `ws` client for tests. Every server frame is parsed with the protocol's
 * `ServerMessage` schema (so a malformed server frame fails the test) and queued; tests wait
 * for frames with `next(predicate)`, which resolves on arrival, never by polling or sleeping.
 * Extend with helpers for new request types next to `request`.
 */
import { once } from 'node:events';
import WebSocket from 'ws';
import { type ClientMessageInput, type ServerMessage, ServerMessage as ServerSchema } from '../../src/protocol/index.ts';

type Frame = ServerMessage;
type Of<T extends Frame['type']> = Extract<Frame, { type: T }>;
/** A client message whose id the client fills in when omitted. */
type Request = ClientMessageInput extends infer M ? (M extends unknown ? Omit<M, 'id'> & { id?: string } : never) : never;

export class TestClient {
  readonly ws: WebSocket;
  readonly frames: Frame[] = [];
  /** every frame received, in order, whether or not a test took it */
  readonly received: Frame[] = [];
  welcome!: Of<'welcome'>;
  private waiters: Array<{ match: (f: Frame) => boolean; resolve: (f: Frame) => void }> = [];
  private nextId = 0;
  seen = 0;
  /** seq gaps or repeats seen; tests assert it stays empty */
  readonly gaps: string[] = [];
  closed: Promise<{ code: number; reason: string }>;

  private constructor(ws: WebSocket) {
    this.ws = ws;
    this.closed = once(ws, 'close').then(([code, reason]) => ({ code: code as number, reason: String(reason) }));
    ws.on('message', (data) => {
      const frame = ServerSchema.parse(JSON.parse(String(data)));
      this.received.push(frame);
      if ('seq' in frame) {
        if (frame.seq !== this.seen + 1) this.gaps.push(`expected seq ${this.seen + 1}, got ${frame.seq}`);
        this.seen = frame.seq;
      }
      const i = this.waiters.findIndex((w) => w.match(frame));
      if (i >= 0) this.waiters.splice(i, 1)[0]!.resolve(frame);
      else this.frames.push(frame);
    });
  }

  /**
   * Connects and waits for `welcome`; `resume` asks to resume a session (see welcome.resume);
   * `early` frames are sent as soon as the socket opens, before the welcome (the server queues them).
   */
  static async connect(
    url: string,
    token: string,
    options: WebSocket.ClientOptions = {},
    resume?: { token: string; lastSeq: number },
    early: ReadonlyArray<ClientMessageInput | Record<string, unknown>> = [],
  ): Promise<TestClient> {
    const query = new URLSearchParams({ token });
    if (resume) {
      query.set('resume', resume.token);
      query.set('lastSeq', String(resume.lastSeq));
    }
    const ws = new WebSocket(`${url}?${query}`, options);
    const client = new TestClient(ws);
    client.seen = resume?.lastSeq ?? 0;
    await once(ws, 'open');
    for (const frame of early) client.send(frame);
    // a connection closed before its welcome (1013, a refused resume) rejects instead of hanging
    const closedFirst = client.closed.then(({ code, reason }) => {
      throw new Error(`closed with ${code} (${reason}) before welcome`);
    });
    client.welcome = await Promise.race([client.next('welcome'), closedFirst]);
    return client;
  }

  /** The first queued or future frame of `type` matching `where`; removes it from the queue. */
  next<T extends Frame['type']>(type: T, where: (f: Of<T>) => boolean = () => true): Promise<Of<T>> {
    return this.nextWhere((f) => f.type === type && where(f as Of<T>)) as Promise<Of<T>>;
  }

  nextWhere(match: (f: Frame) => boolean): Promise<Frame> {
    const i = this.frames.findIndex(match);
    if (i >= 0) return Promise.resolve(this.frames.splice(i, 1)[0]!);
    return new Promise((resolve) => this.waiters.push({ match, resolve }));
  }

  /** Highest `seq` this client has received so far (0 if none). */
  get lastSeq(): number {
    return this.seen;
  }

  /** Drops the TCP connection without a close frame, as a lost network does. */
  async drop(): Promise<void> {
    this.ws.terminate();
    await this.closed;
  }

  /** Sends raw text (for malformed-input tests). */
  sendRaw(text: string | Buffer): void {
    this.ws.send(text);
  }

  send(message: ClientMessageInput | Record<string, unknown>): void {
    this.ws.send(JSON.stringify(message));
  }

  id(): string {
    return `r${++this.nextId}`;
  }

  /** Sends a request and resolves with its answer (`ack` or `error`). */
  async request(message: Request): Promise<Of<'ack'> | Of<'error'>> {
    const id = message.id ?? this.id();
    this.send({ ...message, id } as ClientMessageInput);
    return this.answer(id);
  }

  /** The `ack` or `error` answering request `id`. */
  answer(id: string): Promise<Of<'ack'> | Of<'error'>> {
    return this.nextWhere((f) => (f.type === 'ack' || f.type === 'error') && f.id === id) as Promise<Of<'ack'> | Of<'error'>>;
  }

  /** Like `request`, but fails unless the answer is an ack; returns the ack's result. */
  async ok(message: Request): Promise<Of<'ack'>['result']> {
    const answer = await this.request(message);
    if (answer.type !== 'ack') throw new Error(`expected ack, got ${answer.code}: ${answer.message}`);
    return answer.result;
  }

  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return;
    // 1000: leaving on purpose, so the server forgets the session instead of keeping it resumable
    this.ws.close(1000);
    await this.closed;
  }
}
