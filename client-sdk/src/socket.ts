import { type ClientMessage, ServerMessage } from '../../src/protocol/index.ts';
import { ProtocolError } from './errors.ts';
import { OPEN, type WebSocketConstructor, type WebSocketLike } from './platform.ts';

/** @internal How one socket ended. */
export interface CloseInfo {
  code: number;
  reason: string;
  /** status of a refused upgrade; only `ws` exposes it (in its error message), browsers never do */
  httpStatus?: number;
}

/** @internal */
export interface SocketHandlers {
  /** a frame that passed the protocol's `ServerMessage` schema */
  onFrame(frame: ServerMessage): void;
  /** a frame that did not; `raw` is the parsed JSON if it was JSON at all */
  onBadFrame(error: ProtocolError, raw: unknown): void;
  /** called once, when the socket closed (or never opened); not after `dispose()` */
  onClose(info: CloseInfo): void;
}

const noop = (): void => {};

/**
 * @internal One WebSocket: parses every incoming frame with the shared protocol schema and
 * reports the close once. `dispose()` detaches it for good, so a socket the client gave up on
 * can never call back into the client again.
 */
export class Socket {
  /** frames received so far, any kind; a request timeout with no new frame suggests a dead link */
  framesReceived = 0;
  private readonly ws: WebSocketLike;
  private readonly handlers: SocketHandlers;
  private httpStatus: number | undefined;
  private done = false;

  /** Throws what the WebSocket constructor throws (e.g. a malformed URL). */
  constructor(WebSocket: WebSocketConstructor, url: string, handlers: SocketHandlers) {
    this.handlers = handlers;
    this.ws = new WebSocket(url);
    this.ws.onmessage = (event) => this.receive(event.data);
    this.ws.onerror = (event) => (this.httpStatus ??= upgradeStatus(event));
    this.ws.onclose = (event) => this.closed({ code: event.code, reason: event.reason });
  }

  /** Writes one frame; false when the socket is not open (the frame was not sent). */
  send(frame: ClientMessage): boolean {
    if (this.done || this.ws.readyState !== OPEN) return false;
    this.ws.send(JSON.stringify(frame));
    return true;
  }

  /** Detaches every handler and closes the socket with `code` (1000 or 3000-4999). */
  dispose(code = 1000, reason = ''): void {
    if (this.done) return;
    this.done = true;
    // no-ops rather than null: `ws` emits an 'error' for a close during the handshake, and an
    // EventEmitter 'error' with no listener would throw
    this.ws.onmessage = noop;
    this.ws.onerror = noop;
    this.ws.onclose = noop;
    try {
      this.ws.close(code, reason);
    } catch {
      // already closing or closed
    }
  }

  private receive(data: unknown): void {
    if (this.done) return;
    this.framesReceived++;
    if (typeof data !== 'string') {
      this.handlers.onBadFrame(new ProtocolError('binary frame from the server; the protocol is JSON text'), undefined);
      return;
    }
    let raw: unknown;
    try {
      raw = JSON.parse(data);
    } catch (error) {
      this.handlers.onBadFrame(new ProtocolError('server frame is not JSON', error), undefined);
      return;
    }
    const parsed = ServerMessage.safeParse(raw);
    if (parsed.success) this.handlers.onFrame(parsed.data);
    else this.handlers.onBadFrame(new ProtocolError(`server frame does not match the protocol: ${parsed.error.message}`, parsed.error), raw);
  }

  private closed(info: CloseInfo): void {
    if (this.done) return;
    this.done = true;
    this.handlers.onClose(this.httpStatus === undefined ? info : { ...info, httpStatus: this.httpStatus });
  }
}

/** `ws` reports a refused upgrade as an error "Unexpected server response: 401". */
function upgradeStatus(event: unknown): number | undefined {
  const message = (event as { message?: unknown } | null)?.message;
  const match = typeof message === 'string' ? /Unexpected server response: (\d{3})/.exec(message) : null;
  return match ? Number(match[1]) : undefined;
}
