/**
 * Helpers for the live container tests: free loopback ports, polling an outside system (a
 * container, Prometheus, Swarm) until a condition holds or a deadline passes, and a webhook
 * receiver standing in for the on-call pager. Extend with helpers that stay bounded in time.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage } from 'node:http';
import { freePort } from '../support/free-port.ts';

export async function freePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

/**
 * Calls `probe` every `everyMs` until it returns a value other than undefined, and returns that;
 * throws naming `what` (and the last error) once `timeoutMs` has passed. For state outside this
 * process that announces nothing (a container's health, Prometheus' view); never a fixed wait.
 */
export async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number, everyMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

export async function readyz(port: number): Promise<{ ready: boolean; bus: string; store: string } | undefined> {
  const response = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(2000) }).catch(() => undefined);
  return response ? ((await response.json()) as { ready: boolean; bus: string; store: string }) : undefined;
}

export interface AlertmanagerPost {
  /** the request path: which receiver's URL Alertmanager posted to */
  path: string;
  status: string;
  alerts: Array<{ status: string; labels: Record<string, string> }>;
}

/** An HTTP server that collects Alertmanager webhook posts; `next(match)` resolves on the first matching one. */
export async function webhookReceiver(port: number) {
  const posts: AlertmanagerPost[] = [];
  const waiters: Array<{ match: (p: AlertmanagerPost) => boolean; resolve: (p: AlertmanagerPost) => void }> = [];
  const server = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      res.end('ok');
      const post = { ...(JSON.parse(body) as Omit<AlertmanagerPost, 'path'>), path: req.url ?? '' };
      posts.push(post);
      for (const w of waiters.splice(0)) {
        if (w.match(post)) w.resolve(post);
        else waiters.push(w);
      }
    });
  });
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  return {
    posts,
    next(match: (p: AlertmanagerPost) => boolean): Promise<AlertmanagerPost> {
      const seen = posts.find(match);
      return seen ? Promise.resolve(seen) : new Promise((resolve) => waiters.push({ match, resolve }));
    },
    async close(): Promise<void> {
      server.close();
      server.closeAllConnections();
      await once(server, 'close');
    },
  };
}
