/** `k6`: check (feeding the `checks` rate), fail, group; sleep is refused (the Tether scripts never block). */
import { Rate } from './metrics.ts';

const checks = new Rate('checks');

export function check<T>(value: T, sets: Record<string, (v: T) => boolean>, tags: Record<string, string> = {}): boolean {
  let all = true;
  for (const [name, fn] of Object.entries(sets)) {
    let ok: boolean;
    try {
      ok = fn(value);
    } catch {
      ok = false;
    }
    checks.add(ok, { ...tags, check: name });
    if (!ok) console.warn(`check failed: ${name}`);
    all &&= ok;
  }
  return all;
}

export function fail(message?: string): never {
  throw new Error(message ?? 'fail()');
}

export function group<T>(_name: string, fn: () => T): T {
  return fn();
}

export function sleep(): void {
  throw new Error('k6 shim: sleep() would block every VU of this process; the Tether scripts use timers');
}
