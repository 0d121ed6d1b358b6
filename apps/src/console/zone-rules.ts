import type { Zone, ZoneAlertOn, ZoneSchedule } from '../adapters/care.ts';
import type { Translator } from '../i18n/i18n.ts';

/**
 * A zone's rules as the editor shows them (docs/protocol.md 16.2): what it alerts on, and when
 * it is watched. The editor writes one daily window ("home, 22:00 to 06:00") in the browser's
 * time zone; a schedule it cannot show (several windows, some days only: written by another
 * app) is kept as it is unless the caregiver picks another.
 */
export type AlertChoice = 'exit' | 'enter' | 'both';
export type WatchChoice = 'always' | 'daily' | 'kept';

export interface ZoneRules {
  alertOn: AlertChoice;
  watch: WatchChoice;
  /** "HH:MM", for `daily` */
  start: string;
  end: string;
  /** the schedule as it was, for `kept` (and its time zone for `daily`) */
  kept: ZoneSchedule | null;
}

/** a new zone: a safe zone, at all times; the daily window offered is the night */
export const NEW_RULES: ZoneRules = { alertOn: 'exit', watch: 'always', start: '22:00', end: '06:00', kept: null };

export function rulesOf(zone: Pick<Zone, 'schedule' | 'alertOn'>): ZoneRules {
  const alertOn: AlertChoice = zone.alertOn.includes('exit') ? (zone.alertOn.includes('enter') ? 'both' : 'exit') : 'enter';
  const schedule = zone.schedule;
  if (schedule === null) return { ...NEW_RULES, alertOn };
  const [only] = schedule.windows;
  if (schedule.windows.length === 1 && only && (only.days === undefined || only.days.length === 7)) return { alertOn, watch: 'daily', start: only.start, end: only.end, kept: schedule };
  return { ...NEW_RULES, alertOn, watch: 'kept', kept: schedule };
}

/** What to save; `null` when the rules cannot be saved as they are (a window that starts when it ends). */
export function zoneRulesOut(rules: ZoneRules, timezone: string): { alertOn: ZoneAlertOn[]; schedule: ZoneSchedule | null } | null {
  const alertOn: ZoneAlertOn[] = rules.alertOn === 'both' ? ['exit', 'enter'] : [rules.alertOn];
  if (rules.watch === 'always') return { alertOn, schedule: null };
  if (rules.watch === 'kept') return { alertOn, schedule: rules.kept };
  if (!isClock(rules.start) || !isClock(rules.end) || rules.start === rules.end) return null;
  return { alertOn, schedule: { timezone: rules.kept?.timezone ?? timezone, windows: [{ start: rules.start, end: rules.end }] } };
}

/** The browser's IANA time zone (`Asia/Seoul`), where a new schedule's times are read. */
export function browserTimezone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

/** "alerts on leaving · 22:00 to 06:00 the next day", for the list of zones. */
export function describeRules(t: Translator, zone: Pick<Zone, 'schedule' | 'alertOn'>): string {
  const rules = rulesOf(zone);
  const when = rules.watch === 'always' ? t('zones.list_always') : rules.watch === 'kept' ? t('zones.list_kept') : windowText(t, rules.start, rules.end);
  const zoneText = rules.watch === 'daily' && zone.schedule && zone.schedule.timezone !== browserTimezone() ? ` (${zone.schedule.timezone})` : '';
  return `${t(`zones.list_${rules.alertOn}`)} · ${when}${zoneText}`;
}

export function windowText(t: Translator, start: string, end: string): string {
  return t(end < start ? 'zones.window_overnight' : 'zones.window', { start, end });
}

function isClock(text: string): boolean {
  return /^([01]\d|2[0-3]):[0-5]\d$/.test(text);
}
