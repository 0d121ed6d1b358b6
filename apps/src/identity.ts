import type { AppConfig } from './config.ts';

export type AppName = 'console' | 'patient';

/**
 * Who the page acts for, read from the token's claims (docs/auth.md). For display only: the
 * server verifies the token and enforces every right.
 */
export interface Identity {
  userId: string;
  role: string;
  /** the patients a caregiver may watch and call */
  patients: string[];
  /** the people a patient may call */
  contacts: string[];
}

/** Fetches a token from `config.tokenUrl` (see AppConfig.tokenUrl). */
export async function fetchToken(config: AppConfig, app: AppName, pageQuery: string = location.search): Promise<string> {
  const url = new URL(config.tokenUrl, location.href);
  for (const [key, value] of new URLSearchParams(pageQuery)) url.searchParams.set(key, value);
  url.searchParams.set('app', app);
  const response = await fetch(url, { credentials: 'include', cache: 'no-store' });
  if (!response.ok) throw new Error(`token: HTTP ${response.status}`);
  const body = (await response.text()).trim();
  if (!body.startsWith('{')) return body;
  const token = (JSON.parse(body) as { token?: unknown }).token;
  if (typeof token !== 'string') throw new Error('token: no "token" in the answer');
  return token;
}

/** The identity a JWT names; throws on a token that is not a JWT with a `sub`. */
export function identityOf(token: string): Identity {
  const payload = token.split('.')[1];
  if (!payload) throw new Error('token: not a JWT');
  const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(payload.length / 4) * 4, '='));
  const claims = JSON.parse(new TextDecoder().decode(Uint8Array.from(json, (c) => c.charCodeAt(0)))) as Record<string, unknown>;
  if (typeof claims.sub !== 'string') throw new Error('token: no subject');
  const ids = (value: unknown) => (Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []);
  return {
    userId: claims.sub,
    role: typeof claims.role === 'string' ? claims.role : 'user',
    patients: ids(claims.patients),
    contacts: ids(claims.contacts),
  };
}
