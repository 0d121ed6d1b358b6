import { fullJitterBackoff, type ReconnectPolicy } from './backoff.ts';
import { globalTimers, globalWebSocket, type Timers, type WebSocketConstructor } from './platform.ts';

/**
 * Where to connect. One URL; a list, tried in turn, one URL per attempt (so after a node drains
 * and closes with 1012 the next attempt goes to the next node); or a function given the attempt
 * number over the client's lifetime (0, 1, 2, ...) that returns the URL to use.
 */
export type UrlSource = string | readonly string[] | ((attempt: number) => string);

export interface ConnectOptions {
  /** the WebSocket endpoint(s), e.g. `wss://tether.example/ws` */
  url: UrlSource;
  /** a fixed token; after it expires (close 4003) reconnects are refused, so prefer `getToken` */
  token?: string;
  /**
   * Called before every connection attempt, first and re-connects alike, so an expired token
   * (close 4003) is replaced. It is sent as the `?token=` query parameter, because browsers
   * cannot set headers on a WebSocket; keep tokens short-lived since URLs end up in logs.
   */
  getToken?: () => string | Promise<string>;
  /** WebSocket constructor; default `globalThis.WebSocket`. In Node pass `ws`'s `WebSocket`. */
  WebSocket?: WebSocketConstructor;
  /** default: the global setTimeout / clearTimeout */
  timers?: Timers;
  /** default: full-jitter exponential backoff, base 500 ms, cap 30 s, never gives up */
  reconnect?: ReconnectPolicy;
  /** ms one sent attempt of a request waits for its answer (default 10 000) */
  requestTimeoutMs?: number;
  /** sends per request, counting re-sends after a timeout or a lost connection (default 3) */
  maxAttempts?: number;
  /** most requests waiting to be sent, offline or behind a subscribe ack (default 100) */
  offlineQueueLimit?: number;
  /** ms from starting an attempt to its `welcome` before the attempt is abandoned (default 10 000) */
  connectTimeoutMs?: number;
}

/** @internal ConnectOptions with defaults applied. */
export interface ResolvedOptions {
  url: UrlSource;
  token: () => string | Promise<string>;
  WebSocket: WebSocketConstructor;
  timers: Timers;
  reconnect: ReconnectPolicy;
  requestTimeoutMs: number;
  maxAttempts: number;
  offlineQueueLimit: number;
  connectTimeoutMs: number;
}

/** @internal */
export function resolveOptions(options: ConnectOptions): ResolvedOptions {
  const { token, getToken } = options;
  if ((token === undefined) === (getToken === undefined)) throw new TypeError('connect() needs exactly one of token or getToken');
  if (Array.isArray(options.url) && options.url.length === 0) throw new TypeError('connect() needs at least one url');
  const WebSocket = options.WebSocket ?? globalWebSocket();
  if (!WebSocket) throw new TypeError('no global WebSocket here: pass one, e.g. connect({ WebSocket }) with `import { WebSocket } from "ws"`');
  return {
    url: options.url,
    token: getToken ?? (() => token as string),
    WebSocket,
    timers: options.timers ?? globalTimers,
    reconnect: options.reconnect ?? fullJitterBackoff(),
    requestTimeoutMs: positive(options.requestTimeoutMs, 10_000, 'requestTimeoutMs'),
    maxAttempts: positive(options.maxAttempts, 3, 'maxAttempts'),
    offlineQueueLimit: positive(options.offlineQueueLimit, 100, 'offlineQueueLimit'),
    connectTimeoutMs: positive(options.connectTimeoutMs, 10_000, 'connectTimeoutMs'),
  };
}

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!(value > 0)) throw new TypeError(`${name} must be a positive number`);
  return value;
}

/** @internal The URL for lifetime attempt `attempt`. */
export function pickUrl(source: UrlSource, attempt: number): string {
  if (typeof source === 'string') return source;
  if (typeof source === 'function') return source(attempt);
  return source[attempt % source.length] as string;
}

/** @internal Appends the token as `token=` (no URL class: React Native's is incomplete). */
export function withToken(url: string, token: string): string {
  return `${url}${url.includes('?') ? '&' : '?'}token=${encodeURIComponent(token)}`;
}
