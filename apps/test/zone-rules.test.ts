/**
 * A zone's rules in the editor (zone-rules.ts): read from the server's zone, written back as
 * docs/protocol.md 16.2 wants them, and described in the list.
 */
import { describe, expect, it } from 'vitest';
import { NEW_RULES, describeRules, rulesOf, zoneRulesOut } from '../src/console/zone-rules.ts';
import { translator } from '../src/i18n/i18n.ts';

const SEOUL = 'Asia/Seoul';

describe('zone rules', () => {
  it('a new zone is a safe zone watched at all times', () => {
    expect(zoneRulesOut(NEW_RULES, SEOUL)).toEqual({ alertOn: ['exit'], schedule: null });
  });

  it('writes one daily window in the given time zone, overnight allowed, and refuses one that starts when it ends', () => {
    expect(zoneRulesOut({ ...NEW_RULES, alertOn: 'enter', watch: 'daily', start: '22:00', end: '06:00' }, SEOUL)).toEqual({
      alertOn: ['enter'],
      schedule: { timezone: SEOUL, windows: [{ start: '22:00', end: '06:00' }] },
    });
    expect(zoneRulesOut({ ...NEW_RULES, alertOn: 'both', watch: 'daily', start: '09:00', end: '18:30' }, SEOUL)?.alertOn).toEqual(['exit', 'enter']);
    expect(zoneRulesOut({ ...NEW_RULES, watch: 'daily', start: '08:00', end: '08:00' }, SEOUL)).toBeNull();
    expect(zoneRulesOut({ ...NEW_RULES, watch: 'daily', start: '', end: '08:00' }, SEOUL)).toBeNull();
  });

  it('reads back what it wrote, keeping the zone\'s own time zone when edited elsewhere', () => {
    const zone = { alertOn: ['enter'] as const, schedule: { timezone: 'Europe/London', windows: [{ start: '22:00', end: '06:00' }] } };
    const rules = rulesOf(zone);
    expect(rules).toMatchObject({ alertOn: 'enter', watch: 'daily', start: '22:00', end: '06:00' });
    expect(zoneRulesOut({ ...rules, end: '07:00' }, SEOUL)?.schedule).toEqual({ timezone: 'Europe/London', windows: [{ start: '22:00', end: '07:00' }] });
  });

  it('keeps a schedule the editor cannot show (some days, several windows) unless another is chosen', () => {
    const schedule = { timezone: SEOUL, windows: [{ days: [1, 2, 3, 4, 5], start: '09:00', end: '17:00' }] };
    const rules = rulesOf({ alertOn: ['exit'], schedule });
    expect(rules.watch).toBe('kept');
    expect(zoneRulesOut(rules, SEOUL)).toEqual({ alertOn: ['exit'], schedule });
    expect(zoneRulesOut({ ...rules, watch: 'always' }, SEOUL)?.schedule).toBeNull();
  });

  it('describes a zone in the list, in Korean and English', () => {
    const night = { alertOn: ['exit'] as const, schedule: { timezone: Intl.DateTimeFormat().resolvedOptions().timeZone, windows: [{ start: '22:00', end: '06:00' }] } };
    expect(describeRules(translator('en'), night)).toBe('alerts on leaving · 22:00 to 06:00 the next day');
    expect(describeRules(translator('ko'), night)).toBe('벗어나면 알림 · 22:00부터 다음 날 06:00까지');
    expect(describeRules(translator('en'), { alertOn: ['enter'], schedule: null })).toBe('alerts on entering · at all times');
  });
});
