/**
 * A local Tether cluster on loopback: RabbitMQ, Redis and PostgreSQL (private instances from
 * Debian's packages unless RABBITMQ_URL / REDIS_URL / DATABASE_URL are given), N node processes on their own ports, and
 * HAProxy in front routing by each node's /readyz. Used by `npm run cluster`, the benchmarks and
 * the browser tests. `kill(i)` really kills a node process (SIGKILL) for failure tests.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRabbitMq } from '../test/support/rabbitmq.ts';
import { startRedis } from '../test/support/redis.ts';
import { freePort, freeStablePort } from '../test/support/free-port.ts';
import { startPostgres } from './services/postgres.ts';

export { freePort };

/**
 * The Node flags a node is launched with, as `npm start` does (package.json; a test checks the
 * two agree). V8's young generation capped at 4 MiB per semi-space, rather than growing to
 * 32 MiB under a burst of connects and staying there: docs/operations.md, docs/benchmarks.md.
 */
export const NODE_FLAGS: readonly string[] = ['--max-semi-space-size=4'];

export interface LocalClusterOptions {
  nodes: number;
  /** Node flags for every node; default NODE_FLAGS */
  nodeFlags?: readonly string[];
  /** load balancer port; 0 picks a free one */
  port: number;
  topology: 'routed' | 'fanout';
  /** extra environment for every node */
  env?: Record<string, string>;
  /** use these instead of starting private instances (tests pass the suite's own) */
  rabbitmqUrl?: string;
  redisUrl?: string;
  databaseUrl?: string;
  /** default true: put HAProxy in front */
  loadBalancer?: boolean;
  /** run the nodes from another checkout of Tether (its src/main.ts), for side-by-side comparisons */
  root?: string;
  /** an argument after src/main.ts that names these nodes in `ps` (the node ignores it), e.g. `side=base` */
  label?: string;
}

export interface LocalCluster {
  /** ws://127.0.0.1:<lb port>/ws */
  readonly url: string;
  readonly nodeUrls: string[];
  readonly rabbitmqUrl: string;
  readonly redisUrl: string;
  readonly databaseUrl: string;
  readonly dir: string;
  /** the process id of node `index` now (it changes when `start(index)` brings it back), or null while it is down */
  pid(index: number): number | null;
  /** SIGKILL: the node process dies at once, as in a crash or an OOM kill */
  kill(index: number): Promise<void>;
  /**
   * SIGTERM: the node drains as in a deploy (readiness off, clients closed with 1012 spread over
   * DRAIN_MS) and exits. Resolves once it has, with its exit code (null if a signal ended it).
   */
  drain(index: number): Promise<number | null>;
  /** Starts node `index` again (after `kill` or `drain`) on its port; resolves once it is ready. */
  start(index: number): Promise<void>;
  stop(): Promise<void>;
}

const ROOT = new URL('..', import.meta.url).pathname;


async function waitReady(port: number, deadlineMs: number, child: ChildProcess, log: string): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      const tail = (await readFile(log, 'utf8').catch(() => '')).split('\n').slice(-10).join('\n');
      throw new Error(`node on port ${port} exited with ${child.exitCode}:\n${tail}`);
    }
    const ok = await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.ok, () => false);
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 100)); // polling a process we do not control
  }
  throw new Error(`node on port ${port} not ready within ${deadlineMs} ms`);
}

async function startHaproxy(dir: string, config: string, port: number): Promise<ChildProcess> {
  await writeFile(join(dir, 'haproxy.cfg'), config);
  const haproxy = spawn('/usr/sbin/haproxy', ['-db', '-f', join(dir, 'haproxy.cfg')], { stdio: ['ignore', 'pipe', 'pipe'] });
  haproxy.stderr!.pipe(createWriteStream(join(dir, 'haproxy.log')));
  const deadline = Date.now() + 10_000;
  while (!(await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.ok, () => false))) {
    if (haproxy.exitCode !== null || Date.now() > deadline) throw new Error(`haproxy did not start; see ${dir}/haproxy.log`);
    await new Promise((resolve) => setTimeout(resolve, 100)); // polling a process we do not control
  }
  return haproxy;
}

/** What `npm run cluster` prints: where each node listens, its process id and its log. */
export function describeCluster(cluster: LocalCluster, topology: string): string[] {
  return [
    `tether: ${cluster.nodeUrls.length} nodes (${topology}) behind HAProxy at ${cluster.url}`,
    ...cluster.nodeUrls.map((url, i) => `  node-${i}: ${url}  pid ${cluster.pid(i) ?? 'down'}  (logs: ${cluster.dir}/node-${i}.log)`),
    `  RabbitMQ ${cluster.rabbitmqUrl}  Redis ${cluster.redisUrl}  PostgreSQL ${cluster.databaseUrl}`,
    "  `ps -ef | grep 'tether node-'` lists the nodes; `kill -9 <pid>` crashes one",
  ];
}

