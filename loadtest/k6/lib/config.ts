/**
 * Settings every Tether k6 scenario reads from the environment (`k6 run -e NAME=value`), and
 * token minting. Runs in the init context (TOKENS_FILE is read with `open`, allowed only there).
 * A malformed number throws here, so k6 refuses to start (exit code 107) instead of running a
 * test with NaN in it.
 *
 * - BASE_URL: the WebSocket endpoint, default ws://127.0.0.1:8080/ws (`npm run cluster`'s HAProxy)
 * - NODE_URLS: comma-separated endpoints of individual nodes; when set, peers are placed on
 *   different nodes (the local cluster prints them); otherwise everyone uses BASE_URL
 * - TOKEN_URL: where to mint development tokens, default /dev/token on the first of NODE_URLS,
 *   or on BASE_URL's host (only nodes with NODE_ENV=development and no JWT key serve it)
 * - TOKENS_FILE: a JSON file `{ "<userId>": "<jwt>", ... }` to use instead of TOKEN_URL against a
 *   deployment with real keys (user ids: see each scenario's header); an absolute path is safest
 * - RUN_ID: prefix of every user id, default a random one per run (chosen in setup())
 * - TIMEOUT_MS: how long an expected frame (a welcome, an answer, a relayed message) is waited
 *   for before it counts as lost, default 5000
 */
import http from 'k6/http';

/** A number from `__ENV[name]`, or `fallback`; throws unless it is a finite number >= `min`. */
export function numberEnv(name: string, fallback: number, min = 0): number {
  const raw = __ENV[name];
  const value = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isFinite(value) || value < min) throw new Error(`${name}=${raw ?? ''}: expected a number >= ${min}`);
  return value;
}

/** Like numberEnv, for counts: a whole number >= `min`. */
export function countEnv(name: string, fallback: number, min = 1): number {
  const value = numberEnv(name, fallback, min);
  if (!Number.isInteger(value)) throw new Error(`${name}=${__ENV[name] ?? ''}: expected a whole number`);
  return value;
}

export const BASE_URL = __ENV.BASE_URL || 'ws://127.0.0.1:8080/ws';
export const NODE_URLS = (__ENV.NODE_URLS ?? '').split(',').map((u) => u.trim()).filter(Boolean);
export const TOKEN_URL = __ENV.TOKEN_URL || (NODE_URLS[0] ?? BASE_URL).replace(/^ws/, 'http').replace(/\/ws\/?$/, '/dev/token');
export const TIMEOUT_MS = numberEnv('TIMEOUT_MS', 5_000, 1);
const TOKENS: Record<string, string> | null = __ENV.TOKENS_FILE ? (JSON.parse(open(__ENV.TOKENS_FILE)) as Record<string, string>) : null;

/** The endpoint for peer number `i`: node i mod n when NODE_URLS is set, else BASE_URL. */
export function nodeUrl(i: number): string {
  return NODE_URLS.length > 0 ? NODE_URLS[i % NODE_URLS.length]! : BASE_URL;
}

/**
 * The endpoint for the k-th peer (k from 0) of someone on node `home` (as in `nodeUrl(home)`):
 * always another node than `home` when there are two or more, spread over all of them.
 */
export function otherNodeUrl(home: number, k: number): string {
  const n = NODE_URLS.length;
  if (n < 2) return nodeUrl(home);
  return NODE_URLS[(home + 1 + (k % (n - 1))) % n]!;
}

export function runId(): string {
  return __ENV.RUN_ID || `k6${Math.random().toString(36).slice(2, 8)}`;
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
