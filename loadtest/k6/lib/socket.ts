/**
 * One Tether connection in a k6 VU, on `k6/websockets`: the token goes in the Authorization
 * header, `open` resolves on `welcome` (and records `ws_welcome_time`), `request` matches the
 * answer (`ack` or `error`) by id, and `next` waits for a matching frame with a deadline,
 * resolving null when it passes (the caller counts a lost message). Frames are typed from
 * src/protocol (type-only imports, erased when k6 runs the file). k6 answers server pings itself.
 */
import { Trend } from 'k6/metrics';
import { clearTimeout, setTimeout } from 'k6/timers';
import { WebSocket } from 'k6/websockets';
import type { ServerMessage, Welcome } from '../../../src/protocol/index.ts';

export type Frame = ServerMessage;
export type Answer = Extract<Frame, { type: 'ack' | 'error' }>;

/** connect to welcome, ms; tagged with whatever `tags` the caller passes to `open` */
export const welcomeTime = new Trend('ws_welcome_time', true);

interface Waiter {
  match: (f: Frame) => boolean;
  resolve: (f: Frame | null) => void;
}

export class TetherSocket {
  readonly ws: WebSocket;
  welcome: Welcome | null = null;
  /** highest `seq` received, for resuming */
  lastSeq = 0;
  /** true once the socket closed */
  closed = false;
  /** true when this side asked for the close (`close()`), false when the server or network did */
  closedByClient = false;
  /** called for frames nobody waits for; by default they are kept for `next` */
  onFrame: ((f: Frame) => void) | null = null;
  onClose: (() => void) | null = null;
  private readonly frames: Frame[] = [];
  private readonly waiters: Waiter[] = [];
  private readonly pending = new Map<string, (a: Answer) => void>();
  private nextId = 0;

  private constructor(url: string, token: string, tags: Record<string, string>) {
    this.ws = new WebSocket(url, null, { headers: { Authorization: `Bearer ${token}` }, tags });
    this.ws.onmessage = (event) => {
      if (!event || typeof event.data !== 'string') return;
      const frame = JSON.parse(event.data) as Frame;
      if ('seq' in frame) this.lastSeq = frame.seq;
      if ((frame.type === 'ack' || frame.type === 'error') && frame.id !== null && this.pending.has(frame.id)) {
        const resolve = this.pending.get(frame.id)!;
        this.pending.delete(frame.id);
        resolve(frame);
        return;
      }
      const i = this.waiters.findIndex((w) => w.match(frame));
      if (i >= 0) this.waiters.splice(i, 1)[0]!.resolve(frame);
      else if (this.onFrame) this.onFrame(frame);
      else this.frames.push(frame);
    };
    this.ws.onclose = () => {
      this.closed = true;
      this.onClose?.();
    };
  }

  /**
   * Connects and resolves once `welcome` arrives (rejects on an error or close first, or after
   * `timeoutMs`). `resume` asks to resume an earlier session (token and last seq from it).
   */
  static open(
    url: string,
    token: string,
    options: { tags?: Record<string, string>; timeoutMs?: number; resume?: { token: string; lastSeq: number } } = {},
  ): Promise<TetherSocket> {
    const target = options.resume
      ? `${url}${url.includes('?') ? '&' : '?'}resume=${encodeURIComponent(options.resume.token)}&lastSeq=${options.resume.lastSeq}`
      : url;
    const started = Date.now();
    const socket = new TetherSocket(target, token, options.tags ?? {});
    if (options.resume) socket.lastSeq = options.resume.lastSeq;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => fail(`no welcome within ${options.timeoutMs ?? 10_000} ms`), options.timeoutMs ?? 10_000);
      const fail = (why: string): void => {
        clearTimeout(timer);
        socket.ws.close();
        reject(new Error(why));
      };
      socket.ws.onerror = (event) => fail(`connect failed: ${event?.error ?? 'error'}`);
      socket.onClose = () => fail('closed before welcome');
      socket.waitFor((f) => f.type === 'welcome', options.timeoutMs ?? 10_000).then((f) => {
        if (!f || f.type !== 'welcome') return;
        clearTimeout(timer);
        socket.onClose = null;
        socket.ws.onerror = () => {};
        socket.welcome = f;
        welcomeTime.add(Date.now() - started, options.tags ?? {});
        resolve(socket);
      });
    });
  }

  /** Sends a request with a fresh id; resolves with its answer, or null after `timeoutMs`. */
  request(message: Record<string, unknown>, timeoutMs = 10_000): Promise<Answer | null> {
    const id = (++this.nextId).toString(36);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve(null);
      }, timeoutMs);
      this.pending.set(id, (answer) => {
        clearTimeout(timer);
        resolve(answer);
      });
      this.ws.send(JSON.stringify({ ...message, id }));
    });
  }

  /** The first kept or future frame matching `match`; null if none arrives within `timeoutMs`. */
  waitFor(match: (f: Frame) => boolean, timeoutMs: number): Promise<Frame | null> {
    const i = this.frames.findIndex(match);
    if (i >= 0) return Promise.resolve(this.frames.splice(i, 1)[0]!);
    return new Promise((resolve) => {
      const waiter: Waiter = {
        match,
        resolve: (f) => {
          clearTimeout(timer);
          resolve(f);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        resolve(null);
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /** Closes cleanly: 1000 tells the server the session is over (not kept for resume). */
  close(code = 1000): void {
    if (this.closed) return;
    this.closedByClient = true;
    this.ws.close(code);
  }
}

/** Resolves after `ms` (k6 has no sleep inside the event loop). */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
