/**
 * Waits for a Bus or Store to reach a state, on its own state events (no polling). Resolves at
 * once if it is already there.
 */
interface Stateful<S extends string> {
  readonly state: S;
  onState(listener: (state: S) => void): void;
}

export function reaches<S extends string>(backend: Stateful<S>, state: S): Promise<void> {
  if (backend.state === state) return Promise.resolve();
  return new Promise((resolve) => backend.onState((s) => s === state && resolve()));
}
