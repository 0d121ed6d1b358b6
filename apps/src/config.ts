import { z } from 'zod';

/**
 * The deployment's settings, read at start from `config.json` next to the page (so one build
 * serves every deployment: edit the file, not the code). apps/README.md documents each field.
 */
export const AppConfig = z.object({
  /** Tether WebSocket URLs, tried in turn (one behind a load balancer, or every node) */
  tetherUrls: z.array(z.string().regex(/^wss?:\/\//, 'a ws:// or wss:// URL')).min(1),
  /**
   * Where the page gets its Tether token (a JWT): GET, with cookies. The answer is the token as
   * text, or JSON `{ "token": "..." }`. The page's query string is passed on, with `app=console`
   * or `app=patient`, so a development token server can choose the user from it.
   */
  tokenUrl: z.string().min(1),
  /** JSON `{ "<userId>": "<display name>" }`; optional: ids are shown where a name is missing */
  peopleUrl: z.string().min(1).optional(),
  tiles: z
    .object({
      /** Leaflet tile URL template, `{z}/{x}/{y}` (and optional `{s}`) */
      url: z.string().min(1),
      attribution: z.string().default(''),
      maxZoom: z.number().int().min(1).max(22).default(19),
    })
    .default({ url: 'https://tile.openstreetmap.org/{z}/{x}/{y}.png', attribution: '© OpenStreetMap contributors', maxZoom: 19 }),
  /** where the console's map starts before any position is known */
  mapStart: z.object({ lat: z.number(), lng: z.number(), zoom: z.number() }).default({ lat: 37.5665, lng: 126.978, zoom: 12 }),
  /** RTCPeerConnection settings (ICE servers), passed through */
  rtcConfiguration: z.record(z.string(), z.unknown()).optional(),
});
export type AppConfig = z.infer<typeof AppConfig>;

/** Reads and checks config.json; throws an Error naming every bad field. */
export async function loadConfig(url = 'config.json'): Promise<AppConfig> {
  const response = await fetch(url, { cache: 'no-store' });
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  const parsed = AppConfig.safeParse(await response.json());
  if (!parsed.success) throw new Error(`${url}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}
