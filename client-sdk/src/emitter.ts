/** A listener for one event; its return value is ignored. */
export type Listener<T> = (value: T) => void;

/**
 * @internal A minimal typed event emitter. Listeners run synchronously in the order they were
 * added. A listener that throws does not stop the others or corrupt the SDK's state: its error
 * is rethrown on a fresh microtask, where the platform reports uncaught errors.
 */
export class Emitter<Events extends object> {
  private readonly listeners = new Map<keyof Events, Set<Listener<never>>>();

  /** Adds `listener`; the returned function removes it (calling it twice is harmless). */
  on<K extends keyof Events>(event: K, listener: Listener<Events[K]>): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    // a wrapper, so the same function added twice is two subscriptions, each removable once
    const entry: Listener<Events[K]> = (value) => listener(value);
    set.add(entry as Listener<never>);
    return () => {
      set.delete(entry as Listener<never>);
    };
  }

  emit<K extends keyof Events>(event: K, value: Events[K]): void {
    const set = this.listeners.get(event);
    if (!set) return;
    for (const listener of [...set] as Listener<Events[K]>[]) {
      try {
        listener(value);
      } catch (error) {
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }
}
