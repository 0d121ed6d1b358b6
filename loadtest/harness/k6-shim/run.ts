/**
 * `scripts/node24 loadtest/harness/k6-shim/run.ts loadtest/k6/<script>.ts [-e NAME=value ...]`
 *
 * A minimal stand-in for `k6 run`, for this machine, where k6 cannot be installed: it runs the
 * Tether k6 scripts on Node with just the k6 API they use (hooks.ts maps `k6/*` imports to the
 * files here), so their logic can be exercised against the local cluster. It is NOT k6: every VU
 * shares one process and one JavaScript realm (k6 isolates them), only the `per-vu-iterations`
 * executor with one iteration is supported, `__ENV` holds only the `-e` values, and its numbers
 * are not k6's. Exits 99 when a threshold fails, as k6 does.
 */
import { readFileSync } from 'node:fs';
import { register } from 'node:module';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { current } from './context.ts';
import { report } from './metrics.ts';

register('./hooks.ts', import.meta.url);

const [script, ...rest] = process.argv.slice(2);
if (!script) throw new Error('usage: run.ts <script.ts> [-e NAME=value ...]');
const env: Record<string, string> = {};
for (let i = 0; i < rest.length; i++) {
  if (rest[i] !== '-e' || !rest[i + 1]?.includes('=')) throw new Error(`unexpected argument ${rest[i]}`);
  const [name, ...value] = rest[++i]!.split('=');
  env[name!] = value.join('=');
}
const globals = globalThis as unknown as Record<string, unknown>;
globals.__ENV = env;
globals.open = (path: string) => readFileSync(resolve(dirname(resolve(script)), path), 'utf8');

interface Scenario {
  executor: string;
  vus: number;
  iterations?: number;
  exec?: string;
  startTime?: string;
  maxDuration?: string;
}
type Entry = (data: unknown) => unknown;
const mod = (await import(pathToFileURL(resolve(script)).href)) as Record<string, unknown> & {
  options?: { scenarios?: Record<string, Scenario>; thresholds?: Record<string, string[]> };
  setup?: () => unknown;
  teardown?: (data: unknown) => unknown;
};
const seconds = (d: string | undefined, fallback: number): number => (d ? Number(/^(\d+(?:\.\d+)?)s$/.exec(d)?.[1] ?? NaN) : fallback);

const data = JSON.parse(JSON.stringify((await mod.setup?.()) ?? null)) as unknown;
const scenarios = mod.options?.scenarios ?? { default: { executor: 'per-vu-iterations', vus: 1, iterations: 1 } };
let nextVu = 1;
let errors = 0;
const started = Date.now();
await Promise.all(
  Object.entries(scenarios).map(async ([name, s]) => {
    if (s.executor !== 'per-vu-iterations' || (s.iterations ?? 1) !== 1) throw new Error(`k6 shim: scenario ${name}: only per-vu-iterations with 1 iteration`);
    const fn = mod[s.exec ?? 'default'] as Entry;
    const firstVu = nextVu;
    nextVu += s.vus;
    await new Promise((r) => setTimeout(r, seconds(s.startTime, 0) * 1000));
    const startTime = Date.now();
    const vus = Array.from({ length: s.vus }, (_, i) =>
      current.run({ vu: firstVu + i, scenario: name, iterationInTest: i, startTime }, async () => {
        try {
          await fn(data);
        } catch (error) {
          errors++;
          console.error(`${name} VU ${firstVu + i}: ${(error as Error).stack ?? String(error)}`);
        }
      }),
    );
    const limit = seconds(s.maxDuration, 600) * 1000;
    let timer: NodeJS.Timeout | undefined;
    const cut = new Promise<'cut'>((r) => (timer = setTimeout(() => r('cut'), limit)));
    if ((await Promise.race([Promise.all(vus), cut])) === 'cut') console.error(`${name}: maxDuration ${s.maxDuration} reached; iterations interrupted`);
    clearTimeout(timer);
  }),
);
await mod.teardown?.(data);
console.log(`\nk6 shim: ${script} ran ${((Date.now() - started) / 1000).toFixed(1)} s, ${errors} iteration errors`);
const ok = report(mod.options?.thresholds);
process.exit(ok && errors === 0 ? 0 : 99);
