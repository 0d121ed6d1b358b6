/**
 * A private `redis-server` for tests: real Redis without Docker or a shared system service.
 * Each call starts its own process on a free loopback port with an empty temp dir and no
 * persistence, and resolves once it answers PING. The global setup (test/setup/backends.ts)
 * starts one shared instance; a test that needs to break Redis (outage, restart) starts its own
 * here so it never disturbs other files.
 *
 * `stop()` / `kill()` end the process (gracefully / abruptly) and `start()` brings the same
 * instance back on the same port, empty, so clients reconnect to the same URL; `pause()` /
 * `resume()` freeze it with its connections open.
 *
 * To extend: add server flags in `serverArgs` (they are `redis-server` command-line config,
 * e.g. `--maxmemory 1mb`), or fault helpers beside `kill` and `pause` (e.g. `CLIENT KILL` to drop
 * connections), keeping every wait bounded and event- or poll-driven, never a fixed sleep.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { accessSync, constants, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { freeStablePort } from './free-port.ts';

export interface RedisInstance {
  /** `redis://127.0.0.1:<port>`; stays the same across stop / start */
  readonly url: string;
  readonly port: number;
  /** SIGTERM and wait for exit; clients see their connections closed at once */
  stop(): Promise<void>;
  /** SIGKILL and wait for exit: a crash */
  kill(): Promise<void>;
  /** start again on the same port, empty; resolves once it answers PING */
  start(): Promise<void>;
  /** SIGSTOP: the server hangs with its sockets open, as under a long stall */
  pause(): void;
  /** SIGCONT after `pause` */
  resume(): void;
}

const INSTALL_HINT = 'install with `apt-get update && apt-get install -y redis-server` (or set REDIS_URL)';
/** ms allowed from spawn until the server answers PING */
const READY_TIMEOUT_MS = 10_000;
/** ms allowed for the process to exit after a signal */
const EXIT_TIMEOUT_MS = 10_000;

export async function startRedis(opts: { name: string }): Promise<RedisInstance> {
  const binary = findBinary('redis-server');
  if (!binary) throw new Error(`redis-server not found: ${INSTALL_HINT}`);
  const dir = mkdtempSync(join(tmpdir(), `tether-redis-${opts.name}-`));
  let port = await freeStablePort();
  let child: ChildProcess | null = null;

  const launch = async (): Promise<void> => {
    mkdirSync(dir, { recursive: true });
    child = spawnServer(binary, port, dir);
    await waitReady(child, port);
  };

  const end = async (signal: NodeJS.Signals): Promise<void> => {
    const proc = child;
    child = null;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = once(proc, 'exit');
    proc.kill(signal);
    proc.kill('SIGCONT'); // a paused server handles SIGTERM only once resumed
    await withTimeout(exited, EXIT_TIMEOUT_MS, `redis-server ${opts.name} did not exit on ${signal}`);
  };

  // The picked port can be taken between probing and binding; try a few.
  for (let attempt = 1; ; attempt++) {
    try {
      await launch();
      break;
    } catch (err) {
      await end('SIGKILL');
      if (attempt >= 3) {
        rmSync(dir, { recursive: true, force: true });
        throw err;
      }
      port = await freeStablePort();
    }
  }
  const killOnExit = (): void => void child?.kill('SIGKILL');
  process.once('exit', killOnExit);

  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stop: async () => {
      await end('SIGTERM');
      process.removeListener('exit', killOnExit);
      rmSync(dir, { recursive: true, force: true });
    },
    kill: () => end('SIGKILL'),
    pause: () => void child?.kill('SIGSTOP'),
    resume: () => void child?.kill('SIGCONT'),
    start: async () => {
      if (child) return;
      process.once('exit', killOnExit);
      await launch();
    },
  };
}

function spawnServer(binary: string, port: number, dir: string): ChildProcess {
  const serverArgs = [
    '--port', String(port),
    '--bind', '127.0.0.1',
    '--dir', dir,
    '--save', '',
    '--appendonly', 'no',
    '--daemonize', 'no',
    '--loglevel', 'warning',
    '--logfile', '',
  ];
  const child = spawn(binary, serverArgs, { stdio: ['ignore', 'pipe', 'pipe'] });
  // a spawn failure is reported by waitReady through the exit check; never an uncaught 'error'
  child.on('error', () => {});
  return child;
}

/** Resolves once the server answers PING; rejects with its output if it exits or the deadline passes. */
async function waitReady(child: ChildProcess, port: number): Promise<void> {
  let output = '';
  const collect = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  let failed: Error | null = null;
  const gone = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', (err) => {
      failed = err;
      resolve();
    });
  });
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let delay = 5;
  while (true) {
    if (failed || child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`redis-server on port ${port} exited before it was ready: ${failed ?? ''}\n${output}`);
    }
    if (await ping(port)) return;
    if (Date.now() > deadline) {
      throw new Error(`redis-server on port ${port} did not answer PING within ${READY_TIMEOUT_MS} ms:\n${output}`);
    }
    // poll interval, not a synchronization sleep: the loop re-checks PING until the deadline
    await Promise.race([new Promise((r) => setTimeout(r, delay)), gone]);
    delay = Math.min(delay * 2, 100);
  }
}

/** true if something on the port answers `+PONG` */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let reply = '';
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
  });
}


function findBinary(name: string): string | null {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/bin', '/usr/sbin', '/usr/local/bin'];
  for (const dir of dirs) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

async function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
