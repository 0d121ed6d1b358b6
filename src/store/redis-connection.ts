import { Redis, type RedisOptions } from 'ioredis';

/** Redis Sentinel settings (REDIS_SENTINELS, REDIS_SENTINEL_MASTER, REDIS_SENTINEL_PASSWORD). */
export interface SentinelSettings {
  addresses: readonly string[];
  master: string;
  password?: string | undefined;
}

/** ioredis options that find the primary through Sentinel; none without `sentinel`. */
export function sentinelOptions(sentinel: SentinelSettings | undefined): RedisOptions {
  if (!sentinel) return {};
  return {
    sentinels: sentinel.addresses.map((address) => {
      const at = address.lastIndexOf(':');
      return { host: address.slice(0, at), port: Number(address.slice(at + 1)) };
    }),
    name: sentinel.master,
    sentinelPassword: sentinel.password,
  };
}

/**
 * The connection of a store beside the session Store (calls, safety): no offline queue and no
 * retries, so a call fails at once while Redis is away (the caller answers STORE_UNAVAILABLE);
 * ioredis reconnects with capped, jittered backoff; a command with no reply in `commandTimeoutMs`
 * fails. Errors reach the callers; the connection's own error events are dropped (no crash).
 */
export function sideStoreConnection(url: string, sentinel: SentinelSettings | undefined, commandTimeoutMs: number, pipelined = false): Redis {
  const client = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    ...(pipelined && { enableAutoPipelining: true }),
    autoResendUnfulfilledCommands: false,
    maxRetriesPerRequest: 0,
    commandTimeout: commandTimeoutMs,
    connectTimeout: 2_000,
    retryStrategy: (attempt) => Math.min(2_000, 50 * 2 ** attempt) * (0.5 + Math.random() / 2),
    ...sentinelOptions(sentinel),
  });
  client.on('error', () => {});
  return client;
}
