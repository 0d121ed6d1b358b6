/**
 * The catalogue of error codes carried by `error` frames. Codes are stable strings: clients
 * branch on them. `retryable` says whether sending the same request again (same id) can succeed.
 * Every code here must be documented in docs/protocol.md (a test checks).
 */
export const ERROR_CODES = {
  BAD_JSON: { retryable: false, message: 'frame is not valid JSON text' },
  BAD_FRAME: { retryable: false, message: 'frame does not match the schema for its type' },
  UNKNOWN_TYPE: { retryable: false, message: 'unknown frame type' },
  FROM_NOT_ALLOWED: { retryable: false, message: 'clients may not set "from"; the server stamps it' },
  FRAME_TOO_LARGE: { retryable: false, message: 'frame exceeds the maximum frame size' },
  RATE_LIMITED: { retryable: true, message: 'too many frames; slow down' },
  FORBIDDEN: { retryable: false, message: 'your token does not grant this' },
  NOT_SUBSCRIBED: { retryable: false, message: 'this connection is not subscribed to that channel' },
  TOO_MANY_SUBSCRIPTIONS: { retryable: false, message: 'subscription limit reached for this connection' },
  PEER_UNAVAILABLE: { retryable: true, message: 'the recipient has no live session' },
  BUS_UNAVAILABLE: { retryable: true, message: 'the message bus is unavailable' },
  STORE_UNAVAILABLE: { retryable: true, message: 'shared state is unavailable' },
  INTERNAL: { retryable: true, message: 'internal error' },
  CALL_NOT_FOUND: { retryable: false, message: 'no such call (unknown, or ended long ago)' },
  CALL_ENDED: { retryable: false, message: 'the call has ended' },
  CALL_ALREADY_ANSWERED: { retryable: false, message: 'the call was already accepted' },
  CALL_ID_TAKEN: { retryable: false, message: 'another call has this call id' },
  NO_CARE_CIRCLE: { retryable: false, message: 'your token names nobody to call in your care circle' },
  TURN_UNAVAILABLE: { retryable: false, message: 'this server hands out no TURN credentials' },
  RECORDS_UNAVAILABLE: { retryable: true, message: 'the records database is unavailable' },
} as const satisfies Record<string, { retryable: boolean; message: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;
export const ERROR_CODE_LIST = Object.keys(ERROR_CODES) as ErrorCode[];
