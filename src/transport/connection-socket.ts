import { WebSocket } from 'ws';
import type { Connection } from './connection.ts';

/**
 * The server's WebSocket class (ws's `WebSocket` option). It knows its Connection, so the
 * socket's listeners can be shared functions that find it through `this`, rather than
 * closures made per connection (memory per idle connection).
 */
export class ConnectionSocket extends WebSocket {
  /** set by the Connection that owns this socket, before any listener can run */
  connection!: Connection;
}
