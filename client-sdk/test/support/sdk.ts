/**
 * Creates SDK clients for tests with the test defaults (the `ws` WebSocket, reconnect at once)
 * and closes them all in `closeAll()` (call it in afterEach). Pass overrides per test.
 */
import WebSocket from 'ws';
import { type ConnectOptions, type TetherClient, connect } from '../../src/index.ts';

const open: TetherClient[] = [];

export function testClient(options: Partial<ConnectOptions> & Pick<ConnectOptions, 'url'>): TetherClient {
  const client = connect({
    WebSocket,
    reconnect: { nextDelay: () => 0 },
    ...(options.getToken ? {} : { token: 'test-token' }),
    ...options,
  });
  open.push(client);
  return client;
}

export function closeAll(): void {
  for (const client of open.splice(0)) client.close();
}
