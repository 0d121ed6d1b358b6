/**
 * The apps (apps/: caregiver console, patient call screen), built with Vite and served by
 * apps/dev/serve.ts with generated map tiles, in headless Chromium against three real node
 * processes on the suite's RabbitMQ, Redis and PostgreSQL (scripts/local-cluster.ts, each page
 * given the node URLs from a chosen one). A desktop console in English and phones in Korean, as
 * the browser's language picks them. Safety is the server's (section 16): a patient whose phone
 * goes quiet turns silent within SAFETY_SILENT_MS; a patient's own page (Chromium's fake
 * geolocation) shows the console first "location off", then its position and battery, and
 * reports at the pace the server asks (faster while an alert is open); zones drawn on the map are kept and checked by
 * the server, with what each alerts on and when it is watched (a place to keep away from, at
 * night, then at all times: walking into it raises an alert), and when the patient walks out
 * of a safe zone, the alert shows on two caregivers' consoles
 * and the one a second caregiver acknowledges shows who took it on the first. Calls are the server's (docs/protocol.md, section 15): a patient's SOS rings
 * the console and the patient's phone joins the call once it is taken (and, when nobody takes
 * it, tells the patient to call); a call the caregiver gives
 * up, and one nobody answers in the ring window, show as missed on the patient's phone and in the
 * console's recent calls; a caregiver calls a patient from the console, both of the patient's
 * devices ring, the phone answers with one tap and the other stops ringing, audio flows
 * (Chromium's fake microphone), the node under the console is killed (SIGKILL) and the call goes
 * on. Along the way: axe-core finds no serious or critical violation, the patient screen keeps
 * text >= 18 px and touch targets >= 64 px; at the end, a console pages through the selected
 * patient's alert history and lists exactly the server's record, each alert as it is now; no message is missing a translation, and screenshots
 * go to .tmp/screenshots/ (docs/screenshots/ with UPDATE_SCREENSHOTS=1) for review.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core';
import { type AppsServer, buildApps, startAppsServer } from '../../apps/dev/serve.ts';
import { type LocalCluster, describeCluster } from '../../scripts/local-cluster.ts';
import { type TetherClient, connect } from '../../client-sdk/src/index.ts';
import { DEV_ISSUER, DEV_SECRET, mintToken } from '../../src/auth/dev-tokens.ts';
import { launchChromiumBrowser } from './browser.ts';
import { describeViolations, holds, openPage, screenshot, seriousViolations, shows, tap, targetsSmallerThan, textSmallerThan, untranslated } from './apps-pages.ts';
import { startSuiteCluster } from '../support/suite-cluster.ts';

const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 1, isMobile: true, hasTouch: true, locale: 'ko-KR', timezoneId: 'Asia/Seoul' };
const DESKTOP = { viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1, locale: 'en-US' };
/** the patient's phone, location allowed, at Seoul Station (far from the zones drawn near the walk) */
const PATIENT_PHONE = { ...PHONE, permissions: ['geolocation'], geolocation: { latitude: 37.5547, longitude: 126.9707, accuracy: 20 } };
const WALK_STEPS = 16;
/** the server's ring window (CALL_RING_TIMEOUT_MS): short, so a missed call happens within the test */
const RING_MS = 5_000;
/** the server's SAFETY_SILENT_MS: a patient whose phone sends nothing this long turns silent */
const SILENT_MS = 3_000;

/** A walk along a street in Seoul, one fix every 20 s of device time, ending now. */
function seoulWalk(step: number, now: number) {
  return { lat: 37.5796 + step * 0.00018, lng: 126.9770 + 0.0006 * Math.sin(step / 3), accuracy: 12, battery: 71, timestamp: now - (WALK_STEPS - step) * 20_000 };
}

