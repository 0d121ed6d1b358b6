/**
 * `k6`: `check` adds one sample per condition to the `checks` Rate (tagged `check`) and counts it
 * in the summary's root group; as in k6, an exception in a condition is not caught. `fail` throws.
 * `sleep` is refused: it would block every VU of this one process (the Tether scripts use timers).
 */
import { Rate } from './metrics.ts';

const checks = new Rate('checks');
export const checkResults = new Map<string, { passes: number; fails: number }>();

export function check<T>(value: T, sets: Record<string, (v: T) => boolean>, tags: Record<string, string> = {}): boolean {
  let all = true;
  for (const [name, fn] of Object.entries(sets)) {
    const ok = Boolean(fn(value));
    checks.add(ok, { ...tags, check: name });
    const c = checkResults.get(name) ?? { passes: 0, fails: 0 };
    if (ok) c.passes++;
    else c.fails++;
    checkResults.set(name, c);
    all &&= ok;
  }
  return all;
}

export function fail(message?: string): never {
  throw new Error(message ?? 'fail() called');
}

export function group<T>(_name: string, fn: () => T): T {
  return fn();
}

export function sleep(): void {
  throw new Error('k6 runner: sleep() would block every VU of this process; use k6/timers');
}
