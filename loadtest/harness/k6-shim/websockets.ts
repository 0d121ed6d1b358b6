/**
 * `k6/websockets` over the `ws` package, with k6's rules (internal/js/modules/k6/websockets):
 *
 * - `send` and `ping` throw `InvalidStateError` unless the socket is OPEN: while CONNECTING, and
 *   after `close()` (CLOSING) or a close from the server (CLOSED).
 * - `close(code)` takes 1000 or 3000-4999; on a CLOSING or CLOSED socket it does nothing. On a
 *   CONNECTING socket k6 blocks the VU until the handshake ends (forever if it fails); here it
 *   throws instead, so a script that does it fails visibly.
 * - Messages that arrive once `close()` was called are dropped, as k6 drops them.
 * - A connect failure fires `error` (with `error`: the reason) and then `close`. A close with a
 *   code other than 1000 or 1001 (1006 for a lost connection, or the code the server echoes
 *   back after `close(4000)`) fires `error` before `close`. `close` carries `code` and `reason`.
 * - An exception in a handler ends the VU's iteration (vu.ts) and closes the socket.
 * - An open socket keeps its VU's iteration alive until it is closed.
 */
import WS from 'ws';
import { currentVu, type Vu } from './vu.ts';

interface Event {
  type: string;
  timestamp: number;
  data?: string;
  error?: string;
  code?: number;
  reason?: string;
}
type Listener = (event: Event) => void;
type State = 0 | 1 | 2 | 3;

/** every socket made, so the runner can close what is left when the test ends */
export const sockets = new Set<WebSocket>();

export class WebSocket {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSING = 2;
  static readonly CLOSED = 3;
  readonly CONNECTING = 0;
  readonly OPEN = 1;
  readonly CLOSING = 2;
  readonly CLOSED = 3;
  onopen: Listener | null = null;
  onmessage: Listener | null = null;
  onclose: Listener | null = null;
  onerror: Listener | null = null;
  onping: Listener | null = null;
  onpong: Listener | null = null;
  readonly url: string;
  private state: State = 0;
  private readonly ws: WS;
  private readonly vu: Vu;
  private readonly listeners: Record<string, Listener[]> = {};
  private readonly release: () => void;
  private connectError = '';

  constructor(url: string, _protocols?: string | string[] | null, params?: { headers?: Record<string, string>; tags?: Record<string, unknown> } | null) {
    if (!/^wss?:\/\//.test(url)) throw new Error(`WebSocket requires url with scheme ws or wss, but got ${JSON.stringify(url)}`);
    this.url = url;
    this.vu = currentVu();
    this.ws = new WS(url, { headers: params?.headers ?? {}, perMessageDeflate: false, handshakeTimeout: 60_000 });
    this.release = this.vu.hold(() => this.ws.terminate());
    sockets.add(this);
    this.ws.on('open', () => {
      this.state = 1;
      this.emit({ type: 'open' });
    });
    this.ws.on('message', (data) => {
      if (this.state === 1) this.emit({ type: 'message', data: String(data) });
    });
    this.ws.on('ping', () => this.emit({ type: 'ping' }));
    this.ws.on('pong', () => this.emit({ type: 'pong' }));
    this.ws.on('unexpected-response', (_req, res) => {
      this.connectError = `websocket: bad handshake (HTTP ${res.statusCode})`;
      this.ws.terminate();
    });
    this.ws.on('error', (error) => {
      if (this.state === 0 && !this.connectError) this.connectError = error.message;
    });
    this.ws.on('close', (code, reason) => {
      const opened = this.state !== 0;
      this.state = 3;
      sockets.delete(this);
      if (!opened) this.emit({ type: 'error', error: this.connectError || 'connection failed' });
      else if (code !== 1000 && code !== 1001) this.emit({ type: 'error', error: `websocket: close ${code} ${String(reason)}`.trim() });
      this.emit({ type: 'close', code, reason: String(reason) });
      this.release();
    });
  }

  get readyState(): State {
    return this.state;
  }

  send(data: string): void {
    if (this.state !== 1) throw new Error('InvalidStateError');
    this.ws.send(data);
  }

  ping(): void {
    if (this.state !== 1) throw new Error('InvalidStateError');
    this.ws.ping();
  }

  close(code?: number, reason = ''): void {
    if (this.state === 2 || this.state === 3) return;
    if (code !== undefined && code !== 1000 && (code < 3000 || code > 4999)) {
      throw new Error(`InvalidAccessError: Failed to execute 'close' on 'WebSocket': The close code must be either 1000, or between 3000 and 4999. ${code} is neither`);
    }
    if (this.state === 0) throw new Error('k6 runner: close() on a CONNECTING WebSocket would block the VU in k6 (forever if the handshake fails)');
    this.state = 2;
    this.ws.close(code ?? 1000, reason);
  }

  addEventListener(type: string, listener: Listener): void {
    (this.listeners[type] ??= []).push(listener);
  }

  /** The runner's end of test: no VU is left to hear about it. */
  terminate(): void {
    this.ws.terminate();
  }

  private emit(event: Omit<Event, 'timestamp'>): void {
    const e: Event = { ...event, timestamp: Date.now() };
    const handler = (this as unknown as Record<string, Listener | null>)[`on${event.type}`];
    this.vu.invoke(() => {
      try {
        handler?.(e);
        for (const l of this.listeners[event.type] ?? []) l(e);
      } catch (error) {
        if (this.state === 1 || this.state === 2) this.ws.terminate();
        throw error;
      }
    });
  }
}
