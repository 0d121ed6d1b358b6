import { type TetherClient, connect, fullJitterBackoff } from '@tether/client';
import type { AppConfig } from './config.ts';
import { type AppName, type Identity, fetchToken, identityOf } from './identity.ts';

export interface Signedin {
  client: TetherClient;
  identity: Identity;
}

/**
 * Signs in (the first token names the user) and connects to Tether. The URLs are tried in turn
 * from a random one, which spreads pages over the nodes; `?node=<i>` starts at the i-th (to
 * reproduce a problem on one node). Every reconnect fetches a fresh token.
 */
export async function signIn(config: AppConfig, app: AppName): Promise<Signedin> {
  const first = await fetchToken(config, app);
  const identity = identityOf(first);
  const urls = config.tetherUrls;
  const asked = Number(new URLSearchParams(location.search).get('node'));
  const start = Number.isInteger(asked) && asked >= 0 && new URLSearchParams(location.search).has('node') ? asked % urls.length : Math.floor(Math.random() * urls.length);
  let pending: string | null = first;
  const client = connect({
    url: (attempt) => urls[(start + attempt) % urls.length]!,
    getToken: () => {
      const token = pending;
      pending = null;
      return token ?? fetchToken(config, app);
    },
    reconnect: fullJitterBackoff({ baseMs: 250, capMs: 10_000 }),
  });
  return { client, identity };
}
