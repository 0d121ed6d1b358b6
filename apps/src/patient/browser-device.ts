import type { DeviceState } from '../../../src/protocol/index.ts';

/** The Battery Status API (Chromium-based browsers; not in Firefox or Safari, not in TypeScript's DOM types). */
interface BatteryManager extends EventTarget {
  readonly level: number;
  readonly charging: boolean;
}

/** What location the page may get: `granted`, `denied`, or `prompt` (not asked, or not answered yet). */
export type BrowserPermission = PermissionState;

/**
 * What a browser page can tell about its phone, as the tracking-health heartbeat wants it
 * (docs/protocol.md 16.6 `device`):
 * - battery and charging: the Battery Status API where there is one, else `null` (unknown)
 * - location permission: `while_in_use` once granted (a page gets positions only while it is on
 *   screen), `denied` when refused or not granted yet (the page gets nothing until someone allows it)
 * - location services: off when the browser said the position is unavailable (a browser cannot
 *   ask whether GPS is on; this is the nearest it tells), on again with the next position
 * - foreground: the page is visible (`document.visibilityState`)
 * `onChange` hears of each change, to send a heartbeat at once.
 */
export class BrowserDevice {
  private battery: BatteryManager | null = null;
  private permission: BrowserPermission = 'prompt';
  private unavailable = false;
  private readonly listeners = new Set<() => void>();
  private readonly offs: Array<() => void> = [];

  /** Starts following the battery, the permission and the page's visibility. */
  async start(): Promise<void> {
    const visible = () => this.emit();
    document.addEventListener('visibilitychange', visible);
    this.offs.push(() => document.removeEventListener('visibilitychange', visible));
    const getBattery = (navigator as { getBattery?: () => Promise<BatteryManager> }).getBattery;
    const [battery, permission] = await Promise.all([
      getBattery ? getBattery.call(navigator).catch(() => null) : null,
      navigator.permissions?.query({ name: 'geolocation' }).catch(() => null) ?? null,
    ]);
    if (battery) {
      this.battery = battery;
      const changed = () => this.emit();
      battery.addEventListener('levelchange', changed);
      battery.addEventListener('chargingchange', changed);
      this.offs.push(() => {
        battery.removeEventListener('levelchange', changed);
        battery.removeEventListener('chargingchange', changed);
      });
    }
    if (permission) {
      this.permission = permission.state;
      const changed = () => this.setPermission(permission.state);
      permission.addEventListener('change', changed);
      this.offs.push(() => permission.removeEventListener('change', changed));
    }
  }

  get locationPermission(): BrowserPermission {
    return this.permission;
  }

  /** The permission as the browser last showed it (a refused request says `denied` even where `permissions` does not). */
  setPermission(state: BrowserPermission): void {
    if (state === this.permission) return;
    this.permission = state;
    this.emit();
  }

  /** The browser answered a position request: with a position (`null`), or with why not. */
  setPositionError(error: GeolocationPositionError | null): void {
    if (error?.code === GeolocationPositionError.PERMISSION_DENIED) return this.setPermission('denied');
    if (error === null && this.permission !== 'granted') this.setPermission('granted');
    const unavailable = error?.code === GeolocationPositionError.POSITION_UNAVAILABLE;
    if (unavailable === this.unavailable) return;
    this.unavailable = unavailable;
    this.emit();
  }

  /** battery percent, when the browser says */
  get batteryPercent(): number | null {
    return this.battery ? Math.round(this.battery.level * 100) : null;
  }

  read(): DeviceState {
    return {
      battery: this.batteryPercent,
      charging: this.battery?.charging ?? false,
      locationPermission: this.permission === 'granted' ? 'while_in_use' : 'denied',
      locationServices: !this.unavailable,
      foreground: document.visibilityState === 'visible',
    };
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  stop(): void {
    this.offs.splice(0).forEach((off) => off());
    this.listeners.clear();
  }

  private emit(): void {
    this.listeners.forEach((listener) => listener());
  }
}
