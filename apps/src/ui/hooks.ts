import { useEffect, useState } from 'preact/hooks';

/** Re-renders every `everyMs` and returns the current time (local ms): for timers and "N s ago". */
export function useNow(everyMs = 1_000): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(timer);
  }, [everyMs]);
  return now;
}

/**
 * The value `read()` returns, re-read whenever `subscribe` calls back (and once more right after
 * subscribing, for a change between the first render and the subscription).
 */
export function useExternal<T>(subscribe: (onChange: () => void) => () => void, read: () => T): T {
  const [, setTick] = useState(0);
  useEffect(() => {
    const bump = () => setTick((n) => n + 1);
    const off = subscribe(bump);
    bump();
    return off;
  }, [subscribe]);
  return read();
}
