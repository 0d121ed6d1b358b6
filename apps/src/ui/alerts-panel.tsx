import { useEffect, useState } from 'preact/hooks';
import type { AlertsSource, CareAlert } from '../adapters/care.ts';
import { type MessageKey, useT, CATALOGUES } from '../i18n/i18n.ts';
import { AlertHistory } from './alert-history.tsx';
import { formatClock } from './format.ts';
import { useName } from './people.ts';

/**
 * Open and acknowledged alerts of `patients`, with an acknowledge button on the open ones and who
 * took the others; below, the `selected` patient's history from the server.
 */
export function AlertsPanel({ source, patients, selected = null }: { source: AlertsSource; patients: readonly string[]; selected?: string | null }) {
  const t = useT();
  const [alerts, setAlerts] = useState<readonly CareAlert[]>([]);
  useEffect(() => source.watch(patients, setAlerts), [source, patients.join(',')]);
  return (
    <section class="panel" aria-labelledby="alerts-title">
      <h2 id="alerts-title">{t('alerts.title')}</h2>
      {alerts.length === 0 ? (
        <p class="empty">{t('alerts.none')}</p>
      ) : (
        <ul class="alerts">
          {alerts.map((alert) => (
            <AlertItem key={alert.id} alert={alert} source={source} />
          ))}
        </ul>
      )}
      {selected !== null && <AlertHistory source={source} patientId={selected} live={alerts} />}
    </section>
  );
}

function AlertItem({ alert, source }: { alert: CareAlert; source: AlertsSource }) {
  const t = useT();
  const patient = useName(alert.patientId);
  const acknowledger = useName(alert.acknowledgedBy ?? null);
  const [busy, setBusy] = useState(false);
  const [failed, setFailed] = useState(false);
  const reasonKey = `reason.${alert.reason}` as MessageKey;
  const acknowledge = () => {
    setBusy(true);
    setFailed(false);
    source.acknowledge(alert.patientId, alert.id).then(
      () => setBusy(false),
      () => {
        setBusy(false);
        setFailed(true);
      },
    );
  };
  return (
    <li class={`alert ${alert.acknowledgedAt ? 'alert-done' : 'alert-open'}`} data-alert={alert.id} data-reason={alert.kind}>
      <p class="alert-what">
        <strong>{t(`alert.${alert.kind}`, { name: patient })}</strong>
        {alert.zoneName !== undefined && <span class="alert-zone"> {t('alerts.zone', { zone: alert.zoneName })}</span>}
        {reasonKey in CATALOGUES.en && <span> {t(reasonKey)}</span>}
      </p>
      <p class="alert-when">
        {t('alerts.raised_at', { time: formatClock(t, alert.raisedAt) })}
        {alert.acknowledgedAt === undefined && alert.level > 0 && ` · ${t('alerts.escalated', { n: alert.level })}`}
      </p>
      {alert.acknowledgedAt !== undefined ? (
        <p class="alert-ack">{t('alerts.acknowledged_by', { name: acknowledger, time: formatClock(t, alert.acknowledgedAt) })}</p>
      ) : (
        <button type="button" class="button" onClick={acknowledge} disabled={busy}>
          {t('alerts.acknowledge')}
        </button>
      )}
      {failed && <p class="error" role="alert">{t('alerts.acknowledge_failed')}</p>}
    </li>
  );
}
