import type { TetherClient } from '@tether/client';
import type { CareAdapters } from './care.ts';
import { LocalZones } from './local-zones.ts';
import { notConnectedAlerts, notConnectedCalls, notConnectedSos, notConnectedStatus } from './not-connected.ts';

/**
 * The adapters the apps use. Phase 1: none is connected to the server (see not-connected.ts
 * and local-zones.ts). Phase 2 builds them on `client` (the calls and safety requests and
 * channels) here, and nothing else in the apps changes.
 */
export function careAdapters(_client: TetherClient): CareAdapters {
  return { status: notConnectedStatus, alerts: notConnectedAlerts, zones: new LocalZones(), calls: notConnectedCalls, sos: notConnectedSos };
}
