import type { IncomingMessage } from 'node:http';

/**
 * The bearer token of an upgrade request: the `Authorization: Bearer` header (native clients),
 * else the `token` query parameter (browsers cannot set headers on a WebSocket). Null if none.
 */
export function bearerToken(req: IncomingMessage, url: URL): string | null {
  const header = req.headers.authorization;
  if (header?.startsWith('Bearer ')) return header.slice(7).trim() || null;
  return url.searchParams.get('token') || null;
}

/** True when the request's Origin (if any) is allowed. Requests without Origin are not from browsers. */
export function originAllowed(req: IncomingMessage, allowed: readonly string[]): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  return allowed.includes('*') || allowed.includes(origin);
}
