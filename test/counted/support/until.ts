/**
 * Event-driven waiting with a deadline: `check` is evaluated now and again on every change
 * reported through `subscribe`; the promise resolves true as soon as it holds, or false when
 * `deadlineMs` passes first (the caller turns that into a failure that says what was missing).
 */
export function until(check: () => boolean, subscribe: (onChange: () => void) => () => void, deadlineMs: number): Promise<boolean> {
  if (check()) return Promise.resolve(true);
  return new Promise((resolve) => {
    const finish = (ok: boolean): void => {
      clearTimeout(timer);
      unsubscribe();
      resolve(ok);
    };
    const timer = setTimeout(() => finish(check()), deadlineMs);
    const unsubscribe = subscribe(() => {
      if (check()) finish(true);
    });
  });
}

/**
 * Polls `check` (every `everyMs`) until it holds or `deadlineMs` passes; for state that only a
 * request can read (a node process's /readyz). Resolves true or false like `until`.
 */
export async function poll(check: () => Promise<boolean>, deadlineMs: number, everyMs = 100): Promise<boolean> {
  const deadline = Date.now() + deadlineMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return true;
    await new Promise((resolve) => setTimeout(resolve, everyMs)); // poll interval, not a synchronization sleep
  }
  return check().catch(() => false);
}
