import type { Position, ReportRequest } from '../../src/protocol/index.ts';
import type { TetherClient } from './client.ts';
import type { TetherError } from './errors.ts';
import { globalTimers, type Timers } from './platform.ts';

export interface LocationPublisherOptions {
  /** least ms between two publishes (default 5 000); fixes arriving faster replace each other */
  intervalMs?: number;
  /** default: the global setTimeout / clearTimeout */
  timers?: Timers;
  /** a fix that could not be published and will not be retried (e.g. FORBIDDEN, invalid position) */
  onError?: (error: TetherError, position: Position) => void;
  /** follow the interval the server asks for (`report` events, DeviceReporter answers); default true */
  followServer?: boolean;
  /**
   * Told when the interval changes: set the platform's location request to it (Android
   * LocationRequest interval, iOS distance filter / accuracy), so battery is spent only when it
   * matters; the publisher only paces what it sends.
   */
  onInterval?: (intervalMs: number, reason: ReportRequest['reason']) => void;
}

/**
 * For patients: publishes the device's position fixes, at most one per `intervalMs`, newest
 * first. Hand it every fix the platform reports (`update`); it keeps only the newest unsent one:
 * - while a publish is in flight or the interval has not passed, a new fix replaces the waiting one
 * - while the client is not open, likewise; the newest goes out as soon as it is open again
 * - a fix whose `timestamp` is not after the newest one seen is ignored
 * - a retryable failure keeps the fix waiting unless a newer one arrived meanwhile
 * So at most one fix is in flight and one waits: nothing grows while offline. (A fix already in
 * flight when the connection drops is re-sent by the client after the reconnect, before the
 * waiting one.)
 *
 * The server may ask for another interval (faster on a zone exit, while an alert is open, during
 * a call; slower after): unless `followServer` is false the publisher adopts it, restarting the
 * interval under way, and tells `onInterval`.
 */
export class LocationPublisher {
  private readonly client: TetherClient;
  private intervalMs: number;
  private readonly timers: Timers;
  private readonly onError: (error: TetherError, position: Position) => void;
  private readonly unlisten: () => void;
  private readonly onInterval: ((intervalMs: number, reason: ReportRequest['reason']) => void) | undefined;
  private readonly unfollow: () => void;
  private waiting: Position | null = null;
  private newest = -Infinity;
  private inFlight = false;
  private cooldown: unknown = null;
  private stopped = false;

  constructor(client: TetherClient, options: LocationPublisherOptions = {}) {
    this.client = client;
    this.intervalMs = options.intervalMs ?? 5_000;
    this.timers = options.timers ?? globalTimers;
    this.onError = options.onError ?? (() => {});
    this.unlisten = client.on('state', (change) => change.state === 'open' && this.flush());
    this.onInterval = options.onInterval;
    this.unfollow = options.followServer === false ? () => {} : client.on('report', (delivery) => this.follow(delivery.report));
  }

  /** The interval in force, ms. */
  get interval(): number {
    return this.intervalMs;
  }

  /** Adopts the interval the server asks for; an interval under way restarts with it. */
  follow(report: ReportRequest): void {
    if (this.stopped || report.intervalMs === this.intervalMs) return;
    this.intervalMs = report.intervalMs;
    this.onInterval?.(report.intervalMs, report.reason);
    if (this.cooldown === null) return;
    this.timers.clearTimeout(this.cooldown);
    this.cooldown = this.timers.setTimeout(() => {
      this.cooldown = null;
      this.flush();
    }, this.intervalMs);
  }

  /** Offers a new fix; it is published now or as soon as the interval and the connection allow. */
  update(position: Position): void {
    if (this.stopped || position.timestamp <= this.newest) return;
    this.newest = position.timestamp;
    this.waiting = position;
    this.flush();
  }

  /** The fix waiting to be published, if any. */
  get pending(): Position | null {
    return this.waiting;
  }

  /** Stops publishing; a waiting fix is discarded. */
  stop(): void {
    this.stopped = true;
    this.waiting = null;
    this.unlisten();
    this.unfollow();
    if (this.cooldown !== null) this.timers.clearTimeout(this.cooldown);
    this.cooldown = null;
  }

  private flush(): void {
    if (this.stopped || this.inFlight || this.cooldown !== null || !this.waiting || this.client.state !== 'open') return;
    const position = this.waiting;
    this.waiting = null;
    this.inFlight = true;
    this.cooldown = this.timers.setTimeout(() => {
      this.cooldown = null;
      this.flush();
    }, this.intervalMs);
    this.client.publishLocation(position).then(
      () => this.settled(),
      (error: TetherError) => {
        if (!error.retryable) this.onError(error, position);
        else if (!this.waiting && !this.stopped) this.waiting = position;
        this.settled();
      },
    );
  }

  private settled(): void {
    this.inFlight = false;
    this.flush();
  }
}
