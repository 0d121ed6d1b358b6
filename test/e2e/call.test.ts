/**
 * End to end in headless Chromium: the example pages (client-sdk/examples/web) and the built
 * SDK, served by the example server, against three real node processes on the suite's RabbitMQ
 * and Redis (scripts/local-cluster.ts, no load balancer: each page is given the node URLs in an
 * order). Two pages on different nodes set up a real RTCPeerConnection with fake media through
 * Tether and talk over a data channel; the node under one page is killed (SIGKILL) and the call
 * goes on while its SDK resumes on another node. The dashboard draws positions a patient
 * publishes from Node. Fails (never skips) when Chromium is missing.
 */
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { DEV_ISSUER, DEV_SECRET, mintToken } from '../../src/auth/dev-tokens.ts';
import type { LocalCluster } from '../../scripts/local-cluster.ts';
import { walk } from '../../client-sdk/examples/patient-sim.ts';
import { type ExampleServer, startExampleServer } from '../../client-sdk/examples/server.ts';
import type { CallDemoState, DashboardDemoState } from '../../client-sdk/examples/web/demo-state.ts';
import { connect } from '../../client-sdk/src/index.ts';
import { type Browser, buildExamples, demoOf, launchChromium, waitForDemo } from './browser.ts';
import { startSuiteCluster } from '../support/suite-cluster.ts';

describe('the SDK in Chromium against a three-node cluster', () => {
  let cluster: LocalCluster;
  let server: ExampleServer;
  let browser: Browser;
  const run = Math.random().toString(36).slice(2, 8);
  const timings: Record<string, number> = {};
  let mark = performance.now();
  /** Records the ms since the previous lap under `name`. */
  const lap = (name: string) => {
    const now = performance.now();
    timings[name] = Math.round(now - mark);
    mark = now;
  };

  beforeAll(async () => {
    [browser, cluster] = await Promise.all([
      launchChromium(),
      startSuiteCluster(),
      buildExamples(),
    ]);
    server = await startExampleServer({ port: 0, tetherUrls: cluster.nodeUrls });
    lap('setup (build, 3 nodes, Chromium)');
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await cluster?.stop();
    process.stdout.write(`e2e timings (ms): ${JSON.stringify(timings)}\n`);
  });

  const openCall = async (user: string, peer: string, role: string, node: number): Promise<Page> => {
    const page = await browser.page();
    await page.goto(`${server.url}/call.html?user=${user}&peer=${peer}&role=${role}&node=${node}`);
    await waitForDemo(page, 'demo.state === "open"');
    return page;
  };
  /** Clicks in `page` as a user would: a background tab is throttled (a click there takes seconds). */
  const press = async (page: Page, selector: string): Promise<void> => {
    await page.bringToFront();
    await page.click(selector);
  };
  const chat = async (from: Page, to: Page, text: string): Promise<void> => {
    await from.bringToFront();
    await from.fill('#message', text);
    await from.click('#send');
    await waitForDemo(to, `demo.received.includes(${JSON.stringify(text)})`);
  };

  it('connects a real call between pages on two nodes and keeps it through a kill of one node', async () => {
    mark = performance.now();
    const [carolId, patId] = [`carol-${run}`, `pat-${run}`];
    const carol = await openCall(carolId, patId, 'caregiver', 0);
    const pat = await openCall(patId, carolId, 'patient', 1);
    expect([(await demoOf<CallDemoState>(carol)).nodeId, (await demoOf<CallDemoState>(pat)).nodeId]).toEqual(['node-0', 'node-1']);
    lap('two pages open');

    await press(carol, '#call');
    await waitForDemo(pat, 'demo.call === "incoming"');
    await press(pat, '#accept');
    const connected = 'demo.call === "connected" && demo.connection === "connected" && demo.channel === "open"';
    await Promise.all([waitForDemo(carol, connected), waitForDemo(pat, connected)]);
    lap('invite to connected');
    await chat(carol, pat, 'hello from carol');
    await chat(pat, carol, 'hello from pat');
    lap('data channel round');

    const offersBefore = (await demoOf<CallDemoState>(pat)).offersReceived;
    await cluster.kill(0);
    await waitForDemo(carol, 'demo.welcomes >= 2 && demo.state === "open"');
    expect(await demoOf<CallDemoState>(carol)).toMatchObject({ nodeId: 'node-1', resumed: true });
    lap('kill to resumed on node-1');
    // the SDK restarted ICE over the new node: its offer reached the other page
    await waitForDemo(pat, `demo.offersReceived > ${offersBefore}`);
    lap('ICE restart offer delivered');
    await chat(carol, pat, 'still here after the kill');
    await chat(pat, carol, 'so am I');
    lap('data channel after the kill');
    for (const page of [carol, pat]) {
      const state = await demoOf<CallDemoState>(page);
      expect(state).toMatchObject({ call: 'connected', connection: 'connected', channel: 'open', errors: [] });
      // the media path never went down, the ICE restart included
      expect(state.connections.slice(state.connections.indexOf('connected'))).toEqual(['connected']);
    }
  }, 90_000);

  it('draws the live positions a patient publishes from Node on the dashboard canvas', async () => {
    mark = performance.now();
    const patId = `walker-${run}`;
    const page = await browser.page();
    await page.goto(`${server.url}/dashboard.html?user=carer-${run}&patient=${patId}&node=2`);
    await waitForDemo(page, 'demo.state === "open" && demo.watching');
    lap('dashboard watching');

    const patient = connect({
      url: cluster.nodeUrls[1]!,
      WebSocket,
      getToken: () => mintToken({ sub: patId, role: 'patient' }, { secret: DEV_SECRET, issuer: DEV_ISSUER }),
    });
    try {
      const start = Date.now();
      const fixes = Array.from({ length: 8 }, (_, i) => walk(i, start, 1_000));
      for (const fix of fixes) await patient.publishLocation(fix);
      await waitForDemo(page, `demo.live >= ${fixes.length} && demo.newest === ${fixes.at(-1)!.timestamp}`);
      lap('8 positions published and drawn');
    } finally {
      patient.close();
    }
    expect(await demoOf<DashboardDemoState>(page)).toMatchObject({ points: 8, live: 8, stale: false, errors: [] });
    // the current position's marker is on the canvas
    const markerPixels = await page.evaluate(`(() => {
      const canvas = document.querySelector('#map');
      const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
      let n = 0;
      for (let i = 0; i < data.length; i += 4) if (data[i] > 190 && data[i + 1] < 90 && data[i + 2] < 70 && data[i + 3] > 200) n++;
      return n;
    })()`);
    expect(markerPixels).toBeGreaterThan(50);
  }, 60_000);
});
