/**
 * The caregiver dashboard: `dashboard.html?user=carol&patient=pat` follows one patient, drawing
 * the recent trail (history) and every live position on a canvas (trail-canvas.ts), and says
 * when the position is live, only last known, or stale. Run examples/patient-sim.ts to publish.
 */
import type { LocationFix } from '../../src/index.ts';
import type { DashboardDemoState } from './demo-state.ts';
import { $, connectPage, describe, log, params } from './page.ts';
import { TrailCanvas } from './trail-canvas.ts';

const user = params.get('user') ?? 'carol';
const patient = params.get('patient') ?? 'pat';

const demo: DashboardDemoState = { user, patient, state: 'connecting', nodeId: null, watching: false, points: 0, live: 0, newest: null, stale: false, draws: 0, errors: [] };
(globalThis as { demo?: DashboardDemoState }).demo = demo;

const trail = new TrailCanvas($<HTMLCanvasElement>('#map'));

function render(): void {
  $('#who').textContent = `${user} watching ${patient}`;
  $('#link').textContent = `${demo.state}${demo.nodeId ? ` on ${demo.nodeId}` : ''}`;
  trail.draw();
  Object.assign(demo, { points: trail.size, newest: trail.newest?.timestamp ?? null, draws: demo.draws + 1 });
}

function fail(error: unknown): void {
  demo.errors.push(describe(error));
  log(`error: ${describe(error)}`);
}

const client = await connectPage({ sub: user, role: 'caregiver', patients: [patient] });
client.on('state', (s) => {
  demo.state = s.state;
  if (s.state !== 'open') log(`connection ${s.state}${s.reason ? `: ${s.reason}` : ''}`);
  render();
});
client.on('welcome', (w) => {
  demo.nodeId = w.nodeId;
  render();
});
client.on('stale', (s) => {
  if (s.patientId !== patient) return;
  demo.stale = true;
  trail.status = 'stale';
  log(`no position from ${patient} lately`);
  render();
});
client.on('error', fail);

const onFix = (fix: LocationFix): void => {
  if (fix.live) demo.live++;
  demo.stale = false;
  trail.status = fix.live ? 'live' : 'last known';
  trail.add(fix.position);
  render();
};

try {
  // live first, so nothing published between the two reads is missed; the trail fills in behind
  await client.watchLocation(patient, onFix);
  demo.watching = true;
  for (const fix of await client.history(patient, { limit: 200 })) trail.add(fix.position);
  render();
  log(`watching ${patient}`);
} catch (error) {
  fail(error);
}
render();