describe('the caregiver console and the patient call screen in Chromium, on three nodes', () => {
  let cluster: LocalCluster;
  let server: AppsServer;
  let browser: Browser;
  let dist: string;
  let walker: TetherClient | null = null;
  const contexts: BrowserContext[] = [];
  const run = Math.random().toString(36).slice(2, 8);
  const carol = `carol-${run}`;
  const pat = `pat-${run}`;
  const kim = `kim-${run}`;
  const dan = `dan-${run}`;
  const names = { [carol]: '김미영', [pat]: '박영호', [kim]: '이순자', [dan]: '최동훈' };
  const timings: Record<string, number> = {};
  let mark = performance.now();
  const lap = (name: string) => {
    const now = performance.now();
    timings[name] = Math.round(now - mark);
    mark = now;
  };
  /** pat's phone (the walker) reports `fixes` positions at `point`, a second apart, each newer than any before */
  let walkedAt = 0;
  const walk = async (point: { lat: number; lng: number }, fixes: number) => {
    for (let i = 0; i < fixes; i++) {
      walkedAt = Math.max(walkedAt + 1_000, Date.now());
      await walker!.publishLocation({ ...point, accuracy: 12, battery: 70, timestamp: walkedAt });
    }
  };
  const context = async (options: BrowserContextOptions) => {
    const made = await browser.newContext(options);
    contexts.push(made);
    return made;
  };

  beforeAll(async () => {
    dist = await mkdtemp(join(tmpdir(), 'tether-apps-'));
    [browser, cluster] = await Promise.all([
      launchChromiumBrowser(),
      startSuiteCluster({ CALL_RING_TIMEOUT_MS: String(RING_MS), SAFETY_SILENT_MS: String(SILENT_MS) }),
      buildApps(dist),
    ]);
    server = await startAppsServer({ port: 0, tetherUrls: cluster.nodeUrls, tiles: 'local', people: names, dist });
    // the patient's phone, from Node: a walk the console shows as a trail
    walker = connect({ url: cluster.nodeUrls[2]!, WebSocket, getToken: () => mintToken({ sub: pat, role: 'patient' }, { secret: DEV_SECRET, issuer: DEV_ISSUER }) });
    const now = Date.now();
    for (let step = 0; step < WALK_STEPS; step++) await walker.publishLocation(seoulWalk(step, now));
    lap('setup (build, 3 nodes, Chromium, a walk)');
  }, 120_000);
  afterAll(async () => {
    walker?.close();
    for (const made of contexts) await made.close();
    await browser?.close();
    await server?.close();
    await cluster?.stop();
    if (dist) await rm(dist, { recursive: true, force: true });
    process.stdout.write(`apps e2e timings (ms): ${JSON.stringify(timings)}\n`);
  });

  /** axe-core, the patient screen's size rules where asked, and translations, on the page as it is. */
  const audit = async (page: Page, { patientScreen }: { patientScreen: boolean }) => {
    const violations = await seriousViolations(page);
    expect(violations, describeViolations(violations)).toEqual([]);
    expect(await untranslated(page)).toEqual([]);
    if (patientScreen) {
      expect(await textSmallerThan(page, 18)).toEqual([]);
      expect(await targetsSmallerThan(page, 64)).toEqual([]);
    }
  };

  it('names every node by its process id and title, as npm run cluster prints them', () => {
    const lines = describeCluster(cluster, 'routed');
    for (let i = 0; i < 3; i++) {
      const pid = cluster.pid(i)!;
      expect(lines.find((l) => l.includes(`node-${i}:`))).toContain(`pid ${pid}`);
      expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8')).toContain(`tether node-${i} port ${new URL(cluster.nodeUrls[i]!).port}`);
    }
  });

  describe('a caregiver\'s console on a phone, in Korean', () => {
    let page: Page;

    it('shows every patient on the map and in the list, one turning silent with an alert and live again', async () => {
      mark = performance.now();
      page = await openPage(await context(PHONE), `${server.url}/console.html?user=${carol}&patients=${pat},${kim}&node=1`);
      await shows(page, '.top [data-status="connected"]');
      await shows(page, `[data-patient="${pat}"] [data-battery]`);
      expect(await page.locator('h1').innerText()).toBe('보호자 화면');
      expect(await page.locator(`li[data-patient="${kim}"] [data-seen]`).innerText()).toBe('아직 위치 정보 없음');
      expect(await page.locator(`li[data-patient="${pat}"] .patient-name`).innerText()).toBe(names[pat]);
      // the marker on the map, named
      await shows(page, `.leaflet-marker-pane [data-patient="${pat}"]`);
      expect(await page.locator(`.leaflet-marker-pane [data-patient="${pat}"]`).innerText()).toBe(names[pat]);
      // the walk ended: silent once SAFETY_SILENT_MS passed, with its reason, and an alert
      await shows(page, `li[data-patient="${pat}"] .badge[data-status="silent"][data-reason="not_heard"]`, SILENT_MS + 10_000);
      expect(await page.locator(`li[data-patient="${pat}"] .badge`).innerText()).toContain('휴대폰 소식이 없습니다');
      await shows(page, '.alerts li[data-reason="silent"]');
      expect(await page.locator('.alerts li[data-reason="silent"]').innerText()).toContain(`${names[pat]} 님의 휴대폰이 응답하지 않습니다`);
      expect(await page.locator(`li[data-patient="${kim}"] .badge`).getAttribute('data-status')).toBe('unknown');
      // a new position: live again
      await walker!.publishLocation(seoulWalk(WALK_STEPS, Date.now()));
      await shows(page, `li[data-patient="${pat}"] .badge[data-status="live"]`);
      await audit(page, { patientScreen: false });
      lap('phone console: silent and live again');
    }, 60_000);

    it('shows what a patient\'s own phone page reports: location off, then its position and battery, at the pace the server asks', async () => {
      mark = performance.now();
      // kim's phone opens the patient page with location not allowed: its heartbeat says so
      const kimsPhone = await context(PHONE);
      const phone = await openPage(kimsPhone, `${server.url}/patient.html?user=${kim}&contacts=${carol}&node=0`);
      await shows(phone, '[data-screen="home"] [data-location="off"]');
      await shows(page, `li[data-patient="${kim}"] .badge[data-status="no_fix"][data-reason="permission_denied"]`);
      expect(await page.locator(`li[data-patient="${kim}"] .badge`).innerText()).toContain('위치 권한이 꺼져 있습니다');
      await audit(phone, { patientScreen: true });
      await screenshot(phone, 'patient-location-off-phone');
      // allowed, at a place in Seoul: the page publishes its position, the console shows kim live, on the map
      await kimsPhone.setGeolocation({ latitude: 37.5512, longitude: 126.9882, accuracy: 15 });
      await kimsPhone.grantPermissions(['geolocation'], { origin: server.url });
      await holds(phone, `!document.querySelector('[data-location="off"]')`);
      await shows(page, `li[data-patient="${kim}"] .badge[data-status="live"]`);
      await shows(page, `.leaflet-marker-pane [data-patient="${kim}"]`);
      expect(await page.locator(`li[data-patient="${kim}"] [data-seen]`).innerText()).not.toBe('아직 위치 정보 없음');
      // a heartbeat for the new permission, a position, and the pace the server asked for (no alert of kim's is open)
      await holds(phone, `tetherApp.reporting.permission === 'granted' && tetherApp.reporting.heartbeats > 1 && tetherApp.reporting.fixes > 0`);
      expect(await phone.evaluate('tetherApp.reporting')).toMatchObject({ intervalMs: 60_000, reason: 'normal' });
      // battery: the Battery Status API's, where the browser has one (Chromium does)
      const battery = (await phone.evaluate('navigator.getBattery().then((b) => Math.round(b.level * 100))')) as number;
      await shows(page, `li[data-patient="${kim}"] [data-battery]`);
      expect(await page.locator(`li[data-patient="${kim}"] [data-battery]`).innerText()).toContain(`${battery}%`);
      await phone.close();
      lap('a patient page reports its position and heartbeat');
    }, 30_000);

    it('draws the trail of the selected patient over a chosen time', async () => {
      mark = performance.now();

      await tap(page, `li[data-patient="${pat}"] [data-action="show"]`);
      await shows(page, `[data-trail-summary="${WALK_STEPS + 1}"]`);
      await holds(page, `document.querySelectorAll('.trail-arrow').length > 0`);
      await page.selectOption('[data-trail-range]', String(15 * 60_000));
      await shows(page, `[data-trail-summary="${WALK_STEPS + 1}"]`);
      lap('phone console: patients and trail');
      await audit(page, { patientScreen: false });
      await screenshot(page, 'console-phone');
    }, 30_000);

    it('draws and edits safe zones on the map', async () => {
      mark = performance.now();

      // a round zone, sized by number
      await tap(page, '[data-action="add-circle"]');
      await page.fill('.zone-form input[type="text"]', '집');
      await page.fill('.zone-form input[type="number"]', '200');
      await page.locator('.zone-form input[type="number"]').dispatchEvent('change');
      await tap(page, '.zone-form button[type="submit"]');
      await shows(page, 'li[data-zone]');
      expect(await page.locator('li[data-zone]').innerText()).toContain('원형, 200m');
      // (the list is by name: 구역 2 before 집)
      // a zone by corners: three taps on the map
      await tap(page, '[data-action="add-polygon"]');
      await page.locator('[data-map]').scrollIntoViewIfNeeded();
      const map = (await page.locator('[data-map]').boundingBox())!;
      for (const [x, y] of [[0.3, 0.3], [0.7, 0.35], [0.5, 0.7]] as const) await page.mouse.click(map.x + map.width * x, map.y + map.height * y);
      await holds(page, `!document.querySelector('.zone-form button[type="submit"]').disabled`);
      expect(await page.locator('.zone-handle').count()).toBe(3);
      await tap(page, '.zone-form button[type="submit"]');
      await holds(page, `document.querySelectorAll('li[data-zone]').length === 2`);
      expect(await page.locator('li[data-zone]:has-text("꼭짓점 3개")').count()).toBe(1);
      // edit the circle's radius, then delete the polygon
      await tap(page, 'li[data-zone]:has-text("집") >> button >> nth=0');
      await page.fill('.zone-form input[type="number"]', '350');
      await page.locator('.zone-form input[type="number"]').dispatchEvent('change');
      await tap(page, '.zone-form button[type="submit"]');
      await holds(page, `[...document.querySelectorAll('li[data-zone]')].some((li) => li.innerText.includes('350m'))`);
      await tap(page, 'li[data-zone]:has-text("꼭짓점") >> button >> nth=1');
      await holds(page, `document.querySelectorAll('li[data-zone]').length === 1`);
      lap('phone console: zones');
    }, 30_000);

    it('sets what a zone alerts on and when it is watched, and alerts when the patient goes into a place to keep away from', async () => {
      mark = performance.now();
      // a place to keep away from, watched at night: "22:00 to 06:00"
      await tap(page, '[data-action="add-circle"]');
      await page.fill('.zone-form input[type="text"]', '공사장');
      await page.fill('.zone-form input[type="number"]', '200');
      await page.locator('.zone-form input[type="number"]').dispatchEvent('change');
      await page.check('.zone-form input[name="zone-alert-on"][value="enter"]');
      await page.check('.zone-form input[name="zone-watch"][value="daily"]');
      await page.fill('.zone-form [data-time="start"]', '22:00');
      await page.fill('.zone-form [data-time="end"]', '22:00');
      await shows(page, '.zone-form [data-zone-problem]');
      expect(await page.locator('.zone-form button[type="submit"]').isDisabled()).toBe(true);
      await page.fill('.zone-form [data-time="end"]', '06:00');
      await holds(page, `!document.querySelector('.zone-form [data-zone-problem]') && !document.querySelector('.zone-form button[type="submit"]').disabled`);
      await audit(page, { patientScreen: false });
      await page.locator('.zone-form').scrollIntoViewIfNeeded();
      await screenshot(page, 'console-phone-zone-rules');
      await tap(page, '.zone-form button[type="submit"]');
      const site = 'li[data-zone]:has-text("공사장") [data-zone-rules]';
      await shows(page, site);
      expect(await page.locator(site).innerText()).toBe('들어가면 알림 · 22:00부터 다음 날 06:00까지');
      // as the server keeps it
      const reader = connect({ url: cluster.nodeUrls[0]!, WebSocket, getToken: () => mintToken({ sub: carol, role: 'caregiver', patients: [pat] }, { secret: DEV_SECRET, issuer: DEV_ISSUER }) });
      const kept = (await reader.zones(pat)).find((z) => z.name === '공사장');
      expect(kept).toMatchObject({ alertOn: ['enter'], schedule: { timezone: 'Asia/Seoul', windows: [{ start: '22:00', end: '06:00' }] } });
      // watched at all times from now on; the editor shows the rules it was saved with
      await tap(page, 'li[data-zone]:has-text("공사장") >> button >> nth=0');
      expect(await page.locator('.zone-form input[name="zone-alert-on"][value="enter"]').isChecked()).toBe(true);
      expect(await page.locator('.zone-form [data-time="start"]').inputValue()).toBe('22:00');
      await page.check('.zone-form input[name="zone-watch"][value="always"]');
      await tap(page, '.zone-form button[type="submit"]');
      await holds(page, `document.querySelector('li[data-zone] [data-zone-rules]') && [...document.querySelectorAll('li[data-zone]')].some((li) => li.innerText.includes('들어가면 알림 · 항상'))`);
      expect((await reader.zones(pat)).find((z) => z.name === '공사장')).toMatchObject({ alertOn: ['enter'], schedule: null, version: 2 });
      reader.close();
      // pat comes from far away into it: the server raises a zone_enter alert
      const middle = kept!.shape.kind === 'circle' ? kept!.shape.center : { lat: 0, lng: 0 };
      await walk({ lat: middle.lat + 0.02, lng: middle.lng }, 3);
      await walk(middle, 3);
      await shows(page, '.alerts li[data-reason="zone_enter"]');
      expect(await page.locator('.alerts li[data-reason="zone_enter"]').innerText()).toContain(`${names[pat]} 님이 구역에 들어왔습니다 (공사장)`);
      lap('phone console: zone rules and an enter alert');
    }, 30_000);

    it('shows the alert when the patient walks out of a zone, and who took it when a second caregiver does', async () => {
      mark = performance.now();
      // the zone is the server's: pat walks out of it, the server raises an alert, and a second caregiver takes it
      const reader = connect({ url: cluster.nodeUrls[0]!, WebSocket, getToken: () => mintToken({ sub: carol, role: 'caregiver', patients: [pat] }, { secret: DEV_SECRET, issuer: DEV_ISSUER }) });
      const zone = (await reader.zones(pat)).find((z) => z.name === '집');
      reader.close();
      expect(zone?.shape).toMatchObject({ kind: 'circle', radius: 350 });
      const middle = zone!.shape.kind === 'circle' ? zone!.shape.center : { lat: 0, lng: 0 };
      await walk(middle, 3);
      await walk({ lat: middle.lat + 0.02, lng: middle.lng }, 3);
      await shows(page, '.alerts li[data-reason="zone_exit"] button');
      expect(await page.locator('.alerts li[data-reason="zone_exit"]').innerText()).toContain(`${names[pat]} 님이 안심 구역을 벗어났습니다 (집)`);
      await audit(page, { patientScreen: false });
      const second = await openPage(await context(DESKTOP), `${server.url}/console.html?user=${dan}&patients=${pat}&node=2`);
      await shows(second, '.alerts li[data-reason="zone_exit"] button');
      expect(await second.locator('.alerts li[data-reason="zone_exit"]').innerText()).toContain(`${names[pat]} left a safe zone (집)`);
      await tap(second, '.alerts li[data-reason="zone_exit"] button');
      await shows(second, '.alerts li[data-reason="zone_exit"] .alert-ack');
      expect(await second.locator('.alerts li[data-reason="zone_exit"] .alert-ack').innerText()).toContain(`${names[dan]} took it at`);
      // the first caregiver's phone sees who took it
      await shows(page, '.alerts li[data-reason="zone_exit"] .alert-ack');
      expect(await page.locator('.alerts li[data-reason="zone_exit"] .alert-ack').innerText()).toContain(`${names[dan]} 님이`);
      await audit(second, { patientScreen: false });
      await page.locator('#alerts-title').scrollIntoViewIfNeeded();
      await screenshot(page, 'console-phone-alerts');
      await screenshot(second, 'console-desktop-second-caregiver');
      lap('zone exit alert taken by a second caregiver');
      await second.close();
      await page.close();
    }, 60_000);
  });

  describe('calls between the patient\'s phone (Korean) and a caregiver\'s desktop console (English)', () => {
    let patient: Page;
    let desk: Page;

    it('opens the patient\'s home and the console, ready for calls', async () => {
      mark = performance.now();
      patient = await openPage(await context(PATIENT_PHONE), `${server.url}/patient.html?user=${pat}&contacts=${carol}&node=1`);
      desk = await openPage(await context(DESKTOP), `${server.url}/console.html?user=${carol}&patients=${pat},${kim}&node=0`);
      await shows(patient, '[data-screen="home"] [data-status="connected"]');
      await shows(desk, '.top [data-status="connected"]');
      expect(await desk.evaluate('tetherApp.nodeId')).toBe('node-0');
      expect(await patient.evaluate('tetherApp.nodeId')).toBe('node-1');
      expect(await patient.locator('h1').innerText()).toBe(`${names[pat]} 님, 안녕하세요`);
      await audit(patient, { patientScreen: true });
      await screenshot(patient, 'patient-home-phone');
      // the page reports as fast as the server asks while one of pat's alerts is open (the silence of the first step)
      await holds(patient, `tetherApp.reporting.heartbeats > 0 && tetherApp.reporting.fixes > 0 && tetherApp.reporting.reason === 'alert_open'`);
      expect(await patient.locator('[data-location="off"]').count()).toBe(0);
      expect(await patient.evaluate('tetherApp.reporting.intervalMs')).toBe(5_000);
      // a first touch lets the page ring, where the browser asks for one
      if (await patient.locator('[data-action="sound"]').isVisible()) await tap(patient, '[data-action="sound"]');
      await holds(patient, `!document.querySelector('[data-action="sound"]')`);
      lap('pages open');

    }, 30_000);

    it('rings the care circle for an SOS, and the patient\'s phone joins the call a caregiver takes', async () => {
      mark = performance.now();
      // SOS: confirmed first, then the server rings the care circle (carol) and the patient's phone joins the call she takes
      await tap(patient, '[data-action="sos"]');
      await shows(patient, '[data-sos="confirm"]');
      await audit(patient, { patientScreen: true });
      await tap(patient, '[data-action="sos-send"]');
      await shows(patient, '[data-sos="sent"]');
      await shows(desk, '.call-panel[data-phase="incoming"][data-kind="sos"]');
      expect(await desk.locator('#call-title').innerText()).toBe(`${names[pat]} is asking for help`);
      await holds(desk, 'tetherApp.ringing');
      await shows(desk, '.alerts li[data-reason="sos"]');
      expect(await desk.locator('.alerts li[data-reason="sos"]').first().innerText()).toContain(`${names[pat]} asked for help`);
      await tap(desk, '.call-panel [data-action="answer"]');
      await shows(patient, '[data-screen="call"][data-phase="connected"]');
      await shows(desk, '.call-panel[data-phase="connected"]');
      expect(await desk.evaluate('tetherApp.ringing')).toBe(false);
      expect(await patient.locator('#peer').innerText()).toBe(names[carol]);
      await tap(desk, '.call-panel [data-action="hangup"]');
      await shows(patient, '[data-screen="call"][data-phase="ended"]');
      await tap(patient, '[data-action="close"]');
      await shows(patient, '[data-action="sos"]');
      await tap(desk, '.call-panel [data-action="close"]');
      await shows(desk, `.calls li[data-reason="completed"]`);
      expect(await desk.locator('.calls li').first().innerText()).toContain(`${names[pat]} asked for help (SOS)`);
      lap('SOS taken from the console');

    }, 30_000);

    it('tells the patient when nobody takes an SOS', async () => {
      mark = performance.now();
      // an SOS nobody takes (the only caregiver declines it): the patient is told to call
      await tap(patient, '[data-action="sos"]');
      await tap(patient, '[data-action="sos-send"]');
      await shows(desk, '.call-panel[data-phase="incoming"][data-kind="sos"]');
      await tap(desk, '.call-panel [data-action="decline"]');
      await shows(patient, '[data-sos="unanswered"]');
      expect(await patient.locator('[data-sos="unanswered"] p').innerText()).toContain('아무도 응답하지 못했어요');
      await audit(patient, { patientScreen: true });
      await screenshot(patient, 'patient-sos-unanswered-phone');
      await tap(patient, '[data-sos="unanswered"] button');
      await tap(desk, '.call-panel [data-action="close"]');
      lap('SOS nobody takes');

    }, 30_000);

    it('shows a call the caregiver gave up as missed on the patient\'s phone, with call back', async () => {
      mark = performance.now();
      // a call the caregiver gives up while it rings is a missed call for the patient, with call back
      await shows(desk, `li[data-patient="${pat}"] [data-battery]`);
      await tap(desk, `li[data-patient="${pat}"] [data-action="call"]`);
      await shows(patient, '[data-screen="incoming"]');
      await shows(desk, '.call-panel[data-phase="ringing"]');
      await tap(desk, '.call-panel [data-action="hangup"]');
      await shows(patient, `[data-missed="${carol}"] [data-action="call-back"]`);
      expect(await patient.locator(`[data-missed="${carol}"] p`).first().innerText()).toContain(`${names[carol]} 님의 부재중 전화`);
      await audit(patient, { patientScreen: true });
      await tap(patient, '[data-action="missed-seen"]');
      await holds(patient, `!document.querySelector('[data-missed]')`);
      await tap(desk, '.call-panel [data-action="close"]');
      await shows(desk, `li[data-patient="${pat}"] [data-action="call"]:not([disabled])`);
      await shows(desk, `.calls li[data-reason="cancelled"]`);
      lap('a call given up');

    }, 30_000);

    it('shows a call nobody answered in the ring window as missed on both sides', async () => {
      mark = performance.now();
      // nobody answers within the server's ring window: missed on both sides
      await tap(desk, `li[data-patient="${pat}"] [data-action="call"]`);
      await shows(patient, '[data-screen="incoming"]');
      await shows(desk, '.call-panel[data-phase="ended"]', RING_MS + 10_000);
      expect(await desk.locator('#call-status').innerText()).toContain(`${names[pat]} did not answer.`);
      await shows(patient, `[data-missed="${carol}"]`);
      expect(await patient.evaluate('tetherApp.ringing')).toBe(false);
      await shows(desk, `.calls li[data-reason="missed"]`);
      expect(await desk.locator('.calls li[data-reason="missed"]').first().innerText()).toContain(`To ${names[pat]} · no answer`);
      await screenshot(patient, 'patient-missed-phone');
      await tap(desk, '.call-panel [data-action="close"]');
      lap('a call nobody answered');

    }, 30_000);

    it('rings every device of the patient, stops the others when one answers with one tap, and carries audio both ways', async () => {
      mark = performance.now();
      // the patient's second device (a tablet, on another node) rings too, and stops when the phone answers
      const tablet = await openPage(await context(PATIENT_PHONE), `${server.url}/patient.html?user=${pat}&contacts=${carol}&node=2`);
      await shows(tablet, '[data-screen="home"] [data-status="connected"]');
      await tap(desk, `li[data-patient="${pat}"] [data-action="call"]`);
      await shows(tablet, '[data-screen="incoming"]');
      await shows(patient, '[data-screen="incoming"]');
      // the caller's name, not the patient's own
      expect(await patient.locator('#caller').innerText()).toBe(names[carol]);
      await holds(patient, 'tetherApp.ringing');
      await shows(desk, '.call-panel[data-phase="ringing"]');
      await audit(patient, { patientScreen: true });
      await screenshot(patient, 'patient-incoming-phone');
      lap('invite to ringing');

      await tap(patient, '[data-action="answer"]');
      await shows(tablet, '[data-screen="home"]');
      const tabletPhases = (await tablet.evaluate('tetherApp.callPhases')) as string[];
      expect(tabletPhases).toContain('incoming');
      expect(tabletPhases.filter((p) => p === 'connecting' || p === 'connected')).toEqual([]);
      expect(await tablet.evaluate('tetherApp.ringing')).toBe(false);
      await tablet.close();
      await shows(patient, '[data-screen="call"][data-phase="connected"]');
      await shows(desk, '.call-panel[data-phase="connected"]');
      expect(await patient.evaluate('tetherApp.ringing')).toBe(false);
      for (const page of [desk, patient]) await holds(page, '(await tetherApp.audioBytesReceived()) > 0');
      await holds(patient, `document.querySelector('[data-timer]').innerText.trim() !== '0:00'`);
      lap('one tap to audio both ways');
    }, 30_000);

    it('keeps the call through a SIGKILL of the console\'s node, and says so in plain words', async () => {
      mark = performance.now();
      const before = { desk: (await desk.evaluate('tetherApp.audioBytesReceived()')) as number, patient: (await patient.evaluate('tetherApp.audioBytesReceived()')) as number };
      const phasesBefore = { desk: ((await desk.evaluate('tetherApp.callPhases')) as string[]).length, patient: ((await patient.evaluate('tetherApp.callPhases')) as string[]).length };
      // what the console's connection line says, from now on
      await desk.evaluate(`(() => {
        const line = document.querySelector('.top [role="status"]');
        globalThis.linkWords = [line.innerText];
        new MutationObserver(() => globalThis.linkWords.push(line.innerText)).observe(line, { childList: true, subtree: true, characterData: true });
      })()`);
      await cluster.kill(0);
      await holds(desk, `tetherApp.connection === 'open' && tetherApp.nodeId !== null && tetherApp.nodeId !== 'node-0'`, 30_000);
      await shows(desk, '.top [data-status="connected"]');
      // in plain words, and back to "Connected" (no close codes, no "reconnecting" left behind)
      const words = (await desk.evaluate('globalThis.linkWords')) as string[];
      expect(words[0]).toBe('Connected');
      expect(words).toContain('Connection lost. Reconnecting…');
      expect(words.at(-1)).toBe('Connected');
      expect(words.filter((w) => w !== 'Connected' && w !== 'Connection lost. Reconnecting…')).toEqual([]);
      lap('kill to the console reconnected');
      // audio still flows both ways, and neither side's call left `connected`
      await holds(desk, `(await tetherApp.audioBytesReceived()) > ${before.desk}`);
      await holds(patient, `(await tetherApp.audioBytesReceived()) > ${before.patient}`);
      for (const [name, page] of [['desk', desk], ['patient', patient]] as const) {
        const phases = (await page.evaluate('tetherApp.callPhases')) as string[];
        expect(phases.slice(phasesBefore[name] - 1)).toEqual(['connected']);
      }
      await audit(patient, { patientScreen: true });
      await audit(desk, { patientScreen: false });
      await screenshot(patient, 'patient-call-phone');
      await screenshot(desk, 'console-desktop');
      lap('audio after the kill');
    }, 60_000);

    it('hangs up, and a console opened later lists the same calls from the server\'s history', async () => {
      mark = performance.now();
      await tap(patient, '[data-action="hangup"]');
      await shows(desk, '.call-panel[data-phase="ended"]');
      expect(await desk.locator('#call-status').innerText()).toContain(`${names[pat]} ended the call.`);
      await shows(patient, '[data-screen="call"][data-phase="ended"]');
      await tap(patient, '[data-action="close"]');
      await shows(patient, '[data-screen="home"]');
      await shows(desk, `.calls li[data-call] >> nth=4`);
      await audit(desk, { patientScreen: false });
      await desk.locator('#calls-title').scrollIntoViewIfNeeded();
      await screenshot(desk, 'console-desktop-calls');
      lap('hang up');

      // the history is the server's: a console opened now, on another node, lists the same calls, newest first
      const later = await openPage(await context(DESKTOP), `${server.url}/console.html?user=${carol}&patients=${pat},${kim}&node=2`);
      await holds(later, `document.querySelectorAll('.calls li[data-call]').length === 5`);
      const reasons = await later.locator('.calls li[data-call]').evaluateAll((items) => items.map((item) => item.getAttribute('data-reason')));
      expect(reasons).toEqual(['completed', 'missed', 'cancelled', 'declined', 'completed']);
      expect(await later.locator('.calls li[data-call]').last().innerText()).toContain(`${names[pat]} asked for help (SOS)`);
      lap('history in a new console');
    }, 30_000);

    it('pages through the selected patient\'s alerts from the server\'s record, each as it is now', async () => {
      mark = performance.now();
      // one more alert: pat walks back into 집 and out again (the first exit was taken by dan)
      const reader = connect({ url: cluster.nodeUrls[1]!, WebSocket, getToken: () => mintToken({ sub: carol, role: 'caregiver', patients: [pat] }, { secret: DEV_SECRET, issuer: DEV_ISSUER }) });
      const home = (await reader.zones(pat)).find((z) => z.name === '집')!;
      const middle = home.shape.kind === 'circle' ? home.shape.center : { lat: 0, lng: 0 };
      await walk(middle, 3);
      await walk({ lat: middle.lat + 0.02, lng: middle.lng }, 3);
      // the record is written just after an alert is announced: read it until it has the second exit
      const deadline = Date.now() + 20_000;
      let record = await reader.alertHistory(pat, { limit: 100 });
      while (record.filter((a) => a.reason === 'zone_exit').length < 2) {
        if (Date.now() > deadline) throw new Error(`the second zone exit is not in the record: ${JSON.stringify(record.map((a) => a.reason))}`);
        await new Promise((resolve) => setTimeout(resolve, 100)); // polling the record, which has no event
        record = await reader.alertHistory(pat, { limit: 100 });
      }
      reader.close();
      const page = 5; // HISTORY_PAGE in apps/src/ui/alert-history.tsx
      expect(record.length).toBeGreaterThan(page);

      const hist = await openPage(await context(DESKTOP), `${server.url}/console.html?user=${carol}&patients=${pat},${kim}&node=1`);
      await shows(hist, `li[data-patient="${pat}"] [data-action="show"]:not([disabled])`);
      await tap(hist, `li[data-patient="${pat}"] [data-action="show"]`);
      await holds(hist, `document.querySelectorAll('.alert-history li[data-history-alert]').length === ${page}`);
      expect(await hist.locator('#alert-history-title').innerText()).toBe(`Alert history of ${names[pat]}`);
      while (!(await hist.locator('[data-history-end]').isVisible())) {
        const shown = await hist.locator('.alert-history li[data-history-alert]').count();
        await tap(hist, '[data-action="older-alerts"]');
        await holds(hist, `document.querySelectorAll('.alert-history li[data-history-alert]').length > ${shown} || !!document.querySelector('[data-history-end]')`);
      }
      const ids = await hist.locator('.alert-history li[data-history-alert]').evaluateAll((items) => items.map((item) => item.getAttribute('data-history-alert')));
      expect(ids).toEqual(record.map((a) => a.alertId));
      const taken = record.find((a) => a.reason === 'zone_exit' && a.state === 'acknowledged')!;
      expect(await hist.locator(`li[data-history-alert="${taken.alertId}"]`).innerText()).toContain(`${names[dan]} took it at`);
      const second = record.find((a) => a.reason === 'zone_exit' && a.state === 'open')!;
      expect(await hist.locator(`li[data-history-alert="${second.alertId}"]`).innerText()).toContain('nobody has taken it yet');
      // taken now, from the alerts above: the record's entry shows who took it at once
      await tap(hist, `.alerts li[data-alert="${second.alertId}"] button`);
      await holds(hist, `document.querySelector('li[data-history-alert="${second.alertId}"]').innerText.includes(${JSON.stringify(`${names[carol]} took it at`)})`);
      await audit(hist, { patientScreen: false });
      await hist.locator('#alert-history-title').scrollIntoViewIfNeeded();
      await screenshot(hist, 'console-desktop-alert-history');
      lap('alert history, page by page');
    }, 60_000);
  });
});
