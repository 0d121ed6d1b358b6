import type { TrackingStatusSource } from '../adapters/care.ts';
import type { TrackingStatus } from '../adapters/care.ts';
import { useEffect, useState } from 'preact/hooks';
import { useT } from '../i18n/i18n.ts';
import { formatAgo } from '../ui/format.ts';
import { useName } from '../ui/people.ts';
import { StatusBadge } from '../ui/status-badge.tsx';
import type { PatientPlace } from './patients.ts';

export interface PatientCardProps {
  place: PatientPlace;
  selected: boolean;
  /** server time now, ms */
  serverNow: number;
  statuses: TrackingStatusSource;
  /** a call is on: call buttons are off */
  busy: boolean;
  onSelect: () => void;
  onCall: () => void;
}

/** One patient at a glance: name, tracking status, when last seen, battery, and a call button. */
export function PatientCard({ place, selected, serverNow, statuses, busy, onSelect, onCall }: PatientCardProps) {
  const t = useT();
  const name = useName(place.patientId);
  const [status, setStatus] = useState<TrackingStatus | null>(null);
  useEffect(() => statuses.watch(place.patientId, setStatus), [statuses, place.patientId]);
  const fix = place.fix;
  // the server's status has the newer of the heartbeat's and the last position's battery
  const battery = status?.battery ?? fix?.position.battery;
  return (
    <li class={`patient${selected ? ' patient-selected' : ''}`} data-patient={place.patientId}>
      <div class="patient-head">
        <h3 class="patient-name">{name}</h3>
        <StatusBadge status={status} />
      </div>
      <p class="patient-seen" data-seen>
        {place.refused !== null
          ? t('patient.not_allowed')
          : fix === null
            ? t('patient.no_position')
            : t('patient.seen', { ago: formatAgo(t, serverNow - fix.ts, fix.ts) })}
      </p>
      {(fix || battery !== undefined) && (
        <p class="patient-facts">
          {battery !== undefined && <span data-battery>{t('patient.battery', { percent: Math.round(battery) })}</span>}
          {fix && <span>{t('patient.accuracy', { m: Math.round(fix.position.accuracy) })}</span>}
        </p>
      )}
      <div class="row">
        <button type="button" class="button button-call" data-action="call" disabled={busy} onClick={onCall}>
          {t('patient.call', { name })}
        </button>
        <button type="button" class="button" data-action="show" aria-pressed={selected} disabled={fix === null} onClick={onSelect}>
          {t('patient.show', { name })}
        </button>
      </div>
    </li>
  );
}
