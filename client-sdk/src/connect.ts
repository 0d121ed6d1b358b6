import { TetherClient } from './client.ts';
import { type ConnectOptions, resolveOptions } from './options.ts';

/**
 * Opens a client: it starts connecting at once and keeps reconnecting as the close codes allow.
 * Returns synchronously; `await client.ready()` to wait for the first `welcome`, or just make
 * requests (they wait in the offline queue). Throws a TypeError for invalid options.
 */
export function connect(options: ConnectOptions): TetherClient {
  return new TetherClient(resolveOptions(options));
}
