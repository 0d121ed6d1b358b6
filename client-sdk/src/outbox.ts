import { type Ack, ClientMessage, type ErrorFrame } from '../../src/protocol/index.ts';
import {
  ConnectionClosedError,
  InvalidRequestError,
  OfflineQueueFullError,
  RequestError,
  type TetherError,
  TimeoutError,
} from './errors.ts';
import { type AckResult, type PendingRequest, type RequestInput, summarize } from './pending-request.ts';
import type { Timers } from './platform.ts';
import { SendQueue } from './send-queue.ts';

/** @internal What the outbox needs from the connection. */
export interface OutboxLink {
  /** true once `welcome` arrived on the current connection */
  readonly isOpen: boolean;
  /** frames received on the current connection */
  readonly framesReceived: number;
  /** writes one frame; false if it could not be written */
  send(frame: ClientMessage): boolean;
  /** the connection looks dead: abandon it and reconnect */
  drop(reason: string): void;
}

/** @internal */
export interface OutboxOptions {
  timers: Timers;
  requestTimeoutMs: number;
  maxAttempts: number;
  offlineQueueLimit: number;
  link: OutboxLink;
  /** false while `channel`'s subscribe ack is awaited on the current connection */
  gateOpen(channel: string): boolean;
}

/** @internal How an answer frame ended a request. */
export interface Settled {
  request: PendingRequest;
  /** null for an ack */
  error: RequestError | null;
}

/** @internal */
export interface RequestOptions {
  /** hold the request until this channel's subscribe ack (room signals) */
  gate?: string | null;
  /** issued by the SDK itself: not counted against the offline queue limit */
  internal?: boolean;
  /** queue ahead of everything waiting (re-subscribes) */
  front?: boolean;
  /** default: the client's `maxAttempts` */
  maxAttempts?: number;
}

const RATE_LIMIT_FALLBACK_MS = 1_000;

/**
 * @internal Every request from call to answer. Each gets an id once and keeps it on every
 * attempt. A request is sent when the connection is open and its gate (a room's subscribe ack)
 * is open; otherwise it waits in the bounded SendQueue.
 *
 * Attempts: a sent request that gets no answer within `requestTimeoutMs` is re-sent with the
 * same id (the server recognizes a repeated id of the session, also after a resume, so nothing
 * acts twice), unless no frame at all arrived meanwhile: then the link is presumed dead, dropped,
 * and the request goes out again after the reconnect. A request in flight when the connection
 * is lost is put back at the head of the queue. Both count as attempts; after `maxAttempts`
 * the request rejects (TimeoutError / ConnectionClosedError). A RATE_LIMITED answer is re-sent
 * with the same id after the server's `retryAfterMs` (those refusals are not cached). Any
 * other error answer rejects with RequestError at once: the server caches error answers per
 * id, so re-sending the same id could only repeat it; retry with a new call.
 */
export class Outbox {
  private readonly options: OutboxOptions;
  private readonly queue: SendQueue;
  private readonly inFlight = new Map<string, PendingRequest>();
  private readonly idPrefix = `${Math.random().toString(36).slice(2, 8)}-`;
  private nextId = 0;
  private closedWith: TetherError | null = null;
  private holding = false;

  constructor(options: OutboxOptions) {
    this.options = options;
    this.queue = new SendQueue(options.offlineQueueLimit);
  }

