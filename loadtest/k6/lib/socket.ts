/**
 * One Tether connection in a k6 VU, on `k6/websockets` (k6 v1.6+). The token goes in the
 * Authorization header; `open` resolves on `welcome` (recording `ws_welcome_time`) or with null
 * when the connection fails (counted in `connect_failures`, by reason); `request` matches the
 * answer (`ack` or `error`) by id; `waitFor` waits for a matching frame. Both resolve null, never
 * throw, when the frame does not come within the deadline or the socket closes first, so the
 * caller counts it lost. Nothing is sent on a socket that is not OPEN (k6 would throw
 * `InvalidStateError` and end the VU). A connection the server or the network closes while the
 * script still uses it is counted in `connections_lost`.
 *
 * Frames are typed from src/protocol (type-only imports, erased when k6 runs the file). Frame
 * types this file does not know are ignored, as the protocol asks of clients; a frame that is not
 * JSON aborts the whole test (`exec.test.abort`, exit code 108): the server broke the protocol.
 * k6 answers server pings itself.
 */
import exec from 'k6/execution';
import { Counter, Trend } from 'k6/metrics';
import { clearTimeout, setTimeout } from 'k6/timers';
import { WebSocket } from 'k6/websockets';
import type { ServerMessage, Welcome } from '../../../src/protocol/index.ts';
import { TIMEOUT_MS } from './config.ts';

export type Frame = ServerMessage;
export type Answer = Extract<Frame, { type: 'ack' | 'error' }>;

/** connect to welcome, ms; tagged with whatever `tags` the caller passes to `open` */
export const welcomeTime = new Trend('ws_welcome_time', true);
/** connection attempts that got no welcome, tagged with `reason` */
export const connectFailures = new Counter('connect_failures');
/** connections closed by the server or the network while the script still used them, tagged with `code` */
export const connectionsLost = new Counter('connections_lost');

/** unmatched frames kept for a later `waitFor`; older ones are dropped past this */
const KEEP_FRAMES = 256;

interface Waiter {
  match: (f: Frame) => boolean;
  resolve: (f: Frame | null) => void;
}

export interface OpenOptions {
  tags?: Record<string, string>;
  /** ms to wait for the welcome, default 3 x TIMEOUT_MS */
  timeoutMs?: number;
  /** resume an earlier session (its welcome's resume token and the last seq received) */
  resume?: { token: string; lastSeq: number };
}

export class TetherSocket {
  readonly ws: WebSocket;
  welcome: Welcome | null = null;
  /** highest `seq` received, for resuming */
  lastSeq = 0;
  /** true once the socket closed */
  closed = false;
  /** called for frames nobody waits for; by default they are kept for `waitFor` */
  onFrame: ((f: Frame) => void) | null = null;
  /** called once when the socket closes, whoever closed it */
  onClose: (() => void) | null = null;
  private closing = false;
  private readonly tags: Record<string, string>;
  private readonly frames: Frame[] = [];
  private readonly waiters: Waiter[] = [];
  private readonly pending = new Map<string, (a: Answer | null) => void>();
  private nextId = 0;

  private constructor(url: string, token: string, tags: Record<string, string>) {
    this.tags = tags;
    this.ws = new WebSocket(url, null, { headers: { Authorization: `Bearer ${token}` }, tags });
    this.ws.onmessage = (event) => {
      try {
        this.receive(event?.data);
      } catch (error) {
        // an exception here would end only this VU's iteration, and the run could still pass
        exec.test.abort(`handling a frame: ${error instanceof Error ? error.message : String(error)}`);
      }
    };
    this.ws.onclose = (event?: { code?: number }) => {
      this.closed = true;
      if (this.welcome && !this.closing) connectionsLost.add(1, { ...this.tags, code: String(event?.code ?? '') });
      for (const w of this.waiters.splice(0)) w.resolve(null);
      for (const resolve of [...this.pending.values()]) resolve(null);
      this.pending.clear();
      this.onClose?.();
    };
  }

