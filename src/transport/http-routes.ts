import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { mintToken } from '../auth/dev-tokens.ts';
import { Id } from '../protocol/index.ts';
import type { NodeMetrics } from '../observability/metrics.ts';

export interface Health {
  ready(): boolean;
  /** details shown by /readyz */
  status(): Record<string, unknown>;
}

/** Liveness, readiness and metrics. Readiness is what a load balancer should route by. */
export function registerOpsRoutes(app: FastifyInstance, health: Health, metrics: NodeMetrics): void {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    const ready = health.ready();
    return reply.code(ready ? 200 : 503).send({ ready, ...health.status() });
  });
  app.get('/metrics', async (_req, reply) => {
    metrics.ready.set(health.ready() ? 1 : 0);
    return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
}

const csv = z
  .string()
  .optional()
  .transform((s) => (s ? s.split(',').map((x) => x.trim()).filter(Boolean) : undefined));

const DevTokenQuery = z.object({
  sub: Id,
  role: z.string().optional(),
  patients: csv,
  contacts: csv,
  rooms: csv,
  ttl: z.coerce.number().int().min(1).max(86_400).optional(),
});

/**
 * DEVELOPMENT ONLY: `GET /dev/token?sub=alice&role=caregiver&patients=bob&rooms=*` mints a
 * token signed with the public dev secret. Registered only in development mode: no real key
 * configured and NODE_ENV=development (config.ts; docs/auth.md section 7).
 */
export function registerDevTokenRoute(app: FastifyInstance, options: { secret: string; issuer: string }): void {
  app.get('/dev/token', async (req, reply) => {
    const query = DevTokenQuery.safeParse(req.query);
    if (!query.success) {
      const issues = query.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
      return reply.code(400).send({ code: 'BAD_REQUEST', message: issues.join('; ') });
    }
    const { ttl, ...claims } = query.data;
    const token = await mintToken({ ...claims, ttlSeconds: ttl }, options);
    return { token, warning: 'development token signed with a public secret; never use in production' };
  });
}
