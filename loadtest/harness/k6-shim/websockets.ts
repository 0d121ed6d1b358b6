/**
 * `k6/websockets` over the `ws` package: the constructor (url, protocols, { headers }), `send`,
 * `close`, `ping`, `readyState`, the `on*` handler properties and `addEventListener`. Events carry
 * what k6's do: `{ data, type, timestamp }` for messages, `{ error, type, timestamp }` for errors.
 */
import WS from 'ws';

type Listener = (event?: { data?: string; error?: string; type: string; timestamp: number }) => void;

export class WebSocket {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSING = 2;
  static readonly CLOSED = 3;
  onopen: Listener = () => {};
  onmessage: Listener = () => {};
  onclose: Listener = () => {};
  onerror: Listener = () => {};
  onping: Listener = () => {};
  onpong: Listener = () => {};
  private readonly ws: WS;
  private readonly listeners: Record<string, Listener[]> = {};

  constructor(url: string, _protocols?: null, params?: { headers?: Record<string, string> } | null) {
    this.ws = new WS(url, { headers: params?.headers ?? {}, perMessageDeflate: false });
    const emit = (type: string, event: { data?: string; error?: string }): void => {
      const e = { ...event, type, timestamp: Date.now() };
      (this as unknown as Record<string, Listener>)[`on${type}`]?.(e);
      for (const l of this.listeners[type] ?? []) l(e);
    };
    this.ws.on('open', () => emit('open', {}));
    this.ws.on('message', (data) => emit('message', { data: String(data) }));
    this.ws.on('close', () => emit('close', {}));
    this.ws.on('error', (error) => emit('error', { error: error.message }));
    this.ws.on('unexpected-response', (_req, res) => {
      emit('error', { error: `unexpected HTTP status ${res.statusCode}` });
      this.ws.terminate();
    });
    this.ws.on('ping', () => emit('ping', {}));
    this.ws.on('pong', () => emit('pong', {}));
  }

  get readyState(): number {
    return this.ws.readyState;
  }

  get url(): string {
    return this.ws.url;
  }

  send(data: string): void {
    if (this.ws.readyState === WS.OPEN) this.ws.send(data);
  }

  close(code?: number): void {
    if (this.ws.readyState === WS.CONNECTING) this.ws.terminate();
    else this.ws.close(code);
  }

  ping(): void {
    this.ws.ping();
  }

  addEventListener(type: string, listener: Listener): void {
    (this.listeners[type] ??= []).push(listener);
  }
}
