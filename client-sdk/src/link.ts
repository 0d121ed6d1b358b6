import { type ClientMessage, type ServerMessage, type Welcome, shouldReconnect } from '../../src/protocol/index.ts';
import { ConnectionClosedError, type ProtocolError, TetherError } from './errors.ts';
import type { ConnectionState, StateChange } from './events.ts';
import { type ResolvedOptions, pickUrl, withToken } from './options.ts';
import type { OutboxLink } from './outbox.ts';
import { type CloseInfo, Socket } from './socket.ts';

/** @internal What the link reports to the client. */
export interface LinkHandlers {
  /** `welcome` arrived: the link is open (its state is already 'open'); `previous` is the state before */
  onWelcome(welcome: Welcome, previous: ConnectionState): void;
  onFrame(frame: Exclude<ServerMessage, { type: 'welcome' }>): void;
  onBadFrame(error: ProtocolError, raw: unknown): void;
  /** the connection or attempt is gone; anything in flight on it must be put back */
  onDown(reason: string): void;
  /** every state change except to 'open' (see onWelcome); 'closed' carries the error */
  onState(change: StateChange): void;
  onError(error: TetherError): void;
  /** query parameters asking the next connection to resume the session (`resume=..&lastSeq=..`), or null */
  resumeQuery(): string | null;
}

/**
 * Close code for a socket the SDK abandons to reconnect (no welcome in time, a silent link).
 * Anything but 1000 tells the server to keep the session resumable; 1000 is sent only by
 * `close()`. Browsers let a page send 1000 or 3000-4999; 4000-4499 is the reconnect range.
 */
const RECONNECT_CLOSE = 4000;

/** Refused upgrades that another attempt cannot fix: bad request, bad Origin, wrong path. */
const TERMINAL_HTTP = new Set([400, 403, 404]);

type Cause = Pick<StateChange, 'closeCode' | 'httpStatus'> & { reason: string; cause?: unknown };

/**
 * @internal The connection state machine: one socket at a time, a fresh token and the next URL
 * for every attempt, `welcome` as the only sign of an open link, and reconnects paced by the
 * ReconnectPolicy whenever the close code allows (`shouldReconnect`). A refused upgrade with a
 * terminal status, a close code in 4500-4999 or 1000, a policy that gives up, or `close()` end
 * it for good.
 */
export class Link implements OutboxLink {
  state: ConnectionState = 'connecting';
  private readonly options: ResolvedOptions;
  private readonly handlers: LinkHandlers;
  private socket: Socket | null = null;
  private welcomed = false;
  /** consecutive failed attempts since the last welcome: the policy's input */
  private failures = 0;
  /** attempts over the client's lifetime: picks the URL */
  private attempts = 0;
  /** upgrades refused with 401 in a row: the first may be an expired token (retried with a fresh one), a second is not */
  private unauthorized = 0;
  /** bumped whenever the current attempt is abandoned, so its late callbacks are ignored */
  private epoch = 0;
  private timer: unknown = null;

  constructor(options: ResolvedOptions, handlers: LinkHandlers) {
    this.options = options;
    this.handlers = handlers;
  }

  get isOpen(): boolean {
    return this.state === 'open';
  }

  get framesReceived(): number {
    return this.socket?.framesReceived ?? 0;
  }

  send(frame: ClientMessage): boolean {
    return this.isOpen && this.socket !== null && this.socket.send(frame);
  }

  start(): void {
    void this.connect();
  }

  /** Abandons the current connection or attempt (it looks dead) and reconnects. */
  drop(reason: string): void {
    if (this.state === 'closed') return;
    this.abandon(reason, RECONNECT_CLOSE);
    this.handlers.onDown(reason);
    this.retry({ reason });
  }

  /** Closes for good; pending requests are rejected with a ConnectionClosedError. */
  close(reason = 'closed by the app'): void {
    this.terminate({ reason });
  }

