import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';

/** Codes in the JSON body of a refused upgrade; documented in docs/protocol.md. */
export type RefusalCode =
  | 'BAD_REQUEST'
  | 'UNAUTHORIZED'
  | 'TOKEN_EXPIRED'
  | 'ORIGIN_NOT_ALLOWED'
  | 'NOT_FOUND'
  | 'TOO_MANY_CONNECTIONS'
  | 'SHUTTING_DOWN'
  | 'AUTH_UNAVAILABLE'
  | 'INTERNAL';

/** Answers an upgrade request with a plain HTTP error and closes the socket: no WebSocket is made. */
export function refuseUpgrade(socket: Duplex, status: number, code: RefusalCode, message: string): void {
  const body = JSON.stringify({ code, message });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n` +
      'Connection: close\r\nContent-Type: application/json\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}
