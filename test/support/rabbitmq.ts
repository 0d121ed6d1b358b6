/**
 * Private RabbitMQ brokers for tests, started from Debian's `rabbitmq-server` (3.10 here), so the
 * suites run against a real broker with no Docker and no shared system service. The vitest global
 * setup starts one shared broker; a failure test starts its own so that stopping and restarting it
 * disturbs nobody else.
 *
 * Each broker gets a fresh temp dir (data, logs, config, an empty plugin list so it boots faster,
 * and a private HOME holding its own Erlang cookie), a unique node name, and free AMQP and
 * distribution ports found by listening on port 0. As root it runs as the `rabbitmq` user, as
 * Debian's wrapper would, so the dir is chowned to that user. Readiness is an AMQP connect polled
 * until a deadline, never a fixed wait.
 *
 * To extend: put broker settings in `rabbitmq.conf` below (new-style `key = value`), plugins in
 * `enabled_plugins` (`[rabbitmq_management].`, and find its port with `freePort`), and
 * new fault injections on `RabbitMqInstance` next to `down` / `up` (`ctl` reaches any `rabbitmqctl`
 * command: alarms, closing connections, listing bindings).
 */
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { chown, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'amqplib';
import { freeStablePort } from './free-port.ts';

const SBIN = '/usr/lib/rabbitmq/bin';
const SERVER = join(SBIN, 'rabbitmq-server');
const CTL = join(SBIN, 'rabbitmqctl');
/** ms a broker may take to accept AMQP connections after it is spawned (it takes about 9 s) */
const READY_DEADLINE_MS = 60_000;
/** ms a graceful stop may take before the process group is killed */
const STOP_DEADLINE_MS = 20_000;

export interface RabbitMqInstance {
  /** amqp://guest:guest@127.0.0.1:<port> */
  readonly url: string;
  readonly port: number;
  readonly nodeName: string;
  /** Stops the broker for good and removes its temp dir. Idempotent. */
  stop(): Promise<void>;
  /**
   * Takes the broker down but keeps its dir and ports, for failure tests. `graceful` closes every
   * connection with CONNECTION_FORCED, as an operator's restart does; `kill` is a crash (SIGKILL).
   */
  down(how?: 'graceful' | 'kill'): Promise<void>;
  /** Starts a broker taken `down` again on the same port and resolves once it accepts AMQP. */
  up(): Promise<void>;
  /** `down` then `up`. */
  restart(how?: 'graceful' | 'kill'): Promise<void>;
  /** Runs `rabbitmqctl <args>` against this broker, e.g. `set_vm_memory_high_watermark 0.0001` to raise an alarm. */
  ctl(...args: string[]): Promise<string>;
}

let counter = 0;

/** starts tried when the picked ports were taken between probing and binding */
const PORT_ATTEMPTS = 3;

export async function startRabbitMq(opts: { name: string }): Promise<RabbitMqInstance> {
  // another process on the machine can take a probed port before the broker binds it
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(opts);
    } catch (error) {
      if (attempt >= PORT_ATTEMPTS || !String((error as Error).message).includes('eaddrinuse')) throw error;
    }
  }
}

