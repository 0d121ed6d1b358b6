/**
 * `scripts/node24 loadtest/harness/k6-shim/run.ts run [-e NAME=value ...] [--summary-export FILE] script.ts`
 *
 * Runs the Tether k6 scripts on Node, for the project's own machines and CI: k6 itself (AGPL) is
 * not used there. Scripts written for k6 v1.6+ run unchanged on k6 and here; this runner exists to
 * check their logic and their thresholds against a local cluster in `npm test`, not to measure.
 *
 * It keeps k6's semantics wherever a script's verdict depends on them, including the ones that
 * let a load test pass when its load never happened (see vu.ts, websockets.ts, metrics.ts,
 * thresholds.ts): iteration errors are logged and do not fail the run; `send` on a socket that
 * is not OPEN throws; a Rate with no samples passes its thresholds; an empty Trend reads 0. Exit
 * codes are k6's: 99 thresholds failed, 104 invalid options or thresholds, 107 an exception in the
 * init context or setup(), 108 `exec.test.abort()`.
 *
 * Where it is not k6: all VUs share one process and one JavaScript realm (module state is shared,
 * k6 gives each VU its own), only the `per-vu-iterations` executor is supported, `sleep()` is
 * refused, HTTP calls block every VU for their duration, and its timings are not k6's.
 * An unhandled promise rejection is logged, and does not end its VU as k6 would.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { register } from 'node:module';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import './k6.ts';
import { exportJson, textSummary } from './summary.ts';
import { InvalidThreshold, evaluate, validate } from './thresholds.ts';
import { sockets } from './websockets.ts';
import { type Outcome, Vu } from './vu.ts';

register('./hooks.ts', import.meta.url);
// k6 ends the iteration of the VU whose promise was rejected unhandled; which VU that was is not
// known here, so it is only logged (the VU's missing work still fails the count thresholds)
process.on('unhandledRejection', (reason) => console.error(`k6 runner: Uncaught (in promise) ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}`));

interface Scenario {
  executor?: string;
  vus?: number;
  iterations?: number;
  exec?: string;
  startTime?: string;
  maxDuration?: string;
  gracefulStop?: string;
}
interface Options {
  scenarios?: Record<string, Scenario>;
  thresholds?: Record<string, Array<string | { threshold: string }>>;
}
type Entry = (data: unknown) => unknown;

const EXIT = { thresholds: 99, invalidConfig: 104, scriptException: 107, aborted: 108 } as const;

function parseArgs(argv: string[]): { script: string; env: Record<string, string>; summaryExport: string } {
  const args = argv[0] === 'run' ? argv.slice(1) : argv;
  const env: Record<string, string> = {};
  let summaryExport = '';
  let script = '';
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '-e' || a === '--env') {
      const [name, ...value] = (args[++i] ?? '').split('=');
      if (!name || value.length === 0) throw new Error(`${a} wants NAME=value`);
      env[name] = value.join('=');
    } else if (a.startsWith('--summary-export=')) summaryExport = a.slice('--summary-export='.length);
    else if (a === '--summary-export') summaryExport = args[++i] ?? '';
    else if (['--quiet', '-q', '--no-color', '--no-usage-report'].includes(a)) continue;
    else if (a.startsWith('-')) throw new Error(`k6 runner: option ${a} is not supported`);
    else script = a;
  }
  if (!script) throw new Error('usage: run.ts run [-e NAME=value ...] [--summary-export FILE] script.ts');
  return { script, env, summaryExport };
}

/** "90s", "1m30s", "500ms" -> ms */
function duration(text: string | undefined, fallbackMs: number): number {
  if (!text) return fallbackMs;
  let ms = 0;
  for (const [, n, unit] of text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) ms += Number(n) * { ms: 1, s: 1e3, m: 6e4, h: 3.6e6 }[unit as 'ms']!;
  if (ms === 0 && !/^0/.test(text)) throw new Error(`k6 runner: cannot read duration ${text}`);
  return ms;
}

function exit(code: number, why: string): never {
  if (why) console.error(`k6 runner: ${why}`);
  process.exit(code);
}

const { script, env, summaryExport } = parseArgs(process.argv.slice(2));
// k6 run passes the system environment to __ENV, with -e values on top
const globals = globalThis as unknown as Record<string, unknown>;
globals.__ENV = { ...process.env, ...env };
globals.open = (path: string) => readFileSync(resolve(dirname(resolve(script)), path), 'utf8');

