/**
 * Three private RabbitMQ nodes (Debian's rabbitmq-server) joined into one cluster, on loopback,
 * for the failover tests and for trying `RABBITMQ_URL` lists by hand. Each node has its own temp
 * dir, node name, AMQP and distribution ports; all share one Erlang cookie. The first node starts
 * alone; the others boot with classic peer discovery naming it, so they join its cluster on their
 * first start. Readiness is an AMQP connect plus `cluster_status` listing every node, never a
 * fixed wait.
 *
 * `kill(i)` is a crash of node i (SIGKILL of its process group); `stop()` ends every node it
 * started and removes the dirs. Nothing else on the machine is touched.
 */
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { chown, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../test/support/free-port.ts';

const SBIN = '/usr/lib/rabbitmq/bin';
const READY_MS = 90_000;

export interface RabbitMqClusterNode {
  readonly name: string;
  readonly port: number;
  /** amqp://guest:guest@127.0.0.1:<port> */
  readonly url: string;
}

export interface RabbitMqCluster {
  readonly nodes: readonly RabbitMqClusterNode[];
  /** SIGKILL node `index`'s process group: a crash, as a lost machine */
  kill(index: number): Promise<void>;
  /** `rabbitmqctl -n <node i> <args>` */
  ctl(index: number, ...args: string[]): Promise<string>;
  stop(): Promise<void>;
}

export async function startRabbitMqCluster(opts: { name: string; size?: number }): Promise<RabbitMqCluster> {
  if (!existsSync(join(SBIN, 'rabbitmq-server'))) {
    throw new Error('RabbitMQ is not installed: apt-get update && apt-get install -y rabbitmq-server');
  }
  const size = opts.size ?? 3;
  const root = await mkdtemp(join(tmpdir(), `tether-rmq-cluster-${opts.name}-`));
  const runAs = brokerUser();
  if (runAs) await chown(root, runAs.uid, runAs.gid);
  const cookie = `TETHERHA${process.pid}X${Date.now()}`;
  const specs: Array<{ name: string; port: number; dist: number; dir: string }> = [];
  for (let i = 0; i < size; i++) {
    specs.push({ name: `tether-ha-${opts.name}-${i}-${process.pid}@localhost`, port: await freePort(), dist: await freePort(), dir: join(root, `n${i}`) });
  }
  const children: Array<ChildProcess | undefined> = [];
  const envs: NodeJS.ProcessEnv[] = [];
  for (const [i, spec] of specs.entries()) {
    envs[i] = await prepare(spec, cookie, runAs, i === 0 ? [] : [specs[0]!.name]);
  }
  const spawnOpts = (i: number) => ({ cwd: specs[i]!.dir, env: envs[i], ...(runAs ?? {}) });
  const killGroup = (i: number): void => {
    const pid = children[i]?.pid;
    if (pid) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  };
  const killAll = (): void => specs.forEach((_, i) => killGroup(i));
  process.on('exit', killAll);

  const launch = async (i: number): Promise<void> => {
    const child = spawn(join(SBIN, 'rabbitmq-server'), [], { ...spawnOpts(i), detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    children[i] = child;
    let output = '';
    const keep = (chunk: Buffer): void => void (output = (output + chunk.toString()).slice(-3000));
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    await waitPort(specs[i]!.port, child).catch((error: Error) => {
      throw new Error(`${error.message}\n${output}`);
    });
  };
  const ctl = (i: number, ...args: string[]): Promise<string> =>
    new Promise((resolve, reject) =>
      execFile(join(SBIN, 'rabbitmqctl'), ['-n', specs[i]!.name, ...args], { ...spawnOpts(i), timeout: 30_000 }, (error, stdout, stderr) =>
        error ? reject(new Error(`rabbitmqctl ${args.join(' ')}: ${stderr || error.message}`)) : resolve(stdout),
      ),
    );

  const stop = async (): Promise<void> => {
    killAll();
    await Promise.all(children.map((c) => (c && c.exitCode === null && c.signalCode === null ? once(c, 'exit') : undefined)));
    process.off('exit', killAll);
    await rm(root, { recursive: true, force: true });
  };

  try {
    await launch(0);
    await Promise.all(specs.slice(1).map((_, j) => launch(j + 1)));
    const deadline = Date.now() + READY_MS;
    for (;;) {
      const status = await ctl(0, 'cluster_status', '--formatter', 'json').catch(() => '{}');
      const running = (JSON.parse(status) as { running_nodes?: string[] }).running_nodes ?? [];
      if (specs.every((s) => running.includes(s.name))) break;
      if (Date.now() > deadline) throw new Error(`RabbitMQ nodes did not form one cluster: running ${running.join(', ')}`);
      // poll interval while the later nodes join; re-checked until the deadline
      await new Promise((r) => setTimeout(r, 500));
    }
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    nodes: specs.map((s) => ({ name: s.name, port: s.port, url: `amqp://guest:guest@127.0.0.1:${s.port}` })),
    async kill(index) {
      const child = children[index];
      killGroup(index);
      if (child && child.exitCode === null && child.signalCode === null) await once(child, 'exit');
    },
    ctl,
    stop,
  };
}

interface RunAs {
  uid: number;
  gid: number;
}

function brokerUser(): RunAs | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string): number => Number(execFileSync('id', [flag, 'rabbitmq'], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

async function prepare(
  spec: { name: string; port: number; dist: number; dir: string },
  cookie: string,
  runAs: RunAs | undefined,
  peers: string[],
): Promise<NodeJS.ProcessEnv> {
  const dir = spec.dir;
  for (const sub of ['', 'home', 'mnesia', 'log']) await mkdir(join(dir, sub), { recursive: true });
  await writeFile(join(dir, 'home/.erlang.cookie'), cookie, { mode: 0o400 });
  const conf = [
    'log.console = false',
    'log.file.level = info',
    'disk_free_limit.absolute = 1MB',
    // guest may connect from 127.0.0.1 only, which is where the tests are
    ...(peers.length > 0
      ? ['cluster_formation.peer_discovery_backend = classic_config', ...peers.map((p, i) => `cluster_formation.classic_config.nodes.${i + 1} = ${p}`)]
      : []),
    '',
  ];
  await writeFile(join(dir, 'rabbitmq.conf'), conf.join('\n'));
  await writeFile(join(dir, 'enabled_plugins'), '[].\n');
  await writeFile(join(dir, 'rabbitmq-env.conf'), '');
  if (runAs) {
    for (const path of ['', 'home', 'home/.erlang.cookie', 'mnesia', 'log', 'rabbitmq.conf', 'enabled_plugins', 'rabbitmq-env.conf']) {
      await chown(join(dir, path), runAs.uid, runAs.gid);
    }
  }
  return {
    PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
    LANG: 'C.UTF-8',
    HOME: join(dir, 'home'),
    RABBITMQ_NODENAME: spec.name,
    RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
    RABBITMQ_NODE_PORT: String(spec.port),
    RABBITMQ_DIST_PORT: String(spec.dist),
    RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
    RABBITMQ_LOG_BASE: join(dir, 'log'),
    RABBITMQ_CONFIG_FILE: join(dir, 'rabbitmq.conf'),
    RABBITMQ_ADVANCED_CONFIG_FILE: join(dir, 'advanced.config'),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
    RABBITMQ_CONF_ENV_FILE: join(dir, 'rabbitmq-env.conf'),
  };
}

/** Resolves once the port accepts TCP (AMQP listener up); rejects if the process exits first. */
async function waitPort(port: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + READY_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`rabbitmq-server exited with ${child.exitCode}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = tcpConnect({ port, host: '127.0.0.1' });
      socket.once('connect', () => (socket.destroy(), resolve(true)));
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    // poll interval while the broker boots (about 9 s); re-checked until the deadline
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`RabbitMQ on ${port} did not open its port within ${READY_MS} ms`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const cluster = await startRabbitMqCluster({ name: 'cli' });
  console.log(`RABBITMQ_URL=${cluster.nodes.map((n) => n.url).join(',')}`);
  console.log('# Ctrl-C stops the cluster');
  const stop = (): void => void cluster.stop().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