async function startOnce(opts: { name: string }): Promise<RabbitMqInstance> {
  if (!existsSync(SERVER)) {
    throw new Error(
      `RabbitMQ is not installed (${SERVER} not found). Install it with ` +
        '`apt-get update && apt-get install -y rabbitmq-server`, or set RABBITMQ_URL to a running broker.',
    );
  }
  const runAs = brokerUser();
  const dir = await mkdtemp(join(tmpdir(), `tether-rabbitmq-${opts.name}-`));
  const [port, distPort] = await Promise.all([freeStablePort(), freeStablePort()]);
  const nodeName = `tether-${opts.name}-${process.pid}-${++counter}@localhost`;
  const env = await prepareDir(dir, runAs, { port, distPort, nodeName });
  const url = `amqp://guest:guest@127.0.0.1:${port}`;
  const spawnOpts = { cwd: dir, env, ...(runAs ?? {}) };
  let child: ChildProcess | undefined;
  let output = '';
  let stopped = false;

  const launch = async (): Promise<void> => {
    output = '';
    const proc = spawn(SERVER, [], { ...spawnOpts, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    const keep = (chunk: Buffer): void => {
      output = (output + chunk.toString()).slice(-4000);
    };
    proc.stdout?.on('data', keep);
    proc.stderr?.on('data', keep);
    const exited = once(proc, 'exit').then(([code]) => code as number | null);
    try {
      await waitReady(url, exited);
    } catch (error) {
      await halt('kill');
      const log = await readFile(join(dir, 'log', `${nodeName}.log`), 'utf8').catch(() => '');
      throw new Error(`RabbitMQ ${nodeName} did not start: ${(error as Error).message}\n${output}\n${log.slice(-4000)}`, {
        cause: error,
      });
    }
  };

  const halt = async (how: 'graceful' | 'kill'): Promise<void> => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = once(proc, 'exit');
    if (how === 'graceful') {
      const stoppedByCtl = await run(CTL, ['-n', nodeName, 'stop'], spawnOpts, STOP_DEADLINE_MS).then(
        () => true,
        () => false,
      );
      // the server script traps TERM and stops the node cleanly
      if (!stoppedByCtl) proc.kill('SIGTERM');
      await within(exited, STOP_DEADLINE_MS);
    }
    if (proc.exitCode === null && proc.signalCode === null) {
      killGroup(proc.pid!, 'SIGKILL');
      await exited;
    }
    killGroup(proc.pid!, 'SIGKILL');
  };

  // a test run that dies without calling stop() must not leave brokers behind
  const killOnExit = (): void => {
    if (child?.pid) killGroup(child.pid, 'SIGKILL');
  };
  process.on('exit', killOnExit);

  await launch().catch(async (error: unknown) => {
    process.off('exit', killOnExit);
    await rm(dir, { recursive: true, force: true });
    throw error;
  });

  return {
    url,
    port,
    nodeName,
    async stop() {
      if (stopped) return;
      stopped = true;
      await halt('graceful');
      process.off('exit', killOnExit);
      await rm(dir, { recursive: true, force: true });
    },
    async down(how = 'graceful') {
      await halt(how);
    },
    async up() {
      if (stopped) throw new Error(`RabbitMQ ${nodeName} was stopped for good`);
      if (child) return;
      await launch();
    },
    async restart(how = 'graceful') {
      await halt(how);
      await launch();
    },
    ctl(...args) {
      return run(CTL, ['-n', nodeName, ...args], spawnOpts, STOP_DEADLINE_MS);
    },
  };
}

interface RunAs {
  uid: number;
  gid: number;
}

/** As root, the broker runs as `rabbitmq`, like Debian's wrapper; otherwise as the current user. */
function brokerUser(): RunAs | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string): number => Number(execFileSync('id', [flag, 'rabbitmq'], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

async function prepareDir(
  dir: string,
  runAs: RunAs | undefined,
  p: { port: number; distPort: number; nodeName: string },
): Promise<NodeJS.ProcessEnv> {
  const home = join(dir, 'home');
  for (const sub of ['home', 'mnesia', 'log']) await mkdir(join(dir, sub));
  const cookie = join(home, '.erlang.cookie');
  await writeFile(cookie, `TETHER${process.pid}X${counter}${Date.now()}`.toUpperCase(), { mode: 0o400 });
  await writeFile(
    join(dir, 'rabbitmq.conf'),
    ['log.console = false', 'log.file.level = info', 'disk_free_limit.absolute = 1MB', ''].join('\n'),
  );
  await writeFile(join(dir, 'enabled_plugins'), '[].\n');
  await writeFile(join(dir, 'rabbitmq-env.conf'), '');
  if (runAs) {
    for (const path of [dir, home, cookie, 'mnesia', 'log', 'rabbitmq.conf', 'enabled_plugins', 'rabbitmq-env.conf']) {
      await chown(path.startsWith('/') ? path : join(dir, path), runAs.uid, runAs.gid);
    }
  }
  return {
    PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
    LANG: 'C.UTF-8',
    HOME: home,
    RABBITMQ_NODENAME: p.nodeName,
    RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
    RABBITMQ_NODE_PORT: String(p.port),
    RABBITMQ_DIST_PORT: String(p.distPort),
    RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
    RABBITMQ_LOG_BASE: join(dir, 'log'),
    RABBITMQ_CONFIG_FILE: join(dir, 'rabbitmq.conf'),
    RABBITMQ_ADVANCED_CONFIG_FILE: join(dir, 'advanced.config'),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
    RABBITMQ_CONF_ENV_FILE: join(dir, 'rabbitmq-env.conf'),
  };
}

/** Polls an AMQP connect until it succeeds, the broker process exits, or the deadline passes. */
async function waitReady(url: string, exited: Promise<number | null>): Promise<void> {
  let exitCode: number | null | undefined;
  void exited.then((code) => (exitCode = code));
  const deadline = Date.now() + READY_DEADLINE_MS;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (exitCode !== undefined) throw new Error(`rabbitmq-server exited with code ${exitCode}`);
    try {
      const connection = await connect(url, { timeout: 2_000 });
      await connection.close();
      return;
    } catch (error) {
      lastError = error;
    }
    await within(exited, 200);
  }
  throw new Error(`no AMQP connection within ${READY_DEADLINE_MS} ms: ${String(lastError)}`);
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is already gone
  }
}

function run(file: string, args: string[], options: object, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { ...options, timeout: timeoutMs }, (error, stdout, stderr) =>
      error ? reject(new Error(`${file} ${args.join(' ')}: ${stderr || error.message}`)) : resolve(stdout),
    );
  });
}


/** Resolves when `promise` settles or `ms` pass, whichever is first, leaving no timer behind. */
async function within(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise.catch(() => {}), new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}