  private async connect(): Promise<void> {
    const epoch = ++this.epoch;
    const attempt = this.attempts++;
    const { connectTimeoutMs } = this.options;
    this.timer = this.options.timers.setTimeout(() => {
      if (epoch === this.epoch) this.drop(`no welcome within ${connectTimeoutMs} ms`);
    }, connectTimeoutMs);
    let token: string;
    try {
      token = await this.options.token();
    } catch (error) {
      if (epoch !== this.epoch) return;
      const failure = new TetherError('TOKEN_UNAVAILABLE', `getToken() failed: ${describe(error)}`, { retryable: true, cause: error });
      this.handlers.onError(failure);
      this.drop(failure.message);
      return;
    }
    if (epoch !== this.epoch) return;
    try {
      const resume = this.handlers.resumeQuery();
      const url = `${withToken(pickUrl(this.options.url, attempt), token)}${resume ? `&${resume}` : ''}`;
      const socket: Socket = new Socket(this.options.WebSocket, url, {
        onFrame: (frame) => this.frame(frame),
        onBadFrame: (error, raw) => this.handlers.onBadFrame(error, raw),
        onClose: (info) => this.closed(socket, info),
      });
      this.socket = socket;
    } catch (error) {
      this.terminate({ reason: `cannot open a WebSocket: ${describe(error)}`, cause: error });
    }
  }

  private frame(frame: ServerMessage): void {
    if (frame.type !== 'welcome') return this.handlers.onFrame(frame);
    if (this.welcomed) return;
    this.welcomed = true;
    this.clearTimer();
    this.failures = 0;
    this.unauthorized = 0;
    const previous = this.state;
    this.state = 'open';
    this.handlers.onWelcome(frame, previous);
  }

  private closed(socket: Socket, { code, reason, httpStatus }: CloseInfo): void {
    if (socket !== this.socket) return;
    const why = httpStatus !== undefined ? `upgrade refused with HTTP ${httpStatus}` : `closed with ${code}${reason ? `: ${reason}` : ''}`;
    this.abandon(why, RECONNECT_CLOSE); // the socket is closed already: nothing is sent
    this.handlers.onDown(why);
    const cause: Cause = { closeCode: code, reason: why };
    if (httpStatus !== undefined) cause.httpStatus = httpStatus;
    // 401: the server refuses an expired token too (TOKEN_EXPIRED, past its clock tolerance); the
    // next attempt asks `token()` again, so one retry with a fresh token, and a second 401 is final
    const refusedAgain = httpStatus === 401 && ++this.unauthorized > 1;
    if ((httpStatus !== undefined && TERMINAL_HTTP.has(httpStatus)) || refusedAgain || !shouldReconnect(code)) this.terminate(cause);
    else this.retry(cause);
  }

  private retry(cause: Cause): void {
    if (this.state === 'closed') return;
    const attempt = this.failures;
    const delay = this.options.reconnect.nextDelay(attempt);
    if (delay === null) {
      this.terminate({ ...cause, reason: `reconnect policy gave up after ${attempt} attempt(s); last: ${cause.reason}` });
      return;
    }
    this.failures++;
    this.setState({ state: 'reconnecting', previous: this.state, ...details(cause), attempt, delayMs: delay });
    const epoch = this.epoch;
    this.timer = this.options.timers.setTimeout(() => {
      this.timer = null;
      if (epoch === this.epoch && this.state !== 'closed') void this.connect();
    }, delay);
  }

  private terminate(cause: Cause): void {
    if (this.state === 'closed') return;
    this.abandon(cause.reason, 1000);
    const error = new ConnectionClosedError(cause.reason, { retryable: false, ...details(cause), cause: cause.cause });
    this.setState({ state: 'closed', previous: this.state, ...details(cause), error });
  }

  /** Detaches the current socket and closes it with `code`: 1000 ends the session on the server. */
  private abandon(reason: string, code: number): void {
    this.epoch++;
    this.clearTimer();
    this.socket?.dispose(code, reason.slice(0, 120));
    this.socket = null;
    this.welcomed = false;
  }

  private setState(change: StateChange): void {
    this.state = change.state;
    this.handlers.onState(change);
  }

  private clearTimer(): void {
    if (this.timer !== null) this.options.timers.clearTimeout(this.timer);
    this.timer = null;
  }
}

/** The defined fields of `cause` as StateChange fields. */
function details(cause: Cause): Pick<StateChange, 'closeCode' | 'httpStatus' | 'reason'> {
  const out: Pick<StateChange, 'closeCode' | 'httpStatus' | 'reason'> = { reason: cause.reason };
  if (cause.closeCode !== undefined) out.closeCode = cause.closeCode;
  if (cause.httpStatus !== undefined) out.httpStatus = cause.httpStatus;
  return out;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
