import { useT } from '../i18n/i18n.ts';

/** Shown in place of a feature whose server side is not connected yet (phase 1). */
export function NotConnected({ feature }: { feature: 'status' | 'alerts' | 'calls' | 'zones' | 'sos' }) {
  const t = useT();
  return (
    <p class="not-connected" data-not-connected={feature}>
      <strong>{t('not_connected.title')}</strong> {t(`not_connected.${feature}`)}
    </p>
  );
}
