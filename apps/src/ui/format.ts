import type { Translator } from '../i18n/i18n.ts';

/** "just now", "12 s ago", "5 min ago", "3 h ago", or the date for older. `agoMs` below 0 counts as 0. */
export function formatAgo(t: Translator, agoMs: number, at: number): string {
  const s = Math.max(0, Math.floor(agoMs / 1000));
  if (s < 5) return t('time.just_now');
  if (s < 60) return t('time.seconds_ago', { n: s });
  if (s < 3600) return t('time.minutes_ago', { n: Math.floor(s / 60) });
  if (s < 86_400) return t('time.hours_ago', { n: Math.floor(s / 3600) });
  return new Intl.DateTimeFormat(t.language, { dateStyle: 'medium', timeStyle: 'short' }).format(at);
}

/** The time of day, in the page's language ("오후 2:05", "2:05 PM"). */
export function formatClock(t: Translator, at: number): string {
  return new Intl.DateTimeFormat(t.language, { hour: 'numeric', minute: '2-digit' }).format(at);
}

/** The day and time ("12월 1일 오후 2:05", "Dec 1, 2:05 PM"), for lists that span days. */
export function formatWhen(t: Translator, at: number): string {
  return new Intl.DateTimeFormat(t.language, { month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit' }).format(at);
}

/** A call's length as a timer shows it: 0:07, 12:34, 1:02:03. */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}