  /** Validates, queues and (if possible) sends `input`; settles with the ack's result or a TetherError. */
  request(
    input: RequestInput,
    options: RequestOptions = {},
  ): Promise<AckResult> {
    const { gate = null, internal = false, front = false, maxAttempts = this.options.maxAttempts } = options;
    if (this.closedWith) return Promise.reject(this.closedWith);
    const parsed = ClientMessage.safeParse({ ...input, id: `${this.idPrefix}${++this.nextId}` });
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(frame)'}: ${i.message}`);
      return Promise.reject(new InvalidRequestError(input.type, issues));
    }
    return new Promise<AckResult>((resolve, reject) => {
      const request: PendingRequest = {
        frame: parsed.data,
        gate,
        internal,
        maxAttempts,
        attempts: 0,
        timer: null,
        framesAtSend: 0,
        resolve,
        reject,
      };
      if (!this.queue.push(request, { front })) return reject(new OfflineQueueFullError(this.options.offlineQueueLimit));
      this.pump();
    });
  }

  /** Sends every queued request that may go now, in queue order. Call when a gate or the link opens. */
  pump(): void {
    if (!this.options.link.isOpen || this.holding) return;
    const ready = this.queue.takeReady((r) => r.gate === null || this.options.gateOpen(r.gate));
    for (const request of ready) this.send(request);
  }

  /** Runs `queue` (which issues requests) without sending, then sends everything ready, in queue order. */
  batch(queue: () => void): void {
    this.holding = true;
    try {
      queue();
    } finally {
      this.holding = false;
    }
    this.pump();
  }

  /** Ends the request `frame` answers; null if none is waiting (e.g. the second answer to a re-sent id). */
  settle(frame: Ack | ErrorFrame): Settled | null {
    if (frame.id === null) return null;
    const request = this.inFlight.get(frame.id);
    if (!request) return null;
    this.inFlight.delete(frame.id);
    this.options.timers.clearTimeout(request.timer);
    if (frame.type === 'ack') {
      request.resolve(frame.result);
      return { request, error: null };
    }
    if (frame.code === 'RATE_LIMITED' && request.attempts < request.maxAttempts) {
      const wait = typeof frame.details?.retryAfterMs === 'number' ? frame.details.retryAfterMs : RATE_LIMIT_FALLBACK_MS;
      this.inFlight.set(request.frame.id, request);
      request.timer = this.options.timers.setTimeout(() => this.resend(request), wait);
      return null;
    }
    const error = new RequestError(frame, summarize(request.frame));
    request.reject(error);
    return { request, error };
  }

  /** Rejects request `id` with `error` (its answer arrived unreadable). */
  fail(id: string, error: TetherError): PendingRequest | null {
    const request = this.inFlight.get(id);
    if (!request) return null;
    this.inFlight.delete(id);
    this.options.timers.clearTimeout(request.timer);
    request.reject(error);
    return request;
  }

  /** The connection was lost: in-flight requests go back to the head of the queue, or give up. */
  linkDown(reason: string): void {
    const back: PendingRequest[] = [];
    for (const request of this.inFlight.values()) {
      this.options.timers.clearTimeout(request.timer);
      if (request.attempts < request.maxAttempts) back.push(request);
      else request.reject(new ConnectionClosedError(`${request.frame.type} ${request.frame.id}: connection lost (${reason}) after ${request.attempts} attempt(s)`, { retryable: true }));
    }
    this.inFlight.clear();
    for (const dropped of this.queue.requeue(back)) dropped.reject(new OfflineQueueFullError(this.options.offlineQueueLimit));
  }

  /** For good: rejects everything waiting or in flight, and every later request, with `error`. */
  close(error: TetherError): void {
    this.closedWith = error;
    const all = [...this.inFlight.values(), ...this.queue.drain()];
    this.inFlight.clear();
    for (const request of all) {
      this.options.timers.clearTimeout(request.timer);
      request.reject(error);
    }
  }

  /** True when a subscribe to `channel` is queued or in flight. */
  hasSubscribe(channel: string): boolean {
    const match = (r: PendingRequest) => r.frame.type === 'subscribe' && r.frame.channel === channel;
    return this.queue.some(match) || [...this.inFlight.values()].some(match);
  }

  /** Requests waiting to be sent (offline or gated). */
  get queued(): number {
    return this.queue.size;
  }

  private send(request: PendingRequest): void {
    const { link, timers, requestTimeoutMs } = this.options;
    request.attempts++;
    request.framesAtSend = link.framesReceived;
    this.inFlight.set(request.frame.id, request);
    request.timer = timers.setTimeout(() => this.timedOut(request), requestTimeoutMs);
    // a failed write means the socket is closing: not an attempt; its close puts the request back
    if (!link.send(request.frame)) request.attempts--;
  }

  /** After a RATE_LIMITED wait (while the link stayed up: a lost link requeues it instead). */
  private resend(request: PendingRequest): void {
    this.inFlight.delete(request.frame.id);
    this.send(request);
  }

  private timedOut(request: PendingRequest): void {
    const { link, requestTimeoutMs } = this.options;
    const silent = link.framesReceived === request.framesAtSend;
    if (request.attempts >= request.maxAttempts) {
      this.inFlight.delete(request.frame.id);
      request.reject(new TimeoutError(summarize(request.frame), request.attempts, requestTimeoutMs));
    } else if (!silent) {
      this.inFlight.delete(request.frame.id);
      this.send(request);
    }
    // a silent link is dropped; `linkDown` then puts this request (still in flight) back in order
    if (silent) link.drop(`no frame from the server within ${requestTimeoutMs} ms`);
  }
}
