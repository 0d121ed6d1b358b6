/**
 * A lean Tether client for load generation. Unlike test/support/client.ts it does not validate
 * frames against the zod schemas (the test suite does that): a load generator that spends its
 * CPU parsing schemas measures itself, not the server. Frames are `JSON.parse`d and typed as the
 * protocol's `ServerMessage`.
 *
 * Hot paths (relay, fan-out) read `onFrame`; setup paths use `request`, which matches answers by
 * id. Every wait is bounded.
 */
import WebSocket from 'ws';
import type { ServerMessage, Welcome } from '../../../src/protocol/index.ts';

type Answer = Extract<ServerMessage, { type: 'ack' | 'error' }>;

export interface ConnectOptions {
  /** ms until the welcome must have arrived, default 30 000 */
  timeoutMs?: number;
  /** resume token and last seq from a previous welcome */
  resume?: { token: string; lastSeq: number };
}

export class LoadClient {
  readonly ws: WebSocket;
  welcome!: Welcome;
  /** every frame except answers to `request` */
  onFrame: (frame: ServerMessage) => void = () => {};
  /** highest seq received */
  lastSeq = 0;
  private readonly pending = new Map<string, (answer: Answer) => void>();
  private nextId = 0;

  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on('message', (data) => {
      const frame = JSON.parse(String(data)) as ServerMessage;
      if ('seq' in frame) this.lastSeq = frame.seq;
      if ((frame.type === 'ack' || frame.type === 'error') && frame.id !== null) {
        const resolve = this.pending.get(frame.id);
        if (resolve) {
          this.pending.delete(frame.id);
          resolve(frame);
          return;
        }
      }
      this.onFrame(frame);
    });
    ws.on('error', () => {}); // surfaced through 'close' and the connect promise
  }

  /** Opens a socket with the token in the Authorization header and waits for `welcome`. */
  static connect(url: string, token: string, options: ConnectOptions = {}): Promise<LoadClient> {
    const target = new URL(url);
    if (options.resume) {
      target.searchParams.set('resume', options.resume.token);
      target.searchParams.set('lastSeq', String(options.resume.lastSeq));
    }
    const ws = new WebSocket(target, { headers: { authorization: `Bearer ${token}` }, perMessageDeflate: false });
    const client = new LoadClient(ws);
    if (options.resume) client.lastSeq = options.resume.lastSeq;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => fail(new Error('no welcome in time')), options.timeoutMs ?? 30_000);
      const fail = (error: Error): void => {
        clearTimeout(timer);
        ws.terminate();
        reject(error);
      };
      ws.once('unexpected-response', (_req, res) => fail(new Error(`upgrade refused: HTTP ${res.statusCode}`)));
      ws.once('error', fail);
      ws.once('close', (code) => fail(new Error(`closed before welcome: ${code}`)));
      client.onFrame = (frame) => {
        if (frame.type !== 'welcome') return;
        clearTimeout(timer);
        ws.removeAllListeners('close');
        client.welcome = frame;
        client.onFrame = () => {};
        resolve(client);
      };
    });
  }

  id(): string {
    return (++this.nextId).toString(36);
  }

  send(text: string): void {
    this.ws.send(text);
  }

  /** Sends a request (its `id` is filled in) and resolves with its ack or error. */
  request(message: Record<string, unknown>, timeoutMs = 30_000): Promise<Answer> {
    const id = this.id();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`no answer to ${String(message.type)} ${id} in ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, (answer) => {
        clearTimeout(timer);
        resolve(answer);
      });
      this.ws.send(JSON.stringify({ ...message, id }));
    });
  }

  /** Like `request`, but rejects unless the answer is an ack. */
  async ok(message: Record<string, unknown>, timeoutMs?: number): Promise<Extract<Answer, { type: 'ack' }>> {
    const answer = await this.request(message, timeoutMs);
    if (answer.type !== 'ack') throw new Error(`${String(message.type)}: ${answer.code} ${answer.message}`);
    return answer;
  }

  /** Closes cleanly (1000: the session is forgotten, not kept for resume). */
  close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      this.ws.once('close', () => resolve());
      this.ws.close(1000);
      setTimeout(() => this.ws.terminate(), 5_000).unref();
    });
  }
}

/** Connects many clients with at most `concurrency` handshakes in flight. */
export async function connectAll(
  count: number,
  concurrency: number,
  open: (i: number) => Promise<LoadClient>,
): Promise<LoadClient[]> {
  const clients: LoadClient[] = new Array(count);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      clients[i] = await open(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
  return clients;
}
