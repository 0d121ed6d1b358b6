/**
 * DEVELOPMENT ONLY: `npm run apps` builds the apps (Vite) and serves them with what a deployment
 * provides around them: `config.json` (the Tether URLs, the tile URL), a token endpoint minting
 * development tokens, a people directory, and, with `--tiles local`, map tiles drawn here (no
 * internet needed). A real deployment serves apps/dist as static files and its own token
 * endpoint (apps/README.md). The browser tests start it with `startAppsServer`.
 */
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DEV_ISSUER, DEV_SECRET, mintToken } from '../../src/auth/dev-tokens.ts';
import { tilePng } from './tiles.ts';

const APPS = fileURLToPath(new URL('..', import.meta.url));
export const DEFAULT_DIST = join(APPS, 'dist');

export const OSM_TILES = { url: 'https://tile.openstreetmap.org/{z}/{x}/{y}.png', attribution: '© OpenStreetMap contributors', maxZoom: 19 };
const LOCAL_TILES = { url: 'tiles/{z}/{x}/{y}.png', attribution: 'Generated tiles (not a real map)', maxZoom: 19 };

export interface AppsServerOptions {
  /** 0 picks a free port */
  port: number;
  host?: string;
  /** the Tether WebSocket URLs the apps connect to, tried in turn */
  tetherUrls: string[];
  /** 'local' serves generated tiles; otherwise a Leaflet tile URL template */
  tiles: 'local' | { url: string; attribution: string; maxZoom: number };
  /** display names by user id (served as people.json) */
  people?: Record<string, string>;
  /** the built apps; default apps/dist */
  dist?: string;
  /** extra config.json fields (e.g. mapStart, rtcConfiguration) */
  config?: Record<string, unknown>;
}

