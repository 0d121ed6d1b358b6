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
 * Order is kept as the real backends keep it: calls in one lane (all of a Store's calls: one Redis
 * connection answers in order; a Bus's publishes; a Bus's binds and unbinds) pass each point in
 * the order they were made, so a call waiting at a point holds up the ones behind it, as a slow
 * command holds up a connection. Calls in different lanes overtake each other freely.
 *
 * To extend: points are `<name>.<method>:<before|after>` for every method returning a promise;
 * getters and synchronous methods (`state`, `onMessage`, `onState`) pass through untouched. A new
 * backend names its lanes in `laneOf`.
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
  /** per lane and phase: settles when the last call that entered it has passed */
  private readonly tails = new Map<string, Promise<void>>();
  policy: Policy | undefined;
  /** told of every call the real backend rejected (not the failures this interceptor makes) */
  onRejected: ((call: string, args: unknown[]) => void) | undefined;
  /** told of every call the real backend answered, with its result */
  onResolved: ((call: string, args: unknown[], result: unknown) => void) | undefined;

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
        const lane = laneOf(name, key);
        return async (...args: unknown[]) => {
          await this.inLane(`${lane}:before`, `${name}.${key}:before`, args);
          const result = method.apply(obj, args);
          // the reply waits its turn whether the call succeeded or not
          const outcome = await result.then(
            (value) => ({ ok: true as const, value }),
            (error: unknown) => ({ ok: false as const, error }),
          );
          if (!outcome.ok) this.onRejected?.(`${name}.${key}`, args);
          else this.onResolved?.(`${name}.${key}`, args, outcome.value);
          await this.inLane(`${lane}:after`, `${name}.${key}:after`, args);
          if (!outcome.ok) throw outcome.error;
          return outcome.value;
        };
      },
    });
  }

  /** Passes `point` once every earlier call in `lane` has. */
  private inLane(lane: string, point: string, args: unknown[]): Promise<void> {
    const mine = (this.tails.get(lane) ?? Promise.resolve()).then(() => this.at(point, args));
    this.tails.set(
      lane,
      mine.catch(() => {}),
    );
    return mine;
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

/** Calls that a real backend answers in order, one after another. */
function laneOf(name: string, method: string): string {
  if (name === 'bus') return method === 'publish' ? 'bus.publish' : 'bus.bind';
  return name;
}

/** Synchronous methods and listeners: never delayed. */
const PASS_THROUGH = new Set(['onMessage', 'onState', 'simulateOutage', 'constructor']);
