/**
 * WebSocket close codes. 1000-1015 are the standard ones (RFC 6455). 4000-4499: the client
 * should reconnect (with backoff). 4500-4999: it should not reconnect without a change
 * (new credentials, an upgraded client). Auth failures never reach a close code: they are
 * refused before the upgrade with HTTP 401.
 */
export const CLOSE_CODES = {
  NORMAL: 1000,
  GOING_AWAY: 1001,
  /** WebSocket pings beyond the rate limit (a flood), or a message in too many fragments */
  POLICY_VIOLATION: 1008,
  /** the frame exceeded the hard frame cap, so it could not even be read */
  MESSAGE_TOO_BIG: 1009,
  INTERNAL_ERROR: 1011,
  /** the node is draining (deploy, scale-in); reconnect, to any node */
  SERVICE_RESTART: 1012,
  /** the node could not set the connection up (its message bus is down); reconnect later */
  TRY_AGAIN_LATER: 1013,
  /** no pong within the heartbeat window */
  HEARTBEAT_TIMEOUT: 4000,
  /** the connection's send buffer overflowed: it reads more slowly than it is sent to */
  SLOW_CONSUMER: 4001,
  /** the token's `exp` passed; reconnect with a fresh token */
  TOKEN_EXPIRED: 4003,
  /** another connection resumed this session (this one was stale); do not reconnect it */
  SESSION_TAKEN_OVER: 4509,
} as const;

export type CloseCodeName = keyof typeof CLOSE_CODES;

/** True when a client receiving `code` should reconnect. */
export function shouldReconnect(code: number): boolean {
  if (code >= 4500 && code <= 4999) return false;
  return code !== CLOSE_CODES.NORMAL;
}
