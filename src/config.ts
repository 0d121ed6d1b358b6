import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';

const int = (fallback: number, min = 0) => z.coerce.number().int().min(min).default(fallback);
const list = z
  .string()
  .default('')
  .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean));

/**
 * Every setting, read from environment variables. Defaults are safe; docs/operations.md lists
 * each variable. Limits are per connection unless named otherwise.
 */
export const ConfigSchema = z
  .object({
    /** `development` enables dev tokens (when no key is set) and any Origin; anything else is production */
    NODE_ENV: z.enum(['development', 'production']).default('production'),
    HOST: z.string().default('0.0.0.0'),
    PORT: int(8080),
    /** pending TCP connections the listener queues (capped by the kernel's net.core.somaxconn): a reconnect storm arrives at once */
    LISTEN_BACKLOG: int(4096, 1),
    /** listening sockets on PORT (SO_REUSEPORT), each with a backlog of its own; more than 1 needs Linux or a BSD */
    LISTEN_SOCKETS: int(process.platform === 'linux' ? 4 : 1, 1),
    /** this node's name in logs, metrics and the welcome frame */
    NODE_ID: z.string().min(1).default(`${hostname()}-${randomBytes(3).toString('hex')}`),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),

    JWT_SECRET: z.string().min(32, 'JWT_SECRET must be at least 32 characters').optional(),
    JWT_JWKS_URL: z.url().optional(),
    JWT_ISSUER: z.string().optional(),
    JWT_AUDIENCE: z.string().optional(),
    /** seconds of clock skew allowed on a token's `exp` and `nbf` */
    JWT_CLOCK_TOLERANCE_S: int(30),
    /** browser Origins allowed to connect; `*` allows any; requests without Origin are always allowed */
    ALLOWED_ORIGINS: list,

    /** one broker URL, or several separated by commas (the nodes of a RabbitMQ cluster): tried in turn */
    RABBITMQ_URL: z.string().optional(),
    BUS_TOPOLOGY: z.enum(['routed', 'fanout']).default('routed'),
    /** exchange name; default `tether.<topology>`. Every node of a cluster must use the same one. */
    BUS_EXCHANGE: z.string().min(1).optional(),
    /** `false` sends every publish as a broker message of its own, for a cluster updating from a version that cannot read batches */
    BUS_COALESCE: z.enum(['true', 'false']).default('true').transform((v) => v === 'true'),
    /** ms a channel stays bound on a node after its last local subscriber left there, in case one comes back (a reconnect) */
    UNBIND_DELAY_MS: int(3_000),
    REDIS_URL: z.string().optional(),
    /** `host:port` of Redis Sentinels; when set, the store asks them for the current primary */
    REDIS_SENTINELS: list.pipe(z.array(z.string().regex(/^[^:,\s]+:\d{1,5}$/, 'each entry must be host:port'))),
    /** the master group name the Sentinels monitor */
    REDIS_SENTINEL_MASTER: z.string().min(1).default('mymaster'),
    REDIS_SENTINEL_PASSWORD: z.string().optional(),
    /** prefix of every Redis key; clusters sharing one Redis need different ones */
    REDIS_PREFIX: z.string().min(1).default('tether:'),
    /** PostgreSQL for durable records (call history); unset: kept in this process's memory */
    DATABASE_URL: z.string().optional(),
    /** connections each node keeps to PostgreSQL, at most */
    DATABASE_POOL_SIZE: int(10, 1),

    /** a text frame larger than this is answered FRAME_TOO_LARGE */
    MAX_FRAME_BYTES: int(64 * 1024, 256),
    /** a frame larger than this closes the connection with 1009 (it is not even read) */
    HARD_MAX_FRAME_BYTES: int(1024 * 1024, 1024),
    RATE_PER_SECOND: z.coerce.number().positive().default(50),
    RATE_BURST: int(100, 1),
    MAX_SUBSCRIPTIONS: int(100, 2),
    MAX_CONNECTIONS_PER_USER: int(10, 1),
    /** bytes queued to a socket before it is closed as a slow consumer (4001) */
    MAX_BUFFERED_BYTES: int(1024 * 1024, 1024),
    HEARTBEAT_MS: int(25_000, 100),
    SIGNAL_TTL_MS: int(10_000, 100),
    /** a session whose node stops renewing it leaves presence and rosters after this, ms */
    PRESENCE_TTL_MS: int(15_000, 150),
    /** a disconnected session can be resumed, on any node, for this long, ms */
    RESUME_WINDOW_MS: int(120_000, 0),
    /** per session: delivered frames kept for resume, and direct messages kept while it is away, each */
    RESUME_MAX_FRAMES: int(256, 1),
    /** per session: bytes of delivered frames kept for resume, and of direct messages kept while it is away, each */
    RESUME_MAX_BYTES: int(256 * 1024, 1024),
    /** per user: disconnected sessions kept resumable; the oldest beyond it are forgotten */
    RESUME_DETACHED_PER_USER: int(4, 1),
    /** location watchers get a `stale` event after this long without a position, ms */
    LOCATION_STALE_MS: int(300_000, 100),
    /** per session: write requests (signal, location, unsubscribe) remembered for retries, also across a resume */
    REQUEST_CACHE_SIZE: int(128, 1),
    /** a direct call rings this long before it is missed, ms */
    CALL_RING_TIMEOUT_MS: int(45_000, 100),
    /** each caregiver of a circle call or SOS rings this long before the next one does, ms */
    CALL_ESCALATION_STEP_MS: int(20_000, 100),
    /** an accepted call nobody hung up is ended (expired) after this, ms */
    CALL_MAX_DURATION_MS: int(4 * 3_600_000, 1_000),
    /** an ended call is remembered this long (later requests on it get CALL_ENDED), ms */
    CALL_ENDED_KEEP_MS: int(600_000, 1_000),
    /** how often each node looks for rings that timed out anywhere (a dead node's calls), ms */
    CALL_SWEEP_MS: int(1_000, 20),
    /** call history is kept this many days */
    CALL_HISTORY_RETENTION_DAYS: int(90, 1),
    /** where the node POSTs call.invite / call.missed / call.ended for the operator's push service; unset: no webhook */
    WEBHOOK_URL: z.url().optional(),
    /** HMAC-SHA256 key of the webhook signature; required with WEBHOOK_URL */
    WEBHOOK_SECRET: z.string().min(16, 'WEBHOOK_SECRET must be at least 16 characters').optional(),
    /** ms one webhook attempt may take */
    WEBHOOK_TIMEOUT_MS: int(5_000, 100),
    /** attempts per webhook event, the first included */
    WEBHOOK_MAX_ATTEMPTS: int(6, 1),
    /** webhook events waiting (queued or between attempts) per node, at most */
    WEBHOOK_QUEUE_LIMIT: int(1_000, 1),
    /** TURN server URLs handed to clients (`turn:host:3478`, ...); empty: no TURN credentials */
    TURN_URLS: list,
    /** the TURN server's shared secret (coturn `static-auth-secret`); required with TURN_URLS */
    TURN_SECRET: z.string().min(16, 'TURN_SECRET must be at least 16 characters').optional(),
    /** how long TURN credentials work, seconds */
    TURN_TTL_S: int(3_600, 60),
    /** closes of clients on SIGTERM are spread over this window */
    DRAIN_MS: int(10_000, 0),
    /** hard deadline for the whole shutdown, after which the process exits anyway */
    SHUTDOWN_TIMEOUT_MS: int(30_000, 1000),

    // zones, tracking health, alerts (docs/operations.md, "Safety")
    /** a fix counts on the side a zone alerts about only past its edge by this many times its accuracy plus SAFETY_ZONE_MARGIN_M metres */
    SAFETY_ACCURACY_FACTOR: z.coerce.number().min(0).max(10).default(2.5),
    SAFETY_ZONE_MARGIN_M: int(20, 0),
    /** consecutive fixes on the other side of a zone's edge that confirm a crossing */
    SAFETY_CONFIRM_FIXES: int(3, 1),
    /** or: at least two fixes on the other side spanning this much device time, ms */
    SAFETY_CONFIRM_MS: int(30_000, 0),
    /** outside every active safe zone this long raises a `dwell` alert, ms; 0 never */
    SAFETY_DWELL_MS: int(600_000, 0),
    /** no heartbeat and no position for this long: `silent`, and an alert, ms */
    SAFETY_SILENT_MS: int(180_000, 100),
    /** no move farther than SAFETY_STATIONARY_RADIUS_M for this long: `stationary`, ms */
    SAFETY_STATIONARY_MS: int(600_000, 100),
    SAFETY_STATIONARY_RADIUS_M: int(50, 1),
    /** battery at or below this percent, not charging: `battery_low`, and an alert */
    SAFETY_BATTERY_LOW_PERCENT: int(15, 0),
    /** an unacknowledged alert is escalated (re-sent, webhook `alert.escalated`) this long after it was raised and after each escalation, ms */
    SAFETY_ESCALATE_MS: int(300_000, 100),
    /** escalations per alert at most; 0 never escalates */
    SAFETY_ESCALATE_MAX: int(6, 0),
    /** position interval asked of a patient's device normally, and while it matters (zone exit, open alert, call), ms */
    SAFETY_REPORT_NORMAL_MS: int(60_000, 1000),
    SAFETY_REPORT_FAST_MS: int(5_000, 1000),
    /** fast reporting is asked this long after a patient starts leaving a zone, ms */
    SAFETY_REPORT_FAST_HOLD_MS: int(300_000, 0),
    /** how often a patient's SDK sends its device heartbeat (in the `device` ack), ms */
    SAFETY_HEARTBEAT_MS: int(60_000, 100),
    /** zones per patient, at most */
    SAFETY_MAX_ZONES: int(20, 1),
    /** how often each node looks for due timers (dwell, silent, schedules, escalations) and unsent announcements, ms */
    SAFETY_TICK_MS: int(1_000, 10),
    /** a due timer or an announcement a node claimed and did not finish is taken over by another node after this, ms */
    SAFETY_LEASE_MS: int(5_000, 100),
    /** alerts are kept in the audit trail this many days after they were raised */
    SAFETY_ALERT_RETENTION_DAYS: int(365, 1),
  })
  .superRefine((c, ctx) => {
    if (c.NODE_ENV === 'production' && !c.JWT_SECRET && !c.JWT_JWKS_URL) {
      ctx.addIssue({ code: 'custom', path: ['JWT_SECRET'], message: 'production needs JWT_SECRET or JWT_JWKS_URL (or NODE_ENV=development for dev tokens)' });
    }
    if (c.REDIS_SENTINELS.length > 0 && !c.REDIS_URL) {
      ctx.addIssue({ code: 'custom', path: ['REDIS_URL'], message: 'REDIS_SENTINELS needs REDIS_URL for credentials and database (its host is not used)' });
    }
    if (c.WEBHOOK_URL && !c.WEBHOOK_SECRET) {
      ctx.addIssue({ code: 'custom', path: ['WEBHOOK_SECRET'], message: 'WEBHOOK_URL needs WEBHOOK_SECRET to sign its requests' });
    }
    if (c.TURN_URLS.length > 0 && !c.TURN_SECRET) {
      ctx.addIssue({ code: 'custom', path: ['TURN_SECRET'], message: 'TURN_URLS needs TURN_SECRET to make credentials' });
    }
    if (c.HARD_MAX_FRAME_BYTES < c.MAX_FRAME_BYTES) {
      ctx.addIssue({ code: 'custom', path: ['HARD_MAX_FRAME_BYTES'], message: 'must be at least MAX_FRAME_BYTES' });
    }
  });

