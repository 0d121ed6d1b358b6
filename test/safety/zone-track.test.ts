/**
 * The zone rules on tracks: the synthetic "recorded" tracks of test/fixtures/tracks (generated
 * once by generate.ts from a seeded model of phone GPS noise, frozen as JSON) and small tracks
 * made here. Every track runs through the full rules (`evaluate`), fix by fix, as a node would.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Position, ZoneShape, ZoneView } from '../../src/protocol/index.ts';
import { type Evaluation, evaluate } from '../../src/safety/evaluate.ts';
import { offset } from '../../src/safety/geo.ts';
import type { PatientState } from '../../src/safety/patient-state.ts';
import { DEFAULT_SAFETY, type SafetySettings } from '../../src/safety/settings.ts';
import { type ZoneTrack, classify, newTrack, observe } from '../../src/safety/zone-track.ts';

interface Track {
  description: string;
  zone: ZoneShape;
  expect: { exits: number; enters: number };
  fixes: Position[];
}
const tracks = JSON.parse(readFileSync(new URL('../fixtures/tracks/tracks.json', import.meta.url), 'utf8')) as Record<string, Track>;

const zoneOf = (shape: ZoneShape, alertOn: Array<'exit' | 'enter'> = ['exit']): ZoneView => ({
  zoneId: 'home',
  patientId: 'pat',
  name: 'Home',
  shape,
  schedule: null,
  alertOn,
  version: 1,
  updatedAt: 0,
  updatedBy: 'carol',
});

/** Feeds fixes through `evaluate` with server time = device time; returns every alert raised. */
function replay(zone: ZoneView, fixes: readonly Position[], s: SafetySettings = DEFAULT_SAFETY) {
  let state: PatientState | null = null;
  let n = 0;
  const raised: Evaluation['effects'] = [];
  for (const position of fixes) {
    const r = evaluate(state, 'pat', { rev: 1, zones: [zone] }, { kind: 'fix', position }, position.timestamp, s, () => `a${++n}`);
    state = r.state;
    raised.push(...r.effects.filter((e) => e.kind === 'alert' && e.event === 'raised' && e.alert.reason.startsWith('zone_')));
    // a caregiver acknowledges at once, so a second crossing could raise a second alert
    for (const a of r.state.open.filter((x) => x.reason.startsWith('zone_'))) {
      state = evaluate(state, 'pat', { rev: 1, zones: [zone] }, { kind: 'ack', alertId: a.alertId, by: { userId: 'carol', role: 'caregiver', sessionId: 's' } }, position.timestamp, s, () => `a${++n}`).state;
    }
  }
  return { raised, state: state! };
}

const SEOUL = { lat: 37.5665, lng: 126.978 };
const at = (east: number, t: number, accuracy = 10): Position => ({ ...offset(SEOUL, 90, east), accuracy, timestamp: 1_790_000_000_000 + t * 5_000 });
const home = zoneOf({ kind: 'circle', center: SEOUL, radius: 150 });

describe('zone exits on tracks', () => {
  it.each(Object.entries(tracks))('%s: as many exit alerts as crossings, no flapping', (_name, track) => {
    const { raised, state } = replay(zoneOf(track.zone), track.fixes);
    expect(raised.length).toBe(track.expect.exits);
    if (track.expect.exits === 0) expect(state.tracks.home!.inside).toBe(true);
  });

  it('flaps with the plain rule (accuracy factor 1) on the same noise: why the default is 2.5', () => {
    const plain = { ...DEFAULT_SAFETY, accuracyFactor: 1 };
    const flaps = Object.values(tracks)
      .filter((t) => t.expect.exits === 0)
      .map((t) => replay(zoneOf(t.zone), t.fixes, plain).raised.length);
    expect(flaps.reduce((a, b) => a + b, 0)).toBeGreaterThan(3);
  });

  it('a real walk out raises one alert, with the position of the fix that confirmed it, once the fixes are past the doubt', () => {
    // home radius 150 m; walking east 6 m per fix, accuracy 10 m: doubt = 2.5 * 10 + 20 = 45 m past the edge
    const walk = Array.from({ length: 80 }, (_, i) => at(i * 6, i));
    const { raised } = replay(home, walk);
    expect(raised).toHaveLength(1);
    const alert = raised[0]!.kind === 'alert' ? raised[0]!.alert : null;
    // the first fix past 195 m is at 198 m (i = 33); the third in a row confirms (i = 35)
    expect(alert).toMatchObject({ reason: 'zone_exit', zone: { zoneId: 'home', name: 'Home' }, position: walk[35] });
  });

  it('an uncertain fix starts the count again; the T-seconds rule confirms slow reporters', () => {
    const s = { ...DEFAULT_SAFETY };
    let track: ZoneTrack = { ...newTrack(home), inside: true };
    const far = (t: number, accuracy = 10) => ({ ...at(400, t, accuracy), timestamp: 1_790_000_000_000 + t * 1000 });
    track = observe(track, home, far(0), s).track;
    track = observe(track, home, far(1), s).track;
    expect(track.pending?.count).toBe(2);
    track = observe(track, home, far(2, 200), s).track; // 400 - 150 = 250 < 2.5 * 200 + 20
    expect(track.pending).toBeNull();
    // two fixes 30 s apart (device time) confirm even though N is 3
    track = observe(track, home, far(10), s).track;
    const second = observe(track, home, far(40), s);
    expect(second.crossed).toBe('exit');
  });

  it('is strict on the side a zone alerts about: an avoid zone needs certainty to count inside', () => {
    const river = zoneOf({ kind: 'circle', center: SEOUL, radius: 150 }, ['enter']);
    // doubt = 2.5 * 10 + 20 = 45 m
    expect(classify(river, at(100, 0, 10), DEFAULT_SAFETY)).toBe('in'); // 50 m inside
    expect(classify(river, at(120, 0, 10), DEFAULT_SAFETY)).toBeNull(); // 30 m inside: not sure
    expect(classify(river, at(160, 0, 10), DEFAULT_SAFETY)).toBe('out'); // the quiet side needs only the point
    // a safe zone the other way round
    expect(classify(home, at(140, 0, 100), DEFAULT_SAFETY)).toBe('in');
    expect(classify(home, at(180, 0, 10), DEFAULT_SAFETY)).toBeNull();
    expect(classify(home, at(200, 0, 10), DEFAULT_SAFETY)).toBe('out');
  });
});
