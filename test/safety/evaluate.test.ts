/**
 * The safety rules (src/safety/evaluate.ts) as a pure function: time passes only through `now`,
 * so timers (dwell, silent, escalation, schedules) are tested by evaluating at the due time the
 * previous evaluation asked for, as the cluster's schedule would.
 */
import { describe, expect, it } from 'vitest';
import type { DeviceState, Position, ZoneView } from '../../src/protocol/index.ts';
import { type Effect, type Evaluation, type SafetyInput, type ZoneList, evaluate } from '../../src/safety/evaluate.ts';
import { offset } from '../../src/safety/geo.ts';
import type { PatientState } from '../../src/safety/patient-state.ts';
import { DEFAULT_SAFETY } from '../../src/safety/settings.ts';

const SEOUL = { lat: 37.5665, lng: 126.978 };
const T0 = Date.UTC(2026, 10, 2, 3, 0); // 12:00 in Seoul, a Monday
const s = { ...DEFAULT_SAFETY, dwellMs: 600_000, silentMs: 180_000, stationaryMs: 600_000, escalateMs: 300_000, escalateMax: 2 };
const carol = { userId: 'carol', role: 'caregiver', sessionId: 'c1' };
const device = (over: Partial<DeviceState> = {}): DeviceState => ({ battery: 80, charging: false, locationPermission: 'always', locationServices: true, foreground: false, ...over });
const zone = (over: Partial<ZoneView> = {}): ZoneView => ({
  zoneId: 'home',
  patientId: 'pat',
  name: 'Home',
  shape: { kind: 'circle', center: SEOUL, radius: 150 },
  schedule: null,
  alertOn: ['exit'],
  version: 1,
  updatedAt: 0,
  updatedBy: 'carol',
  ...over,
});

/** A patient's life as a sequence of inputs at times; keeps the state and every effect. */
class Life {
  state: PatientState | null = null;
  effects: Effect[] = [];
  last!: Evaluation;
  private n = 0;
  private readonly zones: ZoneList | null;
  constructor(zones: ZoneList | null = { rev: 1, zones: [zone()] }) {
    this.zones = zones;
  }
  at(now: number, input: SafetyInput): Evaluation {
    this.last = evaluate(this.state, 'pat', this.zones, input, now, s, () => `al-${++this.n}`);
    this.state = this.last.state;
    this.effects.push(...this.last.effects);
    return this.last;
  }
  fix(now: number, east: number, accuracy = 10, battery?: number): Evaluation {
    const position: Position = { ...offset(SEOUL, 90, east), accuracy, timestamp: now, ...(battery === undefined ? {} : { battery }) };
    return this.at(now, { kind: 'fix', position });
  }
  /** evaluates at the due time the last evaluation asked for */
  tick(): Evaluation {
    return this.at(this.last.due!, { kind: 'tick' });
  }
  alerts(event = 'raised') {
    return this.effects.flatMap((e) => (e.kind === 'alert' && e.event === event ? [e.alert] : []));
  }
  statuses() {
    return this.effects.flatMap((e) => (e.kind === 'status' ? [`${e.health.status}/${e.health.reason}`] : []));
  }
  reports() {
    return this.effects.flatMap((e) => (e.kind === 'report' ? [`${e.report.reason}:${e.report.intervalMs}`] : []));
  }
  walkOut(from: number): number {
    for (let i = 0; i < 3; i++) this.fix(from + i * 5_000, 0);
    for (let i = 0; i < 6; i++) this.fix(from + 15_000 + i * 5_000, 400);
    return from + 40_000;
  }
}

