/**
 * `k6/timers`: each pending timer keeps its VU's iteration alive (vu.ts), and its callback runs as
 * that VU: an exception in it ends the iteration, as in k6.
 */
import { currentVu } from './vu.ts';

type Handle = number;
const live = new Map<Handle, { cancel: () => void }>();
let nextHandle = 1;

function schedule(callback: (...args: unknown[]) => void, ms: number | undefined, repeat: boolean, args: unknown[]): Handle {
  const vu = currentVu();
  const handle = nextHandle++;
  const timer = repeat
    ? globalThis.setInterval(() => vu.invoke(() => callback(...args)), ms ?? 0)
    : globalThis.setTimeout(() => {
        release();
        live.delete(handle);
        vu.invoke(() => callback(...args));
      }, ms ?? 0);
  const cancel = (): void => {
    globalThis.clearTimeout(timer);
    live.delete(handle);
  };
  const release = vu.hold(cancel);
  live.set(handle, {
    cancel: () => {
      cancel();
      release();
    },
  });
  return handle;
}

export function setTimeout(callback: (...args: unknown[]) => void, ms?: number, ...args: unknown[]): Handle {
  return schedule(callback, ms, false, args);
}

export function setInterval(callback: (...args: unknown[]) => void, ms?: number, ...args: unknown[]): Handle {
  return schedule(callback, ms, true, args);
}

export function clearTimeout(handle: Handle | undefined): void {
  if (handle !== undefined) live.get(handle)?.cancel();
}

export const clearInterval = clearTimeout;
