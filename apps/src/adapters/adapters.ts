import type { TetherClient } from '@tether/client';
import type { ServerCalls } from '../call/server-calls.ts';
import { ServerCallHistory } from './call-history.ts';
import type { CareAdapters } from './care.ts';
import { LocalZones } from './local-zones.ts';
import { notConnectedAlerts, notConnectedStatus } from './not-connected.ts';
import { serverSos } from './sos.ts';

/**
 * The adapters the apps use. Calls, call history and SOS are the server's (docs/protocol.md,
 * section 15). Tracking status, alerts and zones wait for the server's safety work: until it is
 * on main they say "not connected yet" (not-connected.ts, local-zones.ts); then they are built
 * here on `client` and nothing else in the apps changes.
 */
export function careAdapters(client: TetherClient, server: ServerCalls): CareAdapters {
  return { status: notConnectedStatus, alerts: notConnectedAlerts, zones: new LocalZones(), calls: new ServerCallHistory(client, server), sos: serverSos(server) };
}
