import type { TrackingStatus } from '../adapters/care.ts';
import { type MessageKey, useT } from '../i18n/i18n.ts';
import { CATALOGUES } from '../i18n/i18n.ts';

/**
 * A patient's tracking health: the status in a word, the reason in a phrase when the catalogue
 * has one for its code (`reason.<code>`).
 */
export function StatusBadge({ status }: { status: TrackingStatus | null }) {
  const t = useT();
  if (!status) {
    return (
      <span class="badge badge-none" data-status="unknown">
        {t('status.unknown')}
      </span>
    );
  }
  const reasonKey = `reason.${status.reason}` as MessageKey;
  const reason = reasonKey in CATALOGUES.en ? t(reasonKey) : null;
  return (
    <span class={`badge badge-${status.status}`} data-status={status.status} data-reason={status.reason}>
      <strong>{t(`status.${status.status}`)}</strong>
      {reason && <span class="badge-reason">{reason}</span>}
    </span>
  );
}