describe('safety rules', () => {
  it('raises a dwell alert outside every safe zone for dwellMs, with nothing more heard about position', () => {
    const life = new Life();
    const out = life.walkOut(T0);
    expect(life.alerts().map((a) => a.reason)).toEqual(['zone_exit']);
    // heartbeats keep it from going silent; no position arrives
    life.at(out + 100_000, { kind: 'device', device: device() });
    life.at(out + 200_000, { kind: 'device', device: device() });
    life.at(out + 300_000, { kind: 'device', device: device() });
    life.at(out + 400_000, { kind: 'device', device: device() });
    life.at(out + 500_000, { kind: 'device', device: device() });
    const confirmedAt = T0 + 15_000 + 2 * 5_000;
    // due times come one by one (standing still at 400 m, the patient turns stationary first)
    while (life.last.due! <= confirmedAt + s.dwellMs) life.tick();
    expect(life.statuses()).toContain('stationary/not_moving');
    expect(life.alerts().map((a) => a.reason)).toEqual(['zone_exit', 'dwell']);
    expect(life.alerts()[1]!.raisedAt).toBe(confirmedAt + s.dwellMs);
    // once per time outside
    life.at(life.last.due ?? out + 700_000, { kind: 'tick' });
    expect(life.alerts().map((a) => a.reason)).toEqual(['zone_exit', 'dwell']);
  });

  it('goes silent silentMs after the last heartbeat or position, once, and live again when heard', () => {
    const life = new Life(null);
    life.at(T0, { kind: 'device', device: device() });
    life.fix(T0 + 1_000, 0);
    expect(life.last.due).toBe(T0 + 1_000 + s.silentMs);
    life.tick();
    expect(life.statuses()).toEqual(['no_fix/no_fix_yet', 'live/reporting', 'silent/not_heard']);
    expect(life.state!.health).toMatchObject({ status: 'silent', since: T0 + 1_000 + s.silentMs });
    expect(life.alerts().map((a) => a.reason)).toEqual(['silent']);
    expect(life.last.due).toBe(life.state!.open[0]!.nextEscalationAt); // only the escalation is left
    life.fix(T0 + 400_000, 0);
    expect(life.statuses().at(-1)).toBe('live/reporting');
    expect(life.alerts()).toHaveLength(1);
  });

  it('tells stationary from silent, and no_fix from both', () => {
    const life = new Life(null);
    life.fix(T0, 0);
    for (let t = 60_000; t <= 660_000; t += 60_000) life.at(T0 + t, { kind: 'device', device: device() });
    expect(life.statuses()).toEqual(['live/reporting', 'stationary/not_moving']);
    life.at(T0 + 700_000, { kind: 'device', device: device({ locationPermission: 'while_in_use', foreground: false }) });
    life.at(T0 + 760_000, { kind: 'device', device: device({ locationServices: false }) });
    life.at(T0 + 820_000, { kind: 'device', device: device({ locationPermission: 'denied' }) });
    expect(life.statuses().slice(2)).toEqual(['no_fix/background_not_allowed', 'no_fix/services_off', 'no_fix/permission_denied']);
    life.at(T0 + 880_000, { kind: 'device', device: device() });
    life.fix(T0 + 900_000, 500); // moved 500 m
    expect(life.statuses().slice(-2)).toEqual(['stationary/not_moving', 'live/reporting']);
    expect(life.alerts()).toEqual([]);
  });

  it('raises battery_low once per low period, from heartbeats or positions, and clears it on charging', () => {
    const life = new Life(null);
    life.fix(T0, 0, 10, 40);
    life.at(T0 + 1_000, { kind: 'device', device: device({ battery: 14 }) });
    life.fix(T0 + 2_000, 0, 10, 13);
    expect(life.alerts().map((a) => a.reason)).toEqual(['battery_low']);
    expect(life.state!.health).toMatchObject({ status: 'battery_low', battery: 13 });
    life.at(T0 + 3_000, { kind: 'device', device: device({ battery: 13, charging: true }) });
    expect(life.state!.health!.status).toBe('live');
    life.at(T0 + 4_000, { kind: 'device', device: device({ battery: 12 }) });
    // while the first is open, a second low period raises nothing new
    expect(life.alerts().map((a) => a.reason)).toEqual(['battery_low']);
    life.at(T0 + 5_000, { kind: 'ack', alertId: life.alerts()[0]!.alertId, by: carol });
    life.at(T0 + 6_000, { kind: 'device', device: device({ battery: 30, charging: true }) });
    life.at(T0 + 7_000, { kind: 'device', device: device({ battery: 11 }) });
    expect(life.alerts().map((a) => a.reason)).toEqual(['battery_low', 'battery_low']);
  });

  it('escalates an open alert every escalateMs up to escalateMax, and stops once acknowledged', () => {
    const life = new Life();
    life.walkOut(T0);
    const raised = life.alerts()[0]!;
    expect(raised.nextEscalationAt).toBe(raised.raisedAt + s.escalateMs);
    life.at(raised.raisedAt + s.escalateMs, { kind: 'device', device: device() });
    life.at(raised.raisedAt + 2 * s.escalateMs, { kind: 'device', device: device() });
    expect(life.alerts('escalated').map((a) => a.level)).toEqual([1, 2]);
    expect(life.state!.open[0]!.nextEscalationAt).toBeNull(); // escalateMax reached
    const ack = life.at(raised.raisedAt + 650_000, { kind: 'ack', alertId: raised.alertId, by: carol });
    expect(ack.alert).toMatchObject({ state: 'acknowledged', acknowledgedBy: carol, acknowledgedAt: raised.raisedAt + 650_000, level: 2 });
    expect(ack.closed).toEqual([raised.alertId]);
    // a second acknowledgement answers with the first, changing nothing
    const again = life.at(raised.raisedAt + 660_000, { kind: 'ack', alertId: raised.alertId, by: { ...carol, userId: 'dan' } });
    expect(again.alert).toMatchObject({ acknowledgedBy: carol });
    expect(again.effects.filter((e) => e.kind === 'alert')).toEqual([]);
    expect(life.at(T0, { kind: 'ack', alertId: 'nope', by: carol }).alert).toBeNull();
  });

  it('asks for fast reports while leaving a zone, while an alert is open, during a call; slow again after', () => {
    const life = new Life();
    for (let i = 0; i < 3; i++) life.fix(T0 - 15_000 + i * 5_000, 0); // inside, confirmed
    life.fix(T0 + 5_000, 400); // leaving: the first fix outside
    expect(life.reports()).toEqual(['zone_exit:5000']);
    life.fix(T0 + 10_000, 400);
    life.fix(T0 + 15_000, 400); // confirmed: an alert opens
    expect(life.reports()).toEqual(['zone_exit:5000', 'alert_open:5000']);
    life.at(T0 + 20_000, { kind: 'ack', alertId: life.alerts()[0]!.alertId, by: carol });
    expect(life.reports().at(-1)).toBe('zone_exit:5000');
    life.at(T0 + 30_000, { kind: 'call', callId: 'call-1', until: T0 + 3_600_000 });
    expect(life.reports().at(-1)).toBe('call:5000');
    life.at(T0 + 40_000, { kind: 'call', callId: 'call-1', until: null });
    expect(life.reports().at(-1)).toBe('zone_exit:5000');
    // the hold after leaving ends on its own, a due time (heartbeats keep the patient from going silent)
    for (let t = 100_000; t < 300_000; t += 100_000) life.at(T0 + t, { kind: 'device', device: device() });
    expect(life.last.due).toBe(T0 + 15_000 + s.reportFastHoldMs);
    life.tick();
    expect(life.reports().at(-1)).toBe('normal:60000');
  });

  it('a call that is never ended stops counting at its `until`', () => {
    const life = new Life(null);
    life.at(T0, { kind: 'call', callId: 'c', until: T0 + 60_000 });
    expect(life.last.due).toBe(T0 + 60_000);
    life.tick();
    expect(life.reports()).toEqual(['call:5000', 'normal:60000']);
  });

  it('watches a scheduled zone only in its window, and judges the side the patient is on when it starts', () => {
    // home from 22:00 to 06:00 Seoul time; it is 12:00
    const night = zone({ schedule: { timezone: 'Asia/Seoul', windows: [{ start: '22:00', end: '06:00' }] } });
    const life = new Life({ rev: 1, zones: [night] });
    life.walkOut(T0);
    expect(life.alerts()).toEqual([]); // out during the day: fine
    expect(life.state!.tracks.home!.inside).toBe(false);
    // heartbeats at 21:59 keep the patient from going silent
    const start = Date.UTC(2026, 10, 2, 13, 0);
    life.at(start - 60_000, { kind: 'device', device: device() });
    expect(life.last.due).toBe(start);
    life.tick();
    expect(life.alerts().map((a) => [a.reason, a.zone?.name])).toEqual([['zone_exit', 'Home']]);
  });

  it('judges no scheduled zone for a silent patient, and stops ticking for it, so its state can expire', () => {
    const night = zone({ schedule: { timezone: 'Asia/Seoul', windows: [{ start: '22:00', end: '06:00' }] } });
    const life = new Life({ rev: 1, zones: [night] });
    life.walkOut(T0);
    life.at(T0 + 3_600_000, { kind: 'tick' }); // an hour without a word: silent
    life.at(T0 + 7_200_000, { kind: 'tick' });
    life.at(T0 + 10_800_000, { kind: 'tick' }); // its alerts escalated as far as they go
    expect(life.last.due).toBeNull();
    life.at(Date.UTC(2026, 10, 2, 13, 0), { kind: 'tick' }); // 22:00 in Seoul, still silent
    expect(life.alerts().map((a) => a.reason)).toEqual(['silent']);
  });

  it('an SOS becomes an alert once, whatever the retries, and keeps its care circle for the webhook', () => {
    const life = new Life(null);
    const sos = { alertId: 'sos-1', kind: 'sos' as const, patientId: 'pat', from: { userId: 'pat', role: 'patient', sessionId: 'p' }, callId: 'call-9', caregivers: ['carol', 'dan'], ts: T0 };
    life.at(T0, { kind: 'sos', alert: sos });
    life.at(T0 + 10, { kind: 'sos', alert: sos });
    expect(life.alerts()).toMatchObject([{ alertId: 'sos-1', reason: 'sos', callId: 'call-9', raisedAt: T0 }]);
    expect(life.effects.find((e) => e.kind === 'alert')).toMatchObject({ circle: ['carol', 'dan'] });
    expect(life.last.opened).toEqual([]);
  });

  it('ignores an old or repeated fix (a retry after a lost ack)', () => {
    const life = new Life();
    life.fix(T0, 0);
    const before = JSON.stringify(life.state);
    life.fix(T0, 0);
    expect(life.last.effects).toEqual([]);
    expect({ ...JSON.parse(JSON.stringify(life.state)), updatedAt: 0 }).toEqual({ ...JSON.parse(before), updatedAt: 0 });
  });

  it('counts a fix dated ahead of the server clock as taken now: later, correctly dated fixes still raise an exit', () => {
    const life = new Life();
    life.fix(T0, 0);
    life.at(T0 + 5_000, { kind: 'fix', position: { ...SEOUL, accuracy: 10, timestamp: T0 + 86_400_000 } });
    life.walkOut(T0 + 10_000);
    expect(life.alerts().map((a) => a.reason)).toEqual(['zone_exit']);
  });

  it('keeps the side the patient is on when a zone is renamed or rescheduled: the next exit is still raised', () => {
    const life = new Life();
    for (let i = 0; i < 3; i++) life.fix(T0 + i * 5_000, 0);
    expect(life.state!.tracks.home!.inside).toBe(true);
    const renamed = new Life({ rev: 2, zones: [zone({ version: 2, name: 'Home (new)' })] });
    renamed.state = life.state;
    for (let i = 0; i < 6; i++) renamed.fix(T0 + 15_000 + i * 5_000, 400);
    expect(renamed.alerts().map((a) => a.reason)).toEqual(['zone_exit']);
  });

  it('drops the track of a moved or deleted zone: a new shape starts unknown, raising nothing', () => {
    const life = new Life();
    life.walkOut(T0);
    expect(life.state!.tracks.home!.inside).toBe(false);
    const moved = new Life({ rev: 2, zones: [zone({ version: 2, shape: { kind: 'circle', center: offset(SEOUL, 90, 400), radius: 150 } })] });
    moved.state = life.state;
    moved.fix(T0 + 60_000, 400);
    expect(moved.state!.tracks.home).toMatchObject({ version: 2, inside: null });
    const gone = new Life({ rev: 3, zones: [] });
    gone.state = moved.state;
    gone.at(T0 + 70_000, { kind: 'tick' });
    expect(gone.state!.tracks).toEqual({});
    expect(gone.state!.outsideSince).toBeNull();
  });
});
