/**
 * End to end in headless Chromium, the way a patient's phone is called: the patient has no
 * connection when the caregiver calls (the app asleep), so the node calls the operator's webhook
 * (the example receiver, deploy/examples/webhook-receiver.ts, checking the signature); the "push"
 * opens the patient's page, which rings at once, accepts, and the call connects with real WebRTC,
 * forced through a private coturn (`iceTransportPolicy: 'relay'`, as behind carrier NAT) with the
 * TURN credentials the nodes hand out. Three node processes on the suite's RabbitMQ, Redis and
 * PostgreSQL (scripts/local-cluster.ts). Fails (never skips) when Chromium or coturn is missing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { type TetherEvent, startWebhookReceiver } from '../../deploy/examples/webhook-receiver.ts';
import { type CoturnInstance, startCoturn } from '../../scripts/services/coturn.ts';
import type { LocalCluster } from '../../scripts/local-cluster.ts';
import { type ExampleServer, startExampleServer } from '../../client-sdk/examples/server.ts';
import type { CallDemoState } from '../../client-sdk/examples/web/demo-state.ts';
import { type Browser, buildExamples, demoOf, launchChromium, waitForDemo } from './browser.ts';
import { startSuiteCluster } from '../support/suite-cluster.ts';

const TURN_SECRET = 'e2e-turn-secret-0123456789';
const WEBHOOK_SECRET = 'e2e-webhook-secret-0123456789';

describe('a call to a patient whose app is asleep, relayed through TURN, in Chromium', () => {
  let cluster: LocalCluster;
  let server: ExampleServer;
  let browser: Browser;
  let coturn: CoturnInstance;
  let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
  const events: TetherEvent[] = [];
  const waiting: Array<() => void> = [];
  const run = Math.random().toString(36).slice(2, 8);
  const timings: Record<string, number> = {};
  let mark = performance.now();
  const lap = (name: string) => {
    const now = performance.now();
    timings[name] = Math.round(now - mark);
    mark = now;
  };

  beforeAll(async () => {
    [coturn, receiver] = await Promise.all([
      startCoturn({ secret: TURN_SECRET }),
      startWebhookReceiver({
        port: 0,
        secret: WEBHOOK_SECRET,
        onEvent: (event) => {
          events.push(event);
          for (const wake of waiting.splice(0)) wake();
        },
      }),
    ]);
    [browser, cluster] = await Promise.all([
      launchChromium(),
      startSuiteCluster({ TURN_URLS: coturn.url, TURN_SECRET, WEBHOOK_URL: receiver.url, WEBHOOK_SECRET }),
      buildExamples(),
    ]);
    server = await startExampleServer({ port: 0, tetherUrls: cluster.nodeUrls });
    lap('setup (coturn, 3 nodes, Chromium, build)');
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await cluster?.stop();
    await receiver?.close();
    await coturn?.stop();
    process.stdout.write(`e2e sleeping callee timings (ms): ${JSON.stringify(timings)}\n`);
  });

  /** The webhook event of `type` for `calleeId` (already received, or the next). */
  const webhook = async (type: string, calleeId: string): Promise<TetherEvent> => {
    for (;;) {
      const found = events.find((e) => e.type === type && e.data.calleeId === calleeId);
      if (found) return found;
      await new Promise<void>((resolve) => waiting.push(resolve));
    }
  };
  const openCall = async (user: string, peer: string, role: string, node: number): Promise<Page> => {
    const page = await browser.page();
    await page.goto(`${server.url}/call.html?user=${user}&peer=${peer}&role=${role}&node=${node}&relay=1`);
    await waitForDemo(page, 'demo.state === "open"');
    return page;
  };
  const press = async (page: Page, selector: string): Promise<void> => {
    await page.bringToFront();
    await page.click(selector);
  };

  it('wakes the patient through the signed webhook, rings the page that connects, and connects relay to relay', async () => {
    mark = performance.now();
    const [carolId, patId] = [`carol-${run}`, `pat-${run}`];
    const carol = await openCall(carolId, patId, 'caregiver', 0);
    expect(await demoOf<CallDemoState>(carol)).toMatchObject({ turn: true });
    lap('caregiver page open');

    await press(carol, '#call');
    await waitForDemo(carol, 'demo.call === "ringing"');
    const wake = await webhook('call.invite', patId);
    lap('invite to signed webhook received');
    expect(wake.data).toMatchObject({ callerId: carolId, callerRole: 'caregiver', calleeId: patId, kind: 'call', media: 'audio' });

    // the push opens the app: it connects to another node and rings at once
    const pat = await openCall(patId, carolId, 'patient', 2);
    await waitForDemo(pat, 'demo.call === "incoming"');
    lap('patient page connected and ringing');
    await press(pat, '#accept');
    const connected = 'demo.call === "connected" && demo.connection === "connected" && demo.channel === "open" && demo.route !== null';
    await Promise.all([waitForDemo(carol, connected, 30_000), waitForDemo(pat, connected, 30_000)]);
    lap('accept to connected through TURN');

    for (const page of [carol, pat]) expect(await demoOf<CallDemoState>(page)).toMatchObject({ route: 'relay/relay', errors: [] });
    await carol.bringToFront();
    await carol.fill('#message', 'can you hear me?');
    await carol.click('#send');
    await waitForDemo(pat, 'demo.received.includes("can you hear me?")');
    lap('data channel round through TURN');
    // coturn allocated relays for both users, with the nodes' credentials
    for (const user of [carolId, patId]) expect(coturn.log()).toMatch(new RegExp(`user <\\d+:${user}>[^\\n]*ALLOCATE processed, success`));
    // the push service hears the phone it woke has answered
    expect((await webhook('call.ended', patId)).data).toMatchObject({ reason: 'answered' });
  }, 120_000);
});
