import { inject } from 'vitest';
import { type LocalCluster, startLocalCluster } from '../../scripts/local-cluster.ts';

/**
 * Node processes for a test, routed, on the suite's own RabbitMQ, Redis and PostgreSQL (a cluster
 * of their own there), logging warnings and worse: three with no load balancer unless `options`
 * says otherwise. `env` adds to the nodes' environment.
 */
export function startSuiteCluster(env: Record<string, string> = {}, options: { nodes?: number; loadBalancer?: boolean } = {}): Promise<LocalCluster> {
  return startLocalCluster({
    nodes: options.nodes ?? 3,
    port: 0,
    topology: 'routed',
    loadBalancer: options.loadBalancer ?? false,
    rabbitmqUrl: inject('rabbitmqUrl'),
    redisUrl: inject('redisUrl'),
    databaseUrl: inject('databaseUrl'),
    env: { LOG_LEVEL: 'warn', ...env },
  });
}
