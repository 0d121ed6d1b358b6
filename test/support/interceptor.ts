/**
 * Wraps a Bus or a Store so a test can hold, delay or fail any of its calls at a named point, and
 * so force the interleaving a race needs: `store.logDeliveries:before` runs before the call
 * reaches the real store (the call has not happened yet), `store.logDeliveries:after` once it has
 * taken effect but before its caller hears back. The wrapped object is passed to a node through
 * its constructor, like any Bus or Store; nothing is mocked.
 *
 * - `hold(point, match?)`: the next matching call waits at the point until `release()`;
 *   `reached` resolves with its arguments when it gets there.
 * - `fail(point, error, match?)`: the next matching call rejects there with `error` (after the
 *   real call, for an `after` point: it took effect, its caller is told it failed).
 * - `policy`: a function consulted at every point (the race hunter's seeded scheduler); it may
 *   return a promise to wait on, or an error to throw.
 * - `calls(point)`: how many calls passed a point.
 *
 * To extend: points are `<name>.<method>:<before|after>` for every method returning a promise;
 * getters and synchronous methods (`state`, `onMessage`, `onState`) pass through untouched.
 */
export type Phase = 'before' | 'after';

export interface Held {
  /** resolves with the held call's arguments once it reaches the point */
  reached: Promise<unknown[]>;
  release(): void;
}

type Rule = { point: string; match: (args: unknown[]) => boolean; act: (args: unknown[]) => Promise<void> | Error };

export type Policy = (point: string, args: unknown[]) => Promise<void> | Error | undefined;

export class Interceptor {
  private rules: Rule[] = [];
  private readonly counts = new Map<string, number>();
  policy: Policy | undefined;

  hold(point: string, match: (args: unknown[]) => boolean = () => true): Held {
    const reached = Promise.withResolvers<unknown[]>();
    const gate = Promise.withResolvers<void>();
    this.rules.push({
      point,
      match,
      act: (args) => {
        reached.resolve(args);
        return gate.promise;
      },
    });
    return { reached: reached.promise, release: () => gate.resolve() };
  }

  fail(point: string, error: Error, match: (args: unknown[]) => boolean = () => true): void {
    this.rules.push({ point, match, act: () => error });
  }

  calls(point: string): number {
    return this.counts.get(point) ?? 0;
  }

  wrap<T extends object>(target: T, name: string): T {
    return new Proxy(target, {
      get: (obj, key, receiver) => {
        const value = Reflect.get(obj, key, receiver) as unknown;
        if (typeof value !== 'function' || typeof key !== 'string' || PASS_THROUGH.has(key)) {
          return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(obj) : value;
        }
        const method = value as (...a: unknown[]) => Promise<unknown>;
        return async (...args: unknown[]) => {
          await this.at(`${name}.${key}:before`, args);
          const result = await method.apply(obj, args);
          await this.at(`${name}.${key}:after`, args);
          return result;
        };
      },
    });
  }

  private async at(point: string, args: unknown[]): Promise<void> {
    this.counts.set(point, (this.counts.get(point) ?? 0) + 1);
    const i = this.rules.findIndex((r) => r.point === point && r.match(args));
    if (i >= 0) {
      const [rule] = this.rules.splice(i, 1);
      const outcome = rule!.act(args);
      if (outcome instanceof Error) throw outcome;
      await outcome;
    }
    const chosen = this.policy?.(point, args);
    if (chosen instanceof Error) throw chosen;
    if (chosen) await chosen;
  }
}

/** Synchronous methods and listeners: never delayed. */
const PASS_THROUGH = new Set(['onMessage', 'onState', 'simulateOutage', 'constructor']);
