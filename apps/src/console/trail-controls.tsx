import { type MessageKey, useT } from '../i18n/i18n.ts';
import { formatClock } from '../ui/format.ts';
import { TRAIL_RANGES, type TrailPoint, type TrailRange, trailLengthM } from './trail.ts';

const RANGE_KEYS: readonly MessageKey[] = ['trail.range_15m', 'trail.range_1h', 'trail.range_6h', 'trail.range_24h'];

/** The trail's time range and what it shows: how many positions, from when, how far. */
export function TrailControls({ range, trail, loading, failed, onRange }: { range: TrailRange; trail: readonly TrailPoint[]; loading: boolean; failed: boolean; onRange: (range: TrailRange) => void }) {
  const t = useT();
  const first = trail[0];
  const km = (trailLengthM(trail) / 1000).toFixed(1);
  return (
    <section class="panel trail-panel" aria-labelledby="trail-title">
      <h2 id="trail-title">{t('trail.title')}</h2>
      <label>
        {t('trail.range')}
        <select value={range} onChange={(e) => onRange(Number(e.currentTarget.value) as TrailRange)} data-trail-range>
          {TRAIL_RANGES.map((r, i) => (
            <option key={r} value={r}>
              {t(RANGE_KEYS[i]!)}
            </option>
          ))}
        </select>
      </label>
      <p data-trail-summary={trail.length}>
        {failed ? t('trail.failed') : loading ? t('trail.loading') : trail.length === 0 ? t('trail.empty') : t('trail.summary', { n: trail.length, since: formatClock(t, first!.ts), km })}
      </p>
      <p class="hint">{t('trail.legend')}</p>
    </section>
  );
}