export interface AppsServer {
  /** http://host:port, no trailing slash */
  readonly url: string;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

/** Builds the apps into `outDir` (default apps/dist) with the project's vite.config.ts. */
export async function buildApps(outDir = DEFAULT_DIST): Promise<void> {
  const { build } = await import('vite');
  await build({ configFile: join(APPS, 'vite.config.ts'), logLevel: 'warn', build: { outDir, emptyOutDir: true } });
}

export async function startAppsServer(options: AppsServerOptions): Promise<AppsServer> {
  const dist = options.dist ?? DEFAULT_DIST;
  const config = {
    tetherUrls: options.tetherUrls,
    tokenUrl: 'dev/token',
    peopleUrl: 'people.json',
    tiles: options.tiles === 'local' ? LOCAL_TILES : options.tiles,
    ...options.config,
  };
  const tiles = new Map<string, Buffer>();
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/config.json') return send(res, 200, TYPES['.json']!, JSON.stringify(config));
    if (url.pathname === '/people.json') return send(res, 200, TYPES['.json']!, JSON.stringify(options.people ?? {}));
    if (url.pathname === '/dev/token') return devToken(url.searchParams, res);
    const tile = /^\/tiles\/(\d{1,2})\/(\d+)\/(\d+)\.png$/.exec(url.pathname);
    if (tile && options.tiles === 'local') {
      const [z, x, y] = tile.slice(1).map(Number) as [number, number, number];
      if (z > 22 || x >= 2 ** z || y >= 2 ** z) return send(res, 404, 'text/plain', 'no such tile');
      const key = `${z}/${x}/${y}`;
      let png = tiles.get(key);
      if (!png) {
        png = tilePng(z, x, y);
        if (tiles.size > 2_000) tiles.delete(tiles.keys().next().value as string);
        tiles.set(key, png);
      }
      return send(res, 200, TYPES['.png']!, png, 'public, max-age=3600');
    }
    const path = url.pathname === '/' ? '/index.html' : url.pathname;
    const file = normalize(join(dist, decodeURIComponent(path)));
    if (!file.startsWith(dist + sep)) return send(res, 403, 'text/plain', 'outside the apps');
    const body = await readFile(file).catch(() => null);
    if (!body) return send(res, 404, 'text/plain', `not found: ${path}`);
    send(res, 200, TYPES[extname(file)] ?? 'application/octet-stream', body);
  };
  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => send(res, 500, 'text/plain', String(error)));
  });
  server.listen(options.port, options.host ?? '127.0.0.1');
  await once(server, 'listening');
  const { address, port } = server.address() as AddressInfo;
  return {
    url: `http://${address}:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * `/dev/token?app=console|patient&user=&patients=a,b&contacts=a,b`: a token signed with the
 * public development secret (accepted only by nodes in development mode). Without `user`:
 * the console is carol, caring for pat; the patient screen is pat, who may call carol.
 */
async function devToken(query: URLSearchParams, res: ServerResponse): Promise<void> {
  const app = query.get('app') === 'patient' ? 'patient' : 'console';
  const list = (name: string, fallback: string) => (query.get(name) ?? fallback).split(',').filter(Boolean);
  const sub = query.get('user') ?? (app === 'console' ? 'carol' : 'pat');
  if (!/^[A-Za-z0-9_.@-]{1,128}$/.test(sub)) return send(res, 400, 'text/plain', 'user: 1-128 of A-Z a-z 0-9 _ . @ -');
  const claims =
    app === 'console'
      ? { sub, role: 'caregiver', patients: list('patients', query.has('user') ? '' : 'pat') }
      : { sub, role: 'patient', contacts: list('contacts', query.has('user') ? '' : 'carol') };
  send(res, 200, 'text/plain', await mintToken({ ...claims, ttlSeconds: 3_600 }, { secret: DEV_SECRET, issuer: DEV_ISSUER }));
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer, cache = 'no-store'): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': cache });
  res.end(body);
}

const USAGE = `usage: npm run apps -- [--port 8091] [--tether ws://127.0.0.1:8080/ws] [--tiles osm|local|<url>] [--people names.json] [--no-build]

Builds the caregiver console and the patient call screen (apps/) and serves them with
development tokens. DEVELOPMENT ONLY: a deployment serves apps/dist as static files.

  --port <n>        HTTP port on 127.0.0.1 (default 8091; 0 picks a free one)
  --tether <urls>   Tether WebSocket URL(s), comma-separated, tried in turn
                    (default ws://127.0.0.1:8080/ws: npm start, or npm run cluster)
  --tiles <which>   osm (default: OpenStreetMap, needs internet), local (generated here,
                    works offline), or a tile URL template with {z}/{x}/{y}
  --people <file>   a JSON file {"<user id>": "<name>"} for the names on screen
  --no-build        serve apps/dist as it is
  -h, --help        this text

Then open http://127.0.0.1:8091/console.html (carol, caring for pat) and, on a phone or in
another window, http://127.0.0.1:8091/patient.html (pat). Other people:
  console.html?user=dan&patients=pat,kim      patient.html?user=kim&contacts=dan
`;

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        port: { type: 'string', default: '8091' },
        tether: { type: 'string', default: 'ws://127.0.0.1:8080/ws' },
        tiles: { type: 'string', default: 'osm' },
        people: { type: 'string' },
        'no-build': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}`);
    process.exit(64);
  }
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const tiles = values.tiles === 'local' ? 'local' : values.tiles === 'osm' ? OSM_TILES : { url: values.tiles, attribution: '', maxZoom: 19 };
  const people = values.people ? (JSON.parse(await readFile(values.people, 'utf8')) as Record<string, string>) : undefined;
  if (!values['no-build']) {
    process.stdout.write('building apps/ ...\n');
    await buildApps();
  }
  const server = await startAppsServer({ port: Number(values.port), tetherUrls: values.tether.split(','), tiles, ...(people ? { people } : {}) });
  process.stdout.write(`apps at ${server.url}/  (console: ${server.url}/console.html, patient: ${server.url}/patient.html; Tether: ${values.tether})\n`);
}
