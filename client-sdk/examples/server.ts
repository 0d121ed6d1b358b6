/**
 * DEVELOPMENT ONLY: serves the example pages (call, dashboard) and the built SDK to a browser,
 * offline (no CDN, no bundler), and mints dev tokens for them.
 *
 *   npm run build:examples -w client-sdk        # tsc: SDK + pages -> client-sdk/dist
 *   scripts/node24 client-sdk/examples/server.ts [--port 8090] [--tether ws://127.0.0.1:8080/ws,...]
 *   (--help prints the flags; client-sdk/README.md documents them)
 *
 * Routes:
 * - `/`, `/call.html`, `/dashboard.html`: the pages (client-sdk/examples/web/*.html)
 * - `/js/...`: client-sdk/dist/... (the compiled SDK, protocol and page scripts, as ES modules)
 * - `/vendor/zod/...`: the installed zod package, which the pages' import map points `zod` at
 * - `/config.json`: `{ urls }`, the Tether WebSocket URLs the pages connect to, in order
 * - `/token?sub=&role=&patients=a,b&contacts=a,b&rooms=a,b`: a token signed with the public
 *   dev secret; Tether nodes accept it only in development (see src/auth/dev-tokens.ts)
 */
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DEV_ISSUER, DEV_SECRET, mintToken } from '../../src/auth/dev-tokens.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOTS: Record<string, string> = {
  '/js/': join(HERE, '..', 'dist'),
  '/vendor/zod/': dirname(fileURLToPath(import.meta.resolve('zod'))),
  '/': join(HERE, 'web'),
};
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.map': 'application/json',
  '.css': 'text/css; charset=utf-8',
};

export interface ExampleServerOptions {
  /** 0 picks a free port */
  port: number;
  /** the Tether WebSocket URLs handed to the pages, e.g. every node of a local cluster */
  tetherUrls: string[];
  host?: string;
}

export interface ExampleServer {
  /** http://host:port, no trailing slash */
  readonly url: string;
  close(): Promise<void>;
}

export async function startExampleServer(options: ExampleServerOptions): Promise<ExampleServer> {
  const server: Server = createServer((req, res) => {
    handle(req, res, options).catch((error: unknown) => send(res, 500, 'text/plain', String(error)));
  });
  server.listen(options.port, options.host ?? '127.0.0.1');
  await once(server, 'listening');
  const { address, port } = server.address() as AddressInfo;
  return {
    url: `http://${address}:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

async function handle(req: IncomingMessage, res: ServerResponse, options: ExampleServerOptions): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (url.pathname === '/config.json') return send(res, 200, 'application/json', JSON.stringify({ urls: options.tetherUrls }));
  if (url.pathname === '/token') return send(res, 200, 'text/plain', await devToken(url.searchParams));
  const path = url.pathname === '/' ? '/index.html' : url.pathname;
  const prefix = Object.keys(ROOTS).find((p) => path.startsWith(p))!;
  const root = ROOTS[prefix]!;
  const file = normalize(join(root, decodeURIComponent(path.slice(prefix.length))));
  if (!file.startsWith(root + sep)) return send(res, 403, 'text/plain', 'outside the served folders');
  const body = await readFile(file).catch(() => null);
  if (!body) return send(res, 404, 'text/plain', `not found: ${path}${prefix === '/js/' ? ' (run `npm run build:examples -w client-sdk`)' : ''}`);
  send(res, 200, TYPES[extname(file)] ?? 'application/octet-stream', body);
}

function devToken(query: URLSearchParams): Promise<string> {
  const list = (name: string) => query.get(name)?.split(',').filter(Boolean);
  const sub = query.get('sub');
  if (!sub) throw new Error('token: sub is required');
  return mintToken(
    { sub, role: query.get('role') ?? undefined, patients: list('patients'), contacts: list('contacts'), rooms: list('rooms'), ttlSeconds: 600 },
    { secret: DEV_SECRET, issuer: DEV_ISSUER },
  );
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}

const USAGE = `usage: scripts/node24 client-sdk/examples/server.ts [--port 8090] [--tether ws://127.0.0.1:8080/ws]

Serves the SDK example pages (run \`npm run build:examples -w client-sdk\` first) and mints
development tokens for them. DEVELOPMENT ONLY.

  --port <n>          HTTP port to listen on, on 127.0.0.1 (default 8090; 0 picks a free one)
  --tether <urls>     the Tether WebSocket URL(s) the pages connect to, comma-separated, tried in
                      turn (default ws://127.0.0.1:8080/ws, what \`npm run cluster\` listens on)
  -h, --help          this text
`;

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  let values;
  try {
    ({ values } = parseArgs({
      options: { port: { type: 'string', default: '8090' }, tether: { type: 'string', default: 'ws://127.0.0.1:8080/ws' }, help: { type: 'boolean', short: 'h' } },
    }));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}`);
    process.exit(64);
  }
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    process.stderr.write(`--port: not a port: ${values.port}\n\n${USAGE}`);
    process.exit(64);
  }
  const server = await startExampleServer({ port, tetherUrls: values.tether.split(',') });
  process.stdout.write(`examples at ${server.url}/ (Tether: ${values.tether})\n`);
}