export async function startLocalCluster(options: LocalClusterOptions): Promise<LocalCluster> {
  const withLb = options.loadBalancer ?? true;
  if (withLb && !existsSync('/usr/sbin/haproxy')) {
    throw new Error('HAProxy is not installed: `apt-get update && apt-get install -y haproxy`');
  }
  const dir = await mkdtemp(join(tmpdir(), 'tether-cluster-'));
  const givenRabbit = options.rabbitmqUrl ?? process.env.RABBITMQ_URL;
  const givenRedis = options.redisUrl ?? process.env.REDIS_URL;
  const givenDatabase = options.databaseUrl ?? process.env.DATABASE_URL;
  const [rabbit, redis, database] = await Promise.all([
    givenRabbit ? null : startRabbitMq({ name: 'cluster' }),
    givenRedis ? null : startRedis({ name: 'cluster' }),
    givenDatabase ? null : startPostgres({ name: 'cluster' }),
  ]);
  const rabbitmqUrl = givenRabbit ?? rabbit!.url;
  const redisUrl = givenRedis ?? redis!.url;
  const databaseUrl = givenDatabase ?? database!.url;
  // a cluster of its own on a shared broker and Redis
  const namespace = `${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  // `start(i)` brings a node back on its port: one no outgoing connection can take meanwhile
  const ports = await Promise.all(Array.from({ length: options.nodes }, () => freeStablePort()));
  const children: Array<ChildProcess | null> = ports.map(() => null);

  const startNode = async (i: number): Promise<void> => {
    const logPath = join(dir, `node-${i}.log`);
    const log = createWriteStream(logPath, { flags: 'a' });
    // the title names the node in `ps` (`tether node-1 port 40123 (src/main.ts)`); tools that look for
    // src/main.ts (and a compare.ts side label after it) in a command line (loadtest/harness) still find it
    const title = `--title=tether node-${i} port ${ports[i]} (src/main.ts${options.label ? ` ${options.label}` : ''})`;
    const child = spawn(process.execPath, [title, ...(options.nodeFlags ?? NODE_FLAGS), join(options.root ?? ROOT, 'src/main.ts'), ...(options.label ? [options.label] : [])], {
      env: {
        ...process.env,
        // development auth (dev tokens) unless the caller sets JWT_* and NODE_ENV in `env`
        NODE_ENV: 'development',
        PORT: String(ports[i]),
        HOST: '127.0.0.1',
        NODE_ID: `node-${i}`,
        RABBITMQ_URL: rabbitmqUrl,
        REDIS_URL: redisUrl,
        DATABASE_URL: databaseUrl,
        BUS_TOPOLOGY: options.topology,
        BUS_EXCHANGE: `tether.${options.topology}.${namespace}`,
        REDIS_PREFIX: `tether:${namespace}:`,
        LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
        DRAIN_MS: '2000',
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.pipe(log);
    child.stderr!.pipe(log);
    children[i] = child;
    await waitReady(ports[i]!, 30_000, child, logPath);
  };
  await Promise.all(ports.map((_, i) => startNode(i)));

  const lbPort = withLb ? options.port || (await freePort()) : 0;
  const config = [
    'global',
    // each proxied connection holds two sockets; 9000 fits the 20,000-file hard limit of a process here
    '  maxconn 9000',
    'defaults',
    '  mode http',
    '  timeout connect 2s',
    '  timeout client 60s',
    '  timeout server 60s',
    '  timeout tunnel 1h',
    'frontend tether',
    `  bind 127.0.0.1:${lbPort}`,
    '  default_backend nodes',
    'backend nodes',
    '  balance roundrobin',
    '  option httpchk GET /readyz',
    '  http-check expect status 200',
    '  default-server inter 500ms fall 2 rise 1',
    ...ports.map((p, i) => `  server node-${i} 127.0.0.1:${p} check`),
    '',
  ].join('\n');
  const haproxy = withLb ? await startHaproxy(dir, config, lbPort) : null;

  const stopChild = async (child: ChildProcess | null, signal: NodeJS.Signals): Promise<void> => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill(signal);
    await exited;
  };

  return {
    url: withLb ? `ws://127.0.0.1:${lbPort}/ws` : `ws://127.0.0.1:${ports[0]}/ws`,
    nodeUrls: ports.map((p) => `ws://127.0.0.1:${p}/ws`),
    rabbitmqUrl,
    redisUrl,
    databaseUrl,
    dir,
    pid: (i) => {
      const child = children[i];
      return child && child.exitCode === null && child.signalCode === null ? (child.pid ?? null) : null;
    },
    kill: (i) => stopChild(children[i]!, 'SIGKILL'),
    async drain(i) {
      const child = children[i]!;
      await stopChild(child, 'SIGTERM');
      return child.exitCode;
    },
    start: (i) => startNode(i),
    async stop() {
      await stopChild(haproxy, 'SIGTERM');
      await Promise.all(children.map((c) => stopChild(c, 'SIGTERM')));
      await Promise.all([rabbit?.stop(), redis?.stop(), database?.stop()]);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
