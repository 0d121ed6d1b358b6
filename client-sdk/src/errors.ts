import type { ClientMessage, ErrorCode, ErrorFrame } from '../../src/protocol/index.ts';
import type { CallEnd } from './call-types.ts';

/**
 * Codes of failures the SDK detects itself, next to the server's catalogue (ErrorCode):
 * - TIMEOUT: no answer to a request within `requestTimeoutMs`, on every attempt
 * - CONNECTION_CLOSED: the connection ended for good (client closed, terminal close code,
 *   refused upgrade, reconnect policy gave up) or was lost on the request's last attempt
 * - OFFLINE_QUEUE_FULL: the queue of requests waiting to be sent is at `offlineQueueLimit`
 * - INVALID_REQUEST: the request does not match the protocol schema; it was never sent
 * - BAD_SERVER_FRAME: the server sent a frame this SDK's protocol schema does not accept
 * - TOKEN_UNAVAILABLE: `getToken()` threw or rejected; the attempt is retried with backoff
 * - CALL_ENDED: a CallSession ended (rejected, missed, hung up, unavailable, ...) before the
 *   awaited step, e.g. `invite()` before the peer accepted (the class CallEndedError; the
 *   server's CALL_ENDED, for a request on an ended call, comes as a RequestError)
 */
export type SdkErrorCode =
  | 'TIMEOUT'
  | 'CONNECTION_CLOSED'
  | 'OFFLINE_QUEUE_FULL'
  | 'INVALID_REQUEST'
  | 'BAD_SERVER_FRAME'
  | 'TOKEN_UNAVAILABLE'
  | 'CALL_ENDED';

export type TetherErrorCode = ErrorCode | SdkErrorCode;

/** What a request was, for error messages and for telling requests apart in handlers. */
export type RequestSummary = Pick<ClientMessage, 'type' | 'id'> & { channel?: string; to?: string };

/**
 * Base of every error the SDK rejects with or emits. `code` is stable (branch on it);
 * `retryable` says whether trying again later (a new call) can succeed.
 */
export class TetherError extends Error {
  readonly code: TetherErrorCode;
  readonly retryable: boolean;

  constructor(code: TetherErrorCode, message: string, options: { retryable: boolean; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TetherError';
    this.code = code;
    this.retryable = options.retryable;
  }
}

/** The server answered a request (or the connection, when `requestId` is null) with an `error` frame. */
export class RequestError extends TetherError {
  readonly requestId: string | null;
  readonly request: RequestSummary | null;
  /** machine-readable specifics from the server, e.g. schema issues or `retryAfterMs` */
  readonly details: Record<string, unknown> | undefined;

  constructor(frame: ErrorFrame, request: RequestSummary | null = null) {
    super(frame.code, frame.message, { retryable: frame.retryable });
    this.name = 'RequestError';
    this.requestId = frame.id;
    this.request = request;
    this.details = frame.details;
  }
}

/** A request got no answer in time on any of its attempts (each re-sent with the same id). */
export class TimeoutError extends TetherError {
  readonly requestId: string;
  readonly attempts: number;

  constructor(request: RequestSummary, attempts: number, timeoutMs: number) {
    super('TIMEOUT', `${request.type} ${request.id}: no answer within ${timeoutMs} ms, ${attempts} attempt(s)`, { retryable: true });
    this.name = 'TimeoutError';
    this.requestId = request.id;
    this.attempts = attempts;
  }
}

/**
 * The connection ended before a request was answered. `retryable` is false when the client is
 * closed for good (see `closeCode` / `httpStatus`), true when only this request gave up.
 */
export class ConnectionClosedError extends TetherError {
  /** the WebSocket close code, when the server closed the connection */
  readonly closeCode: number | undefined;
  /** the HTTP status of a refused upgrade, where the WebSocket implementation exposes it (`ws` does, browsers do not) */
  readonly httpStatus: number | undefined;

  constructor(message: string, options: { retryable: boolean; closeCode?: number; httpStatus?: number; cause?: unknown }) {
    super('CONNECTION_CLOSED', message, options);
    this.name = 'ConnectionClosedError';
    this.closeCode = options.closeCode;
    this.httpStatus = options.httpStatus;
  }
}

/** The request was refused at once: `offlineQueueLimit` requests are already waiting to be sent. */
export class OfflineQueueFullError extends TetherError {
  readonly limit: number;

  constructor(limit: number) {
    super('OFFLINE_QUEUE_FULL', `${limit} requests are already waiting to be sent; this one was not queued`, { retryable: true });
    this.name = 'OfflineQueueFullError';
    this.limit = limit;
  }
}

/** The request does not match the protocol schema, so it was not sent. */
export class InvalidRequestError extends TetherError {
  readonly issues: string[];

  constructor(type: string, issues: string[]) {
    super('INVALID_REQUEST', `invalid ${type} request: ${issues.join('; ')}`, { retryable: false });
    this.name = 'InvalidRequestError';
    this.issues = issues;
  }
}

/** The server sent a frame the protocol schema rejects (a newer or broken server). */
export class ProtocolError extends TetherError {
  constructor(message: string, cause?: unknown) {
    super('BAD_SERVER_FRAME', message, { retryable: false, cause });
    this.name = 'ProtocolError';
  }
}

/**
 * After a reconnect, re-subscribing `channel` failed for good, so its messages no longer arrive;
 * `cause` is the server's answer. Emitted as an `error` event (nobody is awaiting a promise).
 */
export class SubscriptionLostError extends TetherError {
  readonly channel: string;

  constructor(channel: string, cause: TetherError) {
    super(cause.code, `re-subscribing ${channel} after a reconnect failed: ${cause.message}`, { retryable: cause.retryable, cause });
    this.name = 'SubscriptionLostError';
    this.channel = channel;
  }
}

/** A call ended before what was awaited happened (`invite()` resolves on accept); `end` says how. */
export class CallEndedError extends TetherError {
  readonly end: CallEnd;

  constructor(end: CallEnd) {
    super('CALL_ENDED', `call ended: ${end.reason} (${end.by})${end.message ? `: ${end.message}` : ''}`, {
      retryable: end.reason === 'missed' || end.reason === 'unavailable',
      cause: end.error,
    });
    this.name = 'CallEndedError';
    this.end = end;
  }
}
