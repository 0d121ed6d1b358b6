import { useEffect, useState } from 'preact/hooks';
import type { AlertsSource, CareAlert } from '../adapters/care.ts';
import { useT } from '../i18n/i18n.ts';
import { formatClock, formatWhen } from './format.ts';
import { useName } from './people.ts';

/** alerts per page: a phone screen's worth */
export const HISTORY_PAGE = 5;

type Loaded = { alerts: CareAlert[]; more: boolean; state: 'loading' | 'ready' | 'failed' };

/**
 * One patient's alerts from the server's record, newest first, a page at a time ("Show older").
 * The alerts this page watches live (`live`) are laid over it: one raised or taken since the
 * page was read shows at once, as it is now. Only those newer than the oldest read are shown,
 * so the list never has a gap.
 */
export function AlertHistory({ source, patientId, live }: { source: AlertsSource; patientId: string; live: readonly CareAlert[] }) {
  const t = useT();
  const name = useName(patientId);
  const [loaded, setLoaded] = useState<Loaded>({ alerts: [], more: false, state: 'loading' });
  const [reads, setReads] = useState(0);

  useEffect(() => {
    let current = true;
    setLoaded({ alerts: [], more: false, state: 'loading' });
    source.history(patientId, { limit: HISTORY_PAGE }).then(
      (page) => current && setLoaded({ ...page, state: 'ready' }),
      () => current && setLoaded({ alerts: [], more: true, state: 'failed' }),
    );
    return () => {
      current = false;
    };
  }, [source, patientId, reads]);

  const older = () => {
    const before = loaded.alerts.at(-1);
    setLoaded({ ...loaded, state: 'loading' });
    source.history(patientId, { limit: HISTORY_PAGE, ...(before ? { before } : {}) }).then(
      (page) => setLoaded({ alerts: [...loaded.alerts, ...page.alerts], more: page.more, state: 'ready' }),
      () => setLoaded({ ...loaded, state: 'failed' }),
    );
  };

  const shown = overlay(loaded, live.filter((a) => a.patientId === patientId));
  return (
    <section class="alert-history" aria-labelledby="alert-history-title" data-history-of={patientId}>
      <h3 id="alert-history-title">{t('alerts.history_title', { name })}</h3>
      {shown.length > 0 && (
        <ul class="alert-history-list">
          {shown.map((alert) => (
            <HistoryItem key={alert.id} alert={alert} />
          ))}
        </ul>
      )}
      {loaded.state === 'ready' && shown.length === 0 && <p class="empty">{t('alerts.history_none')}</p>}
      {loaded.state === 'ready' && shown.length > 0 && !loaded.more && (
        <p class="empty" data-history-end>
          {t('alerts.history_end')}
        </p>
      )}
      {loaded.state === 'loading' && <p class="empty">{t('alerts.history_loading')}</p>}
      {loaded.state === 'failed' && (
        <p class="error" role="alert">
          {t('alerts.history_failed')}
        </p>
      )}
      {loaded.more && loaded.state !== 'loading' && (
        <button type="button" class="button" data-action="older-alerts" onClick={() => (loaded.alerts.length === 0 ? setReads((n) => n + 1) : older())}>
          {loaded.state === 'failed' ? t('alerts.history_retry') : t('alerts.history_older', { n: HISTORY_PAGE })}
        </button>
      )}
    </section>
  );
}

/** The pages read, with the live alerts laid over them (the live view of an alert wins when it is acknowledged or the read one is not). */
function overlay(loaded: Loaded, live: readonly CareAlert[]): CareAlert[] {
  const oldest = loaded.alerts.at(-1);
  const byId = new Map(loaded.alerts.map((a) => [a.id, a]));
  for (const alert of live) {
    const read = byId.get(alert.id);
    if (read) {
      if (alert.acknowledgedAt !== undefined || read.acknowledgedAt === undefined) byId.set(alert.id, alert);
    } else if (loaded.state !== 'failed' && (!loaded.more || (oldest && alert.raisedAt > oldest.raisedAt))) {
      byId.set(alert.id, alert);
    }
  }
  return [...byId.values()].sort((a, b) => b.raisedAt - a.raisedAt || (b.id > a.id ? 1 : b.id < a.id ? -1 : 0));
}

function HistoryItem({ alert }: { alert: CareAlert }) {
  const t = useT();
  const patient = useName(alert.patientId);
  const acknowledger = useName(alert.acknowledgedBy ?? null);
  const done = alert.acknowledgedAt !== undefined;
  return (
    <li data-history-alert={alert.id} data-reason={alert.kind} data-state={done ? 'acknowledged' : 'open'}>
      <p class="alert-what">
        <strong>{t(`alert.${alert.kind}`, { name: patient })}</strong>
        {alert.zoneName !== undefined && <span class="alert-zone"> {t('alerts.zone', { zone: alert.zoneName })}</span>}
      </p>
      <p class="alert-when">
        {formatWhen(t, alert.raisedAt)} ·{' '}
        {done ? t('alerts.acknowledged_by', { name: acknowledger, time: formatClock(t, alert.acknowledgedAt!) }) : t('alerts.still_open')}
      </p>
    </li>
  );
}