export type Config = z.infer<typeof ConfigSchema>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * Reads config from `env`, throwing one ConfigError that names every bad variable. Any variable
 * may instead name a file with `<NAME>_FILE` (Docker and Kubernetes secrets); the file's content,
 * less one trailing newline, is the value. Setting both is an error.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const unreadable: string[] = [];
  const picked = Object.fromEntries(
    Object.keys(ConfigSchema.shape).map((key) => {
      const value = env[key] === '' ? undefined : env[key];
      const file = env[`${key}_FILE`] === '' ? undefined : env[`${key}_FILE`];
      if (file === undefined) return [key, value];
      if (value !== undefined) {
        unreadable.push(`  ${key}: set both ${key} and ${key}_FILE; set one`);
        return [key, value];
      }
      try {
        return [key, readFileSync(file, 'utf8').replace(/\r?\n$/, '')];
      } catch (error) {
        unreadable.push(`  ${key}_FILE: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
        return [key, undefined];
      }
    }),
  );
  const parsed = ConfigSchema.safeParse(picked);
  if (parsed.success && unreadable.length === 0) return parsed.data;
  const lines = [...unreadable, ...(parsed.error?.issues ?? []).map((i) => `  ${i.path.join('.') || '(config)'}: ${i.message}`)];
  throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
}

/** Config for tests and embedding: defaults plus overrides, validated the same way. */
export function configWith(overrides: Partial<Record<keyof Config, string | number>>): Config {
  return loadConfig(Object.fromEntries(Object.entries(overrides).map(([k, v]) => [k, String(v)])));
}
