/**
 * Processes the benchmark starts and owns: one private RabbitMQ and one Redis for the whole run
 * (from test/support, so no Docker), Tether clusters on them (scripts/local-cluster.ts, one
 * cluster per scenario so no scenario inherits another's heap or bindings), and the baseline
 * servers in loadtest/harness/servers/. Everything listens on 127.0.0.1 only and is stopped by
 * the scenario that started it.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { type LocalCluster, startLocalCluster } from '../../../scripts/local-cluster.ts';
import { startRabbitMq } from '../../../test/support/rabbitmq.ts';
import { startRedis } from '../../../test/support/redis.ts';

/**
 * Synchronous last-resort kills for everything started, run on process exit (a watchdog or
 * Ctrl-C), so an aborted run leaves no node or server behind. Normal runs stop things themselves.
 */
const killOnExit = new Set<() => void>();
process.on('exit', () => {
  for (const kill of killOnExit) kill();
});

export interface Infra {
  rabbitmqUrl: string;
  redisUrl: string;
  /** the broker's own totals since it started (rabbit_global_counters), for deliveries per message */
  brokerCounters(): Promise<BrokerCounters>;
  stop(): Promise<void>;
}

export interface BrokerCounters {
  /** messages published to the broker (AMQP 0-9-1) */
  received: number;
  /** messages delivered to consumers from classic queues (one per queue a message was routed to) */
  delivered: number;
}

/**
 * rabbitmq_management is not enabled on the private broker (test/support/rabbitmq.ts), but the
 * core keeps global counters (the ones rabbitmq_prometheus exports); `rabbitmqctl eval` reads them.
 */
const COUNTERS_EXPR =
  'M = rabbit_global_counters:overview(), ' +
  'io:format("~b ~b~n", [maps:get(messages_received_total, maps:get([{protocol,amqp091}], M)), ' +
  'maps:get(messages_delivered_total, maps:get([{protocol,amqp091},{queue_type,rabbit_classic_queue}], M))]).';

export async function startInfra(): Promise<Infra> {
  const [rabbit, redis] = await Promise.all([startRabbitMq({ name: 'bench' }), startRedis({ name: 'bench' })]);
  return {
    rabbitmqUrl: rabbit.url,
    redisUrl: redis.url,
    brokerCounters: async () => {
      const [received, delivered] = (await rabbit.ctl('eval', COUNTERS_EXPR)).trim().split('\n')[0]!.split(' ').map(Number);
      return { received: received!, delivered: delivered! };
    },
    stop: async () => {
      await Promise.all([rabbit.stop(), redis.stop()]);
    },
  };
}

/**
 * Settings every benchmark node runs with. The per-connection rate limit (default 50 frames/s) is
 * a policy for real clients; a benchmark lane sends far more, so it is lifted. Logs at `warn`:
 * per-connection `info` lines would be measured as server cost.
 */
export const BENCH_NODE_ENV: Record<string, string> = {
  LOG_LEVEL: 'warn',
  RATE_PER_SECOND: '1000000',
  RATE_BURST: '1000000',
};

export async function startCluster(
  infra: Infra,
  nodes: number,
  topology: 'routed' | 'fanout' = 'routed',
  env: Record<string, string> = {},
  nodeFlags?: readonly string[],
  side?: { root?: string | undefined; label?: string },
): Promise<LocalCluster> {
  const cluster = await startLocalCluster({
    nodes,
    ...(nodeFlags ? { nodeFlags } : {}),
    ...(side?.root ? { root: side.root } : {}),
    ...(side?.label ? { label: side.label } : {}),
    port: 0,
    topology,
    loadBalancer: false,
    rabbitmqUrl: infra.rabbitmqUrl,
    redisUrl: infra.redisUrl,
    env: { ...BENCH_NODE_ENV, ...env },
  });
  // kill(i) sends SIGKILL synchronously before it awaits the exit
  const kill = (): void => cluster.nodeUrls.forEach((_, i) => void cluster.kill(i));
  killOnExit.add(kill);
  const stop = cluster.stop.bind(cluster);
  return {
    ...cluster,
    stop: async () => {
      killOnExit.delete(kill);
      await stop();
    },
  };
}

/** A loopback port free right now. */
export async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

export interface ChildServer {
  port: number;
  child: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Forks a baseline server (a file in servers/) on a free port; it reports `{ ready: true }` over
 * IPC once listening. Resolves then, or rejects if it exits first or takes over 15 s.
 */
export async function forkServer(file: string, env: Record<string, string> = {}): Promise<ChildServer> {
  const port = await freePort();
  const child = fork(new URL(`../servers/${file}`, import.meta.url).pathname, [], {
    env: { ...process.env, PORT: String(port), ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${file} not ready in 15 s`)), 15_000);
    child.once('message', () => {
      clearTimeout(timer);
      resolve();
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${file} exited with ${code}`));
    });
  });
  const kill = (): void => void child.kill('SIGKILL');
  killOnExit.add(kill);
  return {
    port,
    child,
    stop: async () => {
      killOnExit.delete(kill);
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}
