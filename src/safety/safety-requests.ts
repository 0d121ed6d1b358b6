import { mayWatchSafety, mayPublishLocation } from '../core/authorize.ts';
import { mapped, toTetherError } from '../core/bus-errors.ts';
import type { SafetyRequest } from '../core/context.ts';
import { TetherError } from '../core/errors.ts';
import type { Identity } from '../core/identity.ts';
import type { Sender } from '../protocol/index.ts';
import { RecordsError } from '../records/records.ts';
import type { SafetyService } from './safety-service.ts';
import { zoneProblems } from './zone-validate.ts';

type Caller = { identity: Identity; sender: Sender };
type Of<T extends SafetyRequest['type']> = Extract<SafetyRequest, { type: T }>;

/**
 * The safety requests (docs/protocol.md 16.5): rights first, then the records (zones, the audit
 * trail) or the patient's state (acknowledgements, heartbeats). Records failures answer
 * RECORDS_UNAVAILABLE, store failures STORE_UNAVAILABLE; both retryable.
 */
export async function handleSafetyRequest(service: SafetyService, caller: Caller, request: SafetyRequest): Promise<unknown> {
  switch (request.type) {
    case 'zone_put':
      return putZone(service, caller, request);
    case 'zone_delete':
      return deleteZone(service, caller, request);
    case 'zones': {
      mustWatch(caller, request.patientId);
      const set = await records(service.d.records.zones.listZones(request.patientId));
      return { patientId: request.patientId, zones: set.zones };
    }
    case 'alert_ack': {
      mustWatch(caller, request.patientId);
      const result = await mapped(service.apply(request.patientId, { kind: 'ack', alertId: request.alertId, by: caller.sender }));
      if (!result.alert) throw new TetherError('ALERT_NOT_FOUND', `no open or recently acknowledged alert ${request.alertId} for ${request.patientId}`);
      return { alert: result.alert };
    }
    case 'alerts': {
      mustWatch(caller, request.patientId);
      const alerts = await records(service.d.records.alerts.listAlerts(request.patientId, { before: request.before ?? null, limit: request.limit }));
      return { patientId: request.patientId, alerts };
    }
    case 'device': {
      if (!mayPublishLocation(caller.identity)) throw new TetherError('FORBIDDEN', 'only patients report their device');
      const result = await mapped(service.apply(caller.identity.userId, { kind: 'device', device: request.device }));
      return { health: result.state.health!, report: result.state.report, heartbeatMs: service.d.settings.heartbeatMs };
    }
  }
}

async function putZone(service: SafetyService, caller: Caller, request: Of<'zone_put'>): Promise<unknown> {
  const { patientId, zone } = request;
  mustWatch(caller, patientId);
  const problems = zoneProblems(zone);
  if (problems.length > 0) throw new TetherError('ZONE_INVALID', 'the zone is not valid', { issues: problems });
  const outcome = await records(
    service.d.records.zones.putZone(patientId, zone, {
      ifVersion: request.ifVersion,
      maxZones: service.d.settings.maxZones,
      by: caller.identity.userId,
      now: service.d.now(),
    }),
  );
  switch (outcome.kind) {
    case 'conflict':
      throw new TetherError('ZONE_CONFLICT', `zone ${zone.zoneId} is at version ${outcome.current?.version ?? 0}`, { current: outcome.current });
    case 'limit':
      throw new TetherError('ZONE_LIMIT', `a patient has at most ${service.d.settings.maxZones} zones`);
    case 'saved':
    case 'unchanged':
      // a retried put (unchanged) copies again what a failed first attempt may not have
      await syncZones(service, patientId);
      if (outcome.kind === 'saved') service.announceZone(patientId, zone.zoneId, outcome.zone);
      return { zone: outcome.zone };
  }
}

async function deleteZone(service: SafetyService, caller: Caller, request: Of<'zone_delete'>): Promise<unknown> {
  const { patientId, zoneId } = request;
  mustWatch(caller, patientId);
  const outcome = await records(service.d.records.zones.deleteZone(patientId, zoneId, request.ifVersion));
  switch (outcome.kind) {
    case 'not_found':
      throw new TetherError('ZONE_NOT_FOUND', `no zone ${zoneId} for ${patientId}`);
    case 'conflict':
      throw new TetherError('ZONE_CONFLICT', `zone ${zoneId} is at version ${outcome.current.version}`, { current: outcome.current });
    case 'deleted':
      await syncZones(service, patientId);
      service.announceZone(patientId, zoneId, null);
      return undefined;
  }
}

/** The zone change is durable; until the store has its copy it is not evaluated, so the request fails retryably. */
async function syncZones(service: SafetyService, patientId: string): Promise<void> {
  try {
    await service.zonesChanged(patientId);
  } catch (error) {
    if (error instanceof RecordsError) throw new TetherError('RECORDS_UNAVAILABLE', `durable records unavailable: ${error.message}`);
    throw toTetherError(error);
  }
}

function mustWatch(caller: Caller, patientId: string): void {
  if (!mayWatchSafety(caller.identity, patientId)) throw new TetherError('FORBIDDEN', `your token does not grant ${patientId}`);
}

async function records<T>(op: Promise<T>): Promise<T> {
  try {
    return await op;
  } catch (error) {
    if (error instanceof RecordsError) throw new TetherError('RECORDS_UNAVAILABLE', `durable records unavailable: ${error.message}`);
    throw error;
  }
}
