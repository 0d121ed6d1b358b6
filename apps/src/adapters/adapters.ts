import type { TetherClient } from '@tether/client';
import type { CallController } from '../call/call-controller.ts';
import { ServerCallHistory } from './call-history.ts';
import type { CareAdapters } from './care.ts';
import { LocalZones } from './local-zones.ts';
import type { ServerClock } from '../connection.ts';
import { SosAlerts } from './sos-alerts.ts';
import { serverSos } from './sos.ts';
import { StreamStatus } from './stream-status.ts';

/**
 * The adapters the apps use. Calls, call history and SOS are the server's (docs/protocol.md,
 * section 15). The server's safety work (tracking health, zones, alerts) is not on main yet:
 * until it is, the status is read from the location stream alone (stream-status.ts, and the
 * badge says so), alerts are the SOS alerts that arrive while the page is open, with no
 * acknowledgement (sos-alerts.ts), and zones stay in the page
 * (local-zones.ts). Then they are built here on `client` and nothing else in the apps changes.
 */
export function careAdapters(client: TetherClient, calls: CallController, clock: ServerClock): CareAdapters {
  return { status: new StreamStatus(client, clock), alerts: new SosAlerts(client), zones: new LocalZones(), calls: new ServerCallHistory(client, calls, clock), sos: serverSos(calls) };
}
