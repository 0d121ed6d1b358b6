import { DeviceReporter, LocationPublisher, type TetherClient } from '@tether/client';
import type { Position } from '../../../src/protocol/index.ts';
import { BrowserDevice, type BrowserPermission } from './browser-device.ts';

/** What the page reports, for the patient's screen (location off) and diagnostics. */
export interface ReportingView {
  /** location as the browser allows it to this page */
  permission: BrowserPermission;
  /** ms between positions, as the server asks (docs/protocol.md 16.5) */
  intervalMs: number;
  /** why the server asks for it: `normal`, `alert_open`, `call`, `zone_exit` */
  reason: string;
  /** positions the browser gave / heartbeats the server answered, since the page opened */
  fixes: number;
  heartbeats: number;
}

/**
 * The patient's page as a tracked phone (docs/protocol.md 16.3, 16.5): the browser's positions
 * (`navigator.geolocation.watchPosition`, high accuracy) go through the SDK's LocationPublisher,
 * which sends at most one per interval the server asks for; the SDK's DeviceReporter sends the
 * heartbeat (battery, permission, visibility from BrowserDevice) on start, after every reconnect,
 * at the server's `heartbeatMs` and at once on any change, and hands the server's interval to
 * the publisher. Positions are asked for at once, so a browser shows its permission question;
 * when the permission is granted later (in the browser's settings), watching starts again.
 */
export class PatientReporting {
  private readonly device = new BrowserDevice();
  private readonly publisher: LocationPublisher;
  private reporter: DeviceReporter | null = null;
  private watchId: number | null = null;
  private readonly listeners = new Set<() => void>();
  private current: ReportingView;

  constructor(private readonly client: TetherClient) {
    this.publisher = new LocationPublisher(client, {
      intervalMs: 60_000,
      onInterval: (intervalMs, reason) => this.update({ intervalMs, reason }),
      onError: (error) => console.error('position not sent', error.code), // never the position itself
    });
    this.current = { permission: 'prompt', intervalMs: this.publisher.interval, reason: 'normal', fixes: 0, heartbeats: 0 };
  }

  get view(): ReportingView {
    return this.current;
  }

  async start(): Promise<void> {
    await this.device.start();
    this.update({ permission: this.device.locationPermission });
    this.device.onChange(() => {
      const permission = this.device.locationPermission;
      if (permission !== this.current.permission) {
        this.update({ permission });
        if (permission === 'granted' && this.watchId === null) this.watch();
      }
      this.reporter?.changed();
    });
    this.reporter = new DeviceReporter(this.client, {
      read: () => this.device.read(),
      publisher: this.publisher,
      onAnswer: (answer) => this.update({ heartbeats: this.current.heartbeats + 1, intervalMs: answer.report.intervalMs, reason: answer.report.reason }),
      onError: (error) => console.error('heartbeat not sent', error.code),
    });
    if (this.device.locationPermission !== 'denied') this.watch();
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  stop(): void {
    if (this.watchId !== null) navigator.geolocation.clearWatch(this.watchId);
    this.watchId = null;
    this.reporter?.stop();
    this.publisher.stop();
    this.device.stop();
  }

  private watch(): void {
    if (!('geolocation' in navigator)) return;
    this.watchId = navigator.geolocation.watchPosition(
      (fix) => {
        this.device.setPositionError(null);
        this.publisher.update(positionOf(fix, this.device.batteryPercent));
        this.update({ fixes: this.current.fixes + 1 });
      },
      (error) => {
        this.device.setPositionError(error);
        if (error.code === GeolocationPositionError.PERMISSION_DENIED && this.watchId !== null) {
          // the browser stops this watch; a grant later starts a new one
          navigator.geolocation.clearWatch(this.watchId);
          this.watchId = null;
        }
      },
      { enableHighAccuracy: true, maximumAge: 5_000 },
    );
  }

  private update(change: Partial<ReportingView>): void {
    this.current = { ...this.current, ...change };
    this.listeners.forEach((listener) => listener());
  }
}

function positionOf(fix: GeolocationPosition, battery: number | null): Position {
  const { latitude, longitude, accuracy, heading, speed } = fix.coords;
  return {
    lat: latitude,
    lng: longitude,
    accuracy: Math.min(accuracy, 100_000),
    ...(heading !== null && Number.isFinite(heading) && heading >= 0 && heading < 360 ? { heading } : {}),
    ...(speed !== null && Number.isFinite(speed) && speed >= 0 && speed <= 1_000 ? { speed } : {}),
    ...(battery !== null ? { battery } : {}),
    timestamp: Math.round(fix.timestamp),
  };
}
