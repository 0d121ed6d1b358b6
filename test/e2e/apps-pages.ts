/**
 * Helpers for the apps' browser tests (test/e2e/apps.test.ts): pages with their console kept
 * for failure messages, waits on what the screen shows (with the page's text and console on
 * timeout), the accessibility audit (axe-core), the patient screen's size rules, and
 * screenshots (see SCREENSHOTS). Extend with more waits here as the apps grow.
 */
import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { BrowserContext, Page } from 'playwright-core';

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
/**
 * Where screenshots go: `.tmp/screenshots/` (git-ignored), so a test run leaves the checkout clean;
 * with UPDATE_SCREENSHOTS=1, the reviewed copies in docs/screenshots/.
 */
export const SCREENSHOTS = new URL(process.env.UPDATE_SCREENSHOTS === '1' ? '../../docs/screenshots/' : '../../.tmp/screenshots/', import.meta.url).pathname;

/** The marker i18n.ts puts in place of a message missing from a catalogue. */
const MISSING = '⟦missing⟧';

const consoles = new WeakMap<Page, string[]>();

/** A new page whose console and errors are kept. */
export async function openPage(context: BrowserContext, url: string): Promise<Page> {
  const page = await context.newPage();
  const lines: string[] = [];
  consoles.set(page, lines);
  page.on('console', (message) => lines.push(`${message.type()}: ${message.text()}`));
  page.on('pageerror', (error) => lines.push(`pageerror: ${error.message}`));
  await page.goto(url);
  return page;
}

export function consoleOf(page: Page): string[] {
  return consoles.get(page) ?? [];
}

async function failure(page: Page, what: string, timeoutMs: number, cause: unknown): Promise<Error> {
  const text = await page.evaluate('document.body.innerText').catch(() => 'unavailable');
  const log = consoleOf(page).slice(-20).join('\n  ');
  const app = await page.evaluate('JSON.stringify(globalThis.tetherApp ? { node: tetherApp.nodeId, connection: tetherApp.connection, callPhases: tetherApp.callPhases } : null)').catch(() => 'unavailable');
  return new Error(`${page.url()}: not within ${timeoutMs} ms: ${what}\n screen:\n${String(text).slice(0, 1_500)}\n app: ${String(app)}\n console:\n  ${log}`, { cause });
}

/** Waits for a visible element matching `selector`. */
export async function shows(page: Page, selector: string, timeoutMs = 20_000): Promise<void> {
  try {
    await page.locator(selector).first().waitFor({ state: 'visible', timeout: timeoutMs });
  } catch (error) {
    throw await failure(page, `visible ${selector}`, timeoutMs, error);
  }
}

/**
 * Waits until `condition`, a JavaScript expression in the page, is true. It may `await`: it is
 * then evaluated again every 100 ms (waitForFunction does not wait for a promise, it takes it
 * for true), else the page polls it itself.
 */
export async function holds(page: Page, condition: string, timeoutMs = 20_000): Promise<void> {
  try {
    if (!/\bawait\b/.test(condition)) {
      await page.waitForFunction(`(() => (${condition}))()`, undefined, { timeout: timeoutMs, polling: 100 });
      return;
    }
    const deadline = Date.now() + timeoutMs;
    while (!(await page.evaluate(`(async () => (${condition}))()`))) {
      if (Date.now() > deadline) throw new Error('timed out');
      await new Promise((resolve) => setTimeout(resolve, 100)); // polling a value the page has no event for
    }
  } catch (error) {
    throw await failure(page, condition, timeoutMs, error);
  }
}

/** Clicks as a person would: the page is brought to the front first (background tabs are throttled). */
export async function tap(page: Page, selector: string): Promise<void> {
  await page.bringToFront();
  await page.locator(selector).first().click();
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: unknown; failureSummary?: string }>;
}

/** Runs axe-core on the page as it is now; returns the serious and critical violations. */
export async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  if (!(await page.evaluate('typeof globalThis.axe !== "undefined"'))) await page.addScriptTag({ content: AXE_SOURCE });
  const violations = (await page.evaluate('axe.run(document, { resultTypes: ["violations"] }).then((r) => r.violations)')) as AxeViolation[];
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** Readable form of axe violations for an assertion message. */
export function describeViolations(violations: AxeViolation[]): string {
  return violations.map((v) => `${v.impact} ${v.id}: ${v.help}\n    ${v.nodes.map((n) => `${JSON.stringify(n.target)} ${n.failureSummary ?? ''}`).join('\n    ')}`).join('\n');
}

export interface Smaller {
  what: string;
  size: string;
}

/** Visible text whose font is smaller than `minPx`, described. */
export async function textSmallerThan(page: Page, minPx: number): Promise<Smaller[]> {
  return (await page.evaluate(`(() => {
    const out = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const text = node.textContent.trim();
      const element = node.parentElement;
      if (!text || !element || element.closest('[hidden], script, style')) continue;
      const box = element.getBoundingClientRect();
      if (box.width === 0 || box.height === 0) continue;
      const size = parseFloat(getComputedStyle(element).fontSize);
      if (size < ${minPx}) out.push({ what: text.slice(0, 40), size: size + 'px' });
    }
    return out;
  })()`)) as Smaller[];
}

/** Visible controls (buttons, links, inputs) smaller than `minPx` in width or height, described. */
export async function targetsSmallerThan(page: Page, minPx: number): Promise<Smaller[]> {
  return (await page.evaluate(`(() => {
    const out = [];
    for (const element of document.querySelectorAll('button, a[href], input, select, textarea, [role="button"]')) {
      const box = element.getBoundingClientRect();
      if (box.width === 0 || box.height === 0) continue;
      if (box.width < ${minPx} || box.height < ${minPx}) out.push({ what: (element.textContent || element.getAttribute('aria-label') || element.tagName).trim().slice(0, 40), size: Math.round(box.width) + 'x' + Math.round(box.height) });
    }
    return out;
  })()`)) as Smaller[];
}

/** Text on screen that a missing translation left, and i18n errors in the console. */
export async function untranslated(page: Page): Promise<string[]> {
  const text = String(await page.evaluate('document.body.innerText'));
  const onScreen = text.split('\n').filter((line) => line.includes(MISSING));
  return [...onScreen, ...consoleOf(page).filter((line) => line.includes('i18n:'))];
}

/** Saves a PNG of the page (the viewport) as <SCREENSHOTS>/<name>.png for review. */
export async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: `${SCREENSHOTS}${name}.png`, animations: 'disabled', caret: 'hide' });
}
