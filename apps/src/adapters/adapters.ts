import type { TetherClient } from '@tether/client';
import type { ServerClock } from '../connection.ts';
import type { CallController } from '../call/call-controller.ts';
import { ServerCallHistory } from './call-history.ts';
import type { CareAdapters } from './care.ts';
import { ServerAlerts } from './server-alerts.ts';
import { ServerStatus } from './server-status.ts';
import { ServerZones } from './server-zones.ts';
import { serverSos } from './sos.ts';

/**
 * The adapters the apps use, all on the server: calls, call history and SOS (docs/protocol.md,
 * section 15); tracking health, alerts with acknowledgement, and safe zones (section 16).
 */
export function careAdapters(client: TetherClient, calls: CallController, clock: ServerClock): CareAdapters {
  return {
    status: new ServerStatus(client),
    alerts: new ServerAlerts(client),
    zones: new ServerZones(client),
    calls: new ServerCallHistory(client, calls, clock),
    sos: serverSos(calls),
  };
}