let mod: Record<string, unknown> & { options?: Options; setup?: () => unknown; teardown?: (data: unknown) => unknown };
try {
  mod = await import(pathToFileURL(resolve(script)).href);
} catch (error) {
  exit(EXIT.scriptException, `init context: ${(error as Error).stack ?? String(error)}`);
}
const thresholds = mod.options?.thresholds ?? {};
try {
  validate(thresholds);
} catch (error) {
  if (error instanceof InvalidThreshold) exit(EXIT.invalidConfig, error.message);
  throw error;
}
const scenarios = mod.options?.scenarios ?? { default: { executor: 'per-vu-iterations', vus: 1, iterations: 1 } };
for (const [name, s] of Object.entries(scenarios)) {
  if ((s.executor ?? 'per-vu-iterations') !== 'per-vu-iterations') exit(EXIT.invalidConfig, `scenario ${name}: only per-vu-iterations is supported`);
  if (typeof mod[s.exec ?? 'default'] !== 'function') exit(EXIT.invalidConfig, `scenario ${name}: no exported function ${s.exec ?? 'default'}`);
}

const started = Date.now();
let abortReason = '';
const running = new Set<Vu>();
Vu.onAbort = (reason) => {
  if (abortReason) return;
  abortReason = reason || 'test aborted';
  console.error(`k6 runner: ${abortReason}`);
  for (const vu of running) vu.interrupt();
};

let data: unknown = null;
if (mod.setup) {
  const setupVu = new Vu(0, 'setup', 0, Date.now());
  let result: unknown;
  let failure: unknown = null;
  const outcome = await setupVu.start(async () => {
    try {
      result = await mod.setup!();
    } catch (error) {
      failure = error;
    }
  });
  if (abortReason) exit(EXIT.aborted, '');
  if (failure || outcome !== 'complete') exit(EXIT.scriptException, `setup() failed: ${failure instanceof Error ? (failure.stack ?? failure.message) : String(failure ?? outcome)}`);
  data = JSON.parse(JSON.stringify(result ?? null));
}

const outcomes: Record<Outcome, number> = { complete: 0, error: 0, interrupted: 0, aborted: 0 };
let nextVuId = 1;
await Promise.all(
  Object.entries(scenarios).map(async ([name, s]) => {
    const fn = mod[s.exec ?? 'default'] as Entry;
    const vus = s.vus ?? 1;
    const iterations = s.iterations ?? 1;
    const firstVu = nextVuId;
    nextVuId += vus;
    const delay = duration(s.startTime, 0);
    if (delay > 0) await new Promise((r) => setTimeout(r, delay));
    if (abortReason) return;
    const startTime = Date.now();
    const limit = setTimeout(
      () => {
        for (const vu of running) if (vu.scenario === name) vu.interrupt();
      },
      duration(s.maxDuration, 600_000) + duration(s.gracefulStop, 30_000),
    );
    await Promise.all(
      Array.from({ length: vus }, async (_, i) => {
        for (let n = 0; n < iterations && !abortReason; n++) {
          const vu = new Vu(firstVu + i, name, i * iterations + n, startTime);
          running.add(vu);
          const outcome = await vu.start(() => fn(data));
          running.delete(vu);
          outcomes[outcome]++;
          if (outcome === 'interrupted') break;
        }
      }),
    );
    clearTimeout(limit);
  }),
);
if (mod.teardown && !abortReason) await new Vu(0, 'teardown', 0, Date.now()).start(() => mod.teardown!(data));
for (const socket of sockets) socket.terminate();

const durationS = Math.max(0.001, (Date.now() - started) / 1000);
const results = evaluate(thresholds, durationS);
for (const r of results) if (r.skipped) console.error(`k6 runner: threshold ${r.metric}: ${r.source} not evaluated: ${r.skipped}`);
process.stdout.write(textSummary(results, durationS, outcomes));
if (summaryExport) writeFileSync(summaryExport, exportJson(results, durationS));
if (abortReason) exit(EXIT.aborted, '');
const crossed = [...new Set(results.filter((r) => !r.ok).map((r) => r.metric))];
if (crossed.length) exit(EXIT.thresholds, `thresholds on metrics '${crossed.join(', ')}' have been crossed`);
process.exit(0);
