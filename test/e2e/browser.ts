/**
 * Plumbing for the browser tests: Debian's Chromium driven by playwright-core (never a
 * downloaded browser), a fresh profile per launch, the example pages compiled with the SDK, and
 * waits on the pages' `globalThis.demo` state (client-sdk/examples/web/demo-state.ts), each
 * with a deadline and, on timeout, the page's state and console in the error.
 * Extend with helpers next to `waitForDemo` as tests need them.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type BrowserContext, type Page, type Browser as PlaywrightBrowser, chromium } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
const ROOT = new URL('../..', import.meta.url).pathname;

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
  // two tabs are on at once: neither may be throttled as a background tab
  '--disable-background-timer-throttling',
  '--disable-renderer-backgrounding',
  '--disable-backgrounding-occluded-windows',
  // host candidates as plain addresses: two tabs of one headless browser cannot resolve mDNS names
  '--disable-features=WebRtcHideLocalIpsWithMdns',
];

export interface Browser {
  readonly context: BrowserContext;
  /** a new tab whose console and page errors are kept for failure messages */
  page(): Promise<Page>;
  close(): Promise<void>;
}

const consoles = new WeakMap<Page, string[]>();

/** Launches Chromium with a fresh profile; fails with the install command when it is missing. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium is missing at ${CHROMIUM}; install Debian's: apt-get update && apt-get install -y chromium (these tests never download a browser)`);
  }
  const profile = await mkdtemp(join(tmpdir(), 'tether-chromium-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: ARGS, timeout: 30_000 });
  return {
    context,
    async page() {
      const page = await context.newPage();
      const lines: string[] = [];
      consoles.set(page, lines);
      page.on('console', (message) => lines.push(`${message.type()}: ${message.text()}`));
      page.on('pageerror', (error) => lines.push(`pageerror: ${error.message}`));
      return page;
    },
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Launches Chromium for tests that need several browser contexts (each with its own viewport,
 * locale and permissions, as a phone and a desktop would have); fails like `launchChromium`.
 */
export async function launchChromiumBrowser(): Promise<PlaywrightBrowser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium is missing at ${CHROMIUM}; install Debian's: apt-get update && apt-get install -y chromium (these tests never download a browser)`);
  }
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS, timeout: 30_000 });
}

/** Compiles the SDK and the example pages into client-sdk/dist (what the example server serves). */
export async function buildExamples(): Promise<void> {
  const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
  await promisify(execFile)(process.execPath, [tsc, '-p', 'client-sdk/examples/tsconfig.json'], { cwd: ROOT, timeout: 120_000 });
}

/**
 * Waits until `condition`, a JavaScript expression over the page's `demo` state (e.g.
 * `demo.call === "connected"`), holds. Polls in the page (the state has no events to wait on
 * from here) until `timeoutMs`, then fails saying what was awaited, with the state and console.
 */
export async function waitForDemo(page: Page, condition: string, timeoutMs = 20_000): Promise<void> {
  try {
    await page.waitForFunction(`(() => { const demo = globalThis.demo; return !!demo && (${condition}); })()`, undefined, { timeout: timeoutMs, polling: 50 });
  } catch (error) {
    const state = await page.evaluate('JSON.stringify(globalThis.demo ?? null)').catch(() => 'unavailable');
    const log = (consoles.get(page) ?? []).slice(-20).join('\n  ');
    throw new Error(`${page.url()}: not within ${timeoutMs} ms: ${condition}\n state: ${String(state)}\n console:\n  ${log}`, { cause: error });
  }
}

/** The page's demo state, as JSON data. */
export async function demoOf<T>(page: Page): Promise<T> {
  return (await page.evaluate('globalThis.demo')) as T;
}
