/**
 * Settings every Tether k6 scenario reads from the environment (`k6 run -e NAME=value`), and
 * token minting. Runs in the init context (TOKENS_FILE is read with `open`, allowed only there).
 *
 * - BASE_URL: the WebSocket endpoint, default ws://127.0.0.1:8080/ws (`npm run cluster`'s HAProxy)
 * - NODE_URLS: comma-separated endpoints of individual nodes; when set, peers are placed on
 *   different nodes (the local cluster prints them); otherwise everyone uses BASE_URL
 * - TOKEN_URL: where to mint development tokens, default /dev/token on the first of NODE_URLS,
 *   or on BASE_URL's host (only nodes with NODE_ENV=development and no JWT key serve it)
 * - TOKENS_FILE: a JSON file `{ "<userId>": "<jwt>", ... }` to use instead of TOKEN_URL against a
 *   deployment with real keys (user ids: see each scenario's header); an absolute path is safest
 * - RUN_ID: prefix of every user id, default a random one per run (chosen in setup())
 */
import http from 'k6/http';

export const BASE_URL = __ENV.BASE_URL ?? 'ws://127.0.0.1:8080/ws';
export const NODE_URLS = (__ENV.NODE_URLS ?? '').split(',').map((u) => u.trim()).filter(Boolean);
export const TOKEN_URL = __ENV.TOKEN_URL ?? (NODE_URLS[0] ?? BASE_URL).replace(/^ws/, 'http').replace(/\/ws\/?$/, '/dev/token');
const TOKENS: Record<string, string> | null = __ENV.TOKENS_FILE ? (JSON.parse(open(__ENV.TOKENS_FILE)) as Record<string, string>) : null;

/** The endpoint for peer number `i`: node i mod n when NODE_URLS is set, else BASE_URL. */
export function nodeUrl(i: number): string {
  return NODE_URLS.length > 0 ? NODE_URLS[i % NODE_URLS.length]! : BASE_URL;
}

export function runId(): string {
  return __ENV.RUN_ID ?? `k6${Math.random().toString(36).slice(2, 8)}`;
}

/** The claims a development token carries (see docs/auth.md). */
export interface Claims {
  sub: string;
  role: 'patient' | 'caregiver';
  patients?: string[];
  contacts?: string[];
  rooms?: string[];
}

function tokenRequestUrl(c: Claims): string {
  const q = [`sub=${encodeURIComponent(c.sub)}`, `role=${c.role}`, 'ttl=86400'];
  if (c.patients) q.push(`patients=${c.patients.map(encodeURIComponent).join(',')}`);
  if (c.contacts) q.push(`contacts=${c.contacts.map(encodeURIComponent).join(',')}`);
  if (c.rooms) q.push(`rooms=${c.rooms.map(encodeURIComponent).join(',')}`);
  return `${TOKEN_URL}?${q.join('&')}`;
}

/** Tokens for `claims`, in order: from TOKENS_FILE, or minted at TOKEN_URL (in parallel batches). */
export function tokensFor(claims: Claims[]): string[] {
  if (TOKENS) {
    return claims.map((c) => {
      const token = TOKENS[c.sub];
      if (!token) throw new Error(`TOKENS_FILE has no token for ${c.sub}`);
      return token;
    });
  }
  const tokens: string[] = [];
  for (let i = 0; i < claims.length; i += 100) {
    const responses = http.batch(claims.slice(i, i + 100).map((c) => ['GET', tokenRequestUrl(c)] as ['GET', string]));
    for (const r of responses) {
      if (r.status !== 200) throw new Error(`GET ${TOKEN_URL}: HTTP ${r.status} ${String(r.body)}`);
      tokens.push((r.json() as { token: string }).token);
    }
  }
  return tokens;
}