  /** Connects; resolves once `welcome` arrives, or null if it does not (reason counted). */
  static open(url: string, token: string, options: OpenOptions = {}): Promise<TetherSocket | null> {
    const target = options.resume
      ? `${url}${url.includes('?') ? '&' : '?'}resume=${encodeURIComponent(options.resume.token)}&lastSeq=${options.resume.lastSeq}`
      : url;
    const tags = options.tags ?? {};
    const timeoutMs = options.timeoutMs ?? 3 * TIMEOUT_MS;
    const started = Date.now();
    const socket = new TetherSocket(target, token, tags);
    if (options.resume) socket.lastSeq = options.resume.lastSeq;
    return new Promise((resolve) => {
      let settled = false;
      let error = '';
      const settle = (ok: boolean, reason: string): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (ok) {
          welcomeTime.add(Date.now() - started, tags);
          resolve(socket);
          return;
        }
        connectFailures.add(1, { ...tags, reason });
        socket.onClose = null;
        socket.close(); // once open: k6 blocks a VU that closes a CONNECTING socket
        resolve(null);
      };
      const timer = setTimeout(() => settle(false, 'timeout'), timeoutMs);
      socket.ws.onopen = () => {
        if (settled) socket.close();
      };
      socket.ws.onerror = (event) => {
        error = String(event?.error ?? 'error');
      };
      socket.onClose = () => settle(false, socket.welcome ? 'closed' : error ? 'refused' : 'closed before welcome');
      socket.waitFor((f) => f.type === 'welcome', timeoutMs).then((f) => {
        if (!f || f.type !== 'welcome') return;
        socket.welcome = f;
        socket.onClose = null;
        socket.ws.onerror = () => {};
        settle(true, '');
      });
    });
  }

  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN && !this.closing;
  }

  /**
   * Sends a request with a fresh id; resolves with its answer, or null when the socket is not
   * open, closes first, or nothing answers within `timeoutMs`.
   */
  request(message: Record<string, unknown>, timeoutMs = TIMEOUT_MS): Promise<Answer | null> {
    if (!this.open) return Promise.resolve(null);
    const id = (++this.nextId).toString(36);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve(null);
      }, timeoutMs);
      this.pending.set(id, (answer) => {
        clearTimeout(timer);
        this.pending.delete(id);
        resolve(answer);
      });
      this.ws.send(JSON.stringify({ ...message, id }));
    });
  }

  /** The first kept or future frame matching `match`; null if none arrives within `timeoutMs` or the socket closes. */
  waitFor(match: (f: Frame) => boolean, timeoutMs = TIMEOUT_MS): Promise<Frame | null> {
    const i = this.frames.findIndex(match);
    if (i >= 0) return Promise.resolve(this.frames.splice(i, 1)[0]!);
    if (this.closed) return Promise.resolve(null);
    return new Promise((resolve) => {
      const waiter: Waiter = {
        match,
        resolve: (f) => {
          clearTimeout(timer);
          resolve(f);
        },
      };
      const timer = setTimeout(() => {
        const at = this.waiters.indexOf(waiter);
        if (at >= 0) this.waiters.splice(at, 1);
        resolve(null);
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /**
   * Closes from this side (not counted as lost): 1000 tells the server the session is over, a
   * 4xxx code leaves it resumable. A socket still connecting is closed as soon as it opens.
   */
  close(code = 1000): void {
    if (this.closing || this.closed) return;
    this.closing = true;
    if (this.ws.readyState === WebSocket.CONNECTING) {
      this.ws.onopen = () => this.ws.close(code);
      return;
    }
    this.ws.close(code);
  }

  private receive(data: unknown): void {
    let frame: Frame;
    try {
      frame = JSON.parse(String(data)) as Frame;
    } catch {
      exec.test.abort(`the server sent a frame that is not JSON: ${String(data).slice(0, 80)}`);
      return;
    }
    if (typeof frame !== 'object' || frame === null || typeof frame.type !== 'string') {
      exec.test.abort(`the server sent a frame without a type: ${String(data).slice(0, 80)}`);
      return;
    }
    if ('seq' in frame && typeof frame.seq === 'number') this.lastSeq = frame.seq;
    if ((frame.type === 'ack' || frame.type === 'error') && frame.id !== null && this.pending.has(frame.id)) {
      this.pending.get(frame.id)!(frame);
      return;
    }
    const i = this.waiters.findIndex((w) => w.match(frame));
    if (i >= 0) this.waiters.splice(i, 1)[0]!.resolve(frame);
    else if (this.onFrame) this.onFrame(frame);
    else if (this.frames.push(frame) > KEEP_FRAMES) this.frames.shift();
  }
}

/** Resolves after `ms` (k6 has no sleep inside the event loop). */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}
