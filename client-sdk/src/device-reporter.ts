import type { z } from 'zod';
import type { DeviceResult, DeviceState, ReportRequest } from '../../src/protocol/index.ts';
import type { TetherClient } from './client.ts';
import type { TetherError } from './errors.ts';
import type { LocationPublisher } from './location-publisher.ts';
import { globalTimers, type Timers } from './platform.ts';

export interface DeviceReporterOptions {
  /** reads the device's state now: battery, charging, location permission and services, foreground */
  read: () => DeviceState | Promise<DeviceState>;
  /** the publisher to set to the interval the server asks for (each ack and `report` event) */
  publisher?: LocationPublisher;
  /** until the server says otherwise, ms between heartbeats (default 60 000) */
  heartbeatMs?: number;
  timers?: Timers;
  /** a heartbeat that failed (it is tried again at the next beat) */
  onError?: (error: TetherError) => void;
  /** each answer: the patient's status as the caregivers see it, and the interval asked for */
  onAnswer?: (answer: z.infer<typeof DeviceResult>) => void;
}

/**
 * For patients: the tracking-health heartbeat. Sends the device's state (`device` request) as
 * soon as the client is open (after every reconnect), then every `heartbeatMs` the server gives
 * in its answer, and at once when the app calls `changed()` (battery low, charger, permission,
 * location services, foreground/background: call it from the platform's listeners). A patient
 * whose heartbeats stop is `silent` for the caregivers after the server's threshold, so keep it
 * running while the app may be tracked. The interval in each answer goes to `publisher`.
 */
export class DeviceReporter {
  private readonly client: TetherClient;
  private readonly options: DeviceReporterOptions;
  private readonly timers: Timers;
  private readonly unlisten: () => void;
  private heartbeatMs: number;
  private timer: unknown = null;
  private sending = false;
  private again = false;
  private stopped = false;

  constructor(client: TetherClient, options: DeviceReporterOptions) {
    this.client = client;
    this.options = options;
    this.timers = options.timers ?? globalTimers;
    this.heartbeatMs = options.heartbeatMs ?? 60_000;
    this.unlisten = client.on('state', (change) => change.state === 'open' && this.changed());
    if (client.state === 'open') this.changed();
  }

  /** Sends a heartbeat now (coalesced with one already on its way) and restarts the beat. */
  changed(): void {
    if (this.stopped) return;
    if (this.sending) {
      this.again = true;
      return;
    }
    void this.send();
  }

  stop(): void {
    this.stopped = true;
    this.unlisten();
    if (this.timer !== null) this.timers.clearTimeout(this.timer);
    this.timer = null;
  }

  private async send(): Promise<void> {
    this.sending = true;
    if (this.timer !== null) this.timers.clearTimeout(this.timer);
    this.timer = null;
    try {
      const answer = await this.client.reportDevice(await this.options.read());
      this.heartbeatMs = answer.heartbeatMs;
      this.apply(answer.report);
      this.options.onAnswer?.(answer);
    } catch (error) {
      this.options.onError?.(error as TetherError);
    } finally {
      this.sending = false;
    }
    if (this.stopped) return;
    if (this.again) {
      this.again = false;
      void this.send();
      return;
    }
    this.timer = this.timers.setTimeout(() => {
      this.timer = null;
      this.changed();
    }, this.heartbeatMs);
  }

  private apply(report: ReportRequest): void {
    this.options.publisher?.follow(report);
  }
}
