/**
 * What both example pages share: reading the page's query, connecting to the Tether URLs the
 * example server hands out (`/config.json`) with dev tokens from its `/token`, and small DOM
 * helpers. In an app, `getToken` would call the app's own backend.
 */
import { connect, fullJitterBackoff, type TetherClient } from '../../src/index.ts';

export const params = new URLSearchParams(location.search);

export interface PageIdentity {
  sub: string;
  role: string;
  patients?: string[];
  contacts?: string[];
}

/**
 * Connects as `identity`. `?node=<i>` starts at the i-th URL; after a drop the SDK tries the
 * next one, so a page started on node 0 moves to node 1 when node 0 dies.
 */
export async function connectPage(identity: PageIdentity): Promise<TetherClient> {
  const { urls } = (await (await fetch('/config.json')).json()) as { urls: string[] };
  const first = Number(params.get('node') ?? 0) % urls.length;
  const ordered = [...urls.slice(first), ...urls.slice(0, first)];
  const query = new URLSearchParams({ sub: identity.sub, role: identity.role });
  if (identity.patients) query.set('patients', identity.patients.join(','));
  if (identity.contacts) query.set('contacts', identity.contacts.join(','));
  return connect({
    url: ordered,
    getToken: async () => {
      const response = await fetch(`/token?${query}`);
      if (!response.ok) throw new Error(`token: HTTP ${response.status}`);
      return response.text();
    },
    reconnect: fullJitterBackoff({ baseMs: 250, capMs: 5_000 }),
  });
}

export function $<T extends HTMLElement = HTMLElement>(selector: string): T {
  const element = document.querySelector<T>(selector);
  if (!element) throw new Error(`missing element ${selector}`);
  return element;
}

/** Appends a timestamped line to the page's log. */
export function log(text: string): void {
  const line = document.createElement('div');
  line.textContent = `${new Date().toLocaleTimeString()}  ${text}`;
  $('#log').prepend(line);
}

export function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
