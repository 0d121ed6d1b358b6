/**
 * The platform pieces the SDK needs, as small interfaces so browsers, React Native and Node
 * (global WebSocket or the `ws` package) all fit, and tests can pass fakes.
 */

/**
 * A handler type checked bivariantly, so DOM's `(ev: MessageEvent) => any`, `ws`'s
 * `(event: WebSocket.MessageEvent) => void` and the SDK's own handlers all fit one slot.
 */
type Handler<E> = { bivarianceHack(event: E): void }['bivarianceHack'];

/** The slice of the standard WebSocket API the SDK uses. */
export interface WebSocketLike {
  /** 0 connecting, 1 open, 2 closing, 3 closed (the standard values) */
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: Handler<unknown> | null;
  onmessage: Handler<{ data: unknown }> | null;
  onclose: Handler<{ code: number; reason: string }> | null;
  /** `ws` passes an ErrorEvent with `message`; browsers a bare Event */
  onerror: Handler<unknown> | null;
}

/** A WebSocket constructor: `globalThis.WebSocket`, `ws`'s `WebSocket`, or a test fake. */
export type WebSocketConstructor = new (url: string) => WebSocketLike;

/** Timer functions; inject them to control time in tests or to use a platform's own. */
export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** @internal The global timers, looked up at call time. */
export const globalTimers: Timers = {
  setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof globalThis.setTimeout>),
};

/** @internal The global WebSocket (browsers, React Native, Node 22+), or null. */
export function globalWebSocket(): WebSocketConstructor | null {
  const candidate = (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  return typeof candidate === 'function' ? candidate : null;
}

/** The standard `readyState` value of an open socket. */
export const OPEN = 1;
