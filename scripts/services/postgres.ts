/**
 * A private PostgreSQL server from Debian's binaries (`postgresql-15`: initdb and postgres), for
 * the test suite, the local cluster and the benchmarks alike: no Docker, no shared system service.
 * Each call makes a fresh cluster in a temp dir (initdb, trust auth on loopback, no fsync: the
 * data is thrown away), starts `postgres` on a free loopback port, and resolves once it answers a
 * query. As root it runs as the `postgres` system user (PostgreSQL refuses to run as root), so the
 * dir is handed to that user.
 *
 * `stop()` ends it for good and removes the dir; `kill()` is a crash (SIGKILL) and `start()`
 * brings the same cluster back on the same port (its data kept), for outage tests.
 *
 * To extend: server settings go in `SETTINGS` (they are `postgres -c name=value`), initdb flags
 * in `initdb()`; keep every wait bounded and poll-driven, never a fixed sleep.
 */
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { chown, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { freePort } from '../../test/support/free-port.ts';

export interface PostgresInstance {
  /** `postgres://tether@127.0.0.1:<port>/postgres`; the same across kill / start */
  readonly url: string;
  readonly port: number;
  /** fast shutdown, waits for the exit, removes the data; idempotent */
  stop(): Promise<void>;
  /** SIGKILL and wait for the exit: a crash; the data stays for `start()` */
  kill(): Promise<void>;
  /** starts the same cluster again on the same port; resolves once it answers a query */
  start(): Promise<void>;
}

export const POSTGRES_INSTALL_HINT =
  'install it with `apt-get update && apt-get install -y postgresql` (Debian 12: PostgreSQL 15), or set DATABASE_URL to a running server';
/** ms from spawn until the server answers a query */
const READY_DEADLINE_MS = 30_000;
/** ms allowed for the process to exit after a signal */
const EXIT_DEADLINE_MS = 15_000;
/**
 * Throwaway data: no fsync (the data need not survive the machine), but commits are written
 * before they are acknowledged, so a crash of the server (kill) loses nothing it acknowledged,
 * as in production. Enough connections for many test nodes with a small pool each.
 */
const SETTINGS = ['fsync=off', 'full_page_writes=off', 'max_connections=300', 'shared_buffers=32MB'];

export async function startPostgres(opts: { name: string }): Promise<PostgresInstance> {
  const bin = findBinaries();
  if (!bin) throw new Error(`PostgreSQL's initdb and postgres were not found: ${POSTGRES_INSTALL_HINT}`);
  const runAs = serverUser();
  const dir = await mkdtemp(join(tmpdir(), `tether-postgres-${opts.name}-`));
  const data = join(dir, 'data');
  let child: ChildProcess | null = null;
  let stopped = false;
  let port = 0;
  try {
    await mkdir(data, { mode: 0o700 });
    if (runAs) for (const path of [dir, data]) await chown(path, runAs.uid, runAs.gid);
    await initdb(bin.initdb, data, runAs);
    port = await freePort();
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  const url = `postgres://tether@127.0.0.1:${port}/postgres`;

  const launch = async (): Promise<void> => {
    const args = ['-D', data, '-p', String(port), '-h', '127.0.0.1', '-k', dir, ...SETTINGS.flatMap((s) => ['-c', s])];
    const proc = spawn(bin.postgres, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], ...(runAs ?? {}) });
    child = proc;
    proc.on('error', () => {}); // reported by waitReady through the exit check
    let output = '';
    const keep = (chunk: Buffer): void => {
      output = (output + chunk.toString()).slice(-4000);
    };
    proc.stdout?.on('data', keep);
    proc.stderr?.on('data', keep);
    try {
      await waitReady(url, proc);
    } catch (error) {
      await end('SIGKILL');
      throw new Error(`postgres on port ${port} did not start: ${(error as Error).message}\n${output}`, { cause: error });
    }
  };

  const end = async (signal: NodeJS.Signals): Promise<void> => {
    const proc = child;
    child = null;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = once(proc, 'exit');
    const killed: number[] = [];
    if (signal === 'SIGKILL') killed.push(...killGroup(proc.pid!));
    else proc.kill(signal);
    await within(exited, EXIT_DEADLINE_MS);
    if (proc.exitCode === null && proc.signalCode === null) {
      killed.push(...killGroup(proc.pid!));
      await exited;
    }
    // a backend still dying holds the shared memory, and a restart refuses to start until it lets go
    await allGone(killed, EXIT_DEADLINE_MS);
  };

  // a run that dies without stop() must not leave a server behind
  const killOnExit = (): void => {
    if (child?.pid) killGroup(child.pid);
  };
  process.on('exit', killOnExit);
  try {
    await launch();
  } catch (error) {
    process.off('exit', killOnExit);
    await rm(dir, { recursive: true, force: true });
    throw error;
  }

  return {
    url,
    port,
    async stop() {
      if (stopped) return;
      stopped = true;
      // SIGINT: PostgreSQL's fast shutdown (clients disconnected, no waiting for them)
      await end('SIGINT');
      process.off('exit', killOnExit);
      await rm(dir, { recursive: true, force: true });
    },
    kill: () => end('SIGKILL'),
    async start() {
      if (stopped) throw new Error('this PostgreSQL was stopped for good');
      if (child) return;
      await launch();
    },
  };
}

/** initdb and postgres from PATH, else from the newest /usr/lib/postgresql/<version>/bin. */
function findBinaries(): { initdb: string; postgres: string } | null {
  const dirs = (process.env.PATH ?? '').split(':').filter(Boolean);
  const versions = existsSync('/usr/lib/postgresql')
    ? readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a)).map((v) => `/usr/lib/postgresql/${v}/bin`)
    : [];
  // Debian links only initdb (and the clients) into PATH; postgres itself lives in the versioned dir
  for (const dir of [...versions, ...dirs]) {
    const initdb = join(dir, 'initdb');
    const server = join(dir, 'postgres');
    if (existsSync(initdb) && existsSync(server)) return { initdb, postgres: server };
  }
  return null;
}

interface RunAs {
  uid: number;
  gid: number;
}

/** As root, the server runs as Debian's `postgres` user; otherwise as the current user. */
function serverUser(): RunAs | undefined {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const id = (flag: string): number => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    throw new Error(`running as root, but there is no \`postgres\` user to run PostgreSQL as: ${POSTGRES_INSTALL_HINT}`);
  }
}

function initdb(binary: string, data: string, runAs: RunAs | undefined): Promise<void> {
  const args = ['-D', data, '-U', 'tether', '--auth=trust', '--encoding=UTF8', '--no-locale', '--no-sync'];
  return new Promise((resolve, reject) => {
    execFile(binary, args, { timeout: 60_000, env: { ...process.env, LANG: 'C', LC_ALL: 'C' }, ...(runAs ?? {}) }, (error, stdout, stderr) =>
      error ? reject(new Error(`initdb failed: ${stderr || error.message}\n${stdout.slice(-2000)}`)) : resolve(),
    );
  });
}

/** Polls a query until it answers, the process exits, or the deadline passes. */
async function waitReady(url: string, proc: ChildProcess): Promise<void> {
  const exited = once(proc, 'exit');
  const deadline = Date.now() + READY_DEADLINE_MS;
  let lastError: unknown;
  let delay = 20;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`postgres exited (${proc.exitCode ?? proc.signalCode})`);
    const sql = postgres(url, { max: 1, connect_timeout: 2, onnotice: () => {} });
    try {
      await sql`select 1`;
      return;
    } catch (error) {
      lastError = error;
    } finally {
      await sql.end({ timeout: 1 });
    }
    // poll interval, not a synchronization sleep: the loop re-checks until the deadline
    await within(exited, delay);
    delay = Math.min(delay * 2, 200);
  }
  throw new Error(`no answer within ${READY_DEADLINE_MS} ms: ${String(lastError)}`);
}

/**
 * SIGKILL for the server and its backends at once, as a machine failure would: PostgreSQL puts
 * each backend in its own process group, and an orphaned backend answers one more query before
 * it notices its postmaster died. Stops the postmaster first so it forks no new one meanwhile.
 */
function killGroup(pid: number): number[] {
  const signal = (target: number, sig: NodeJS.Signals): void => {
    try {
      process.kill(target, sig);
    } catch {
      // already gone
    }
  };
  signal(pid, 'SIGSTOP');
  let children: number[] = [];
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(' ').filter(Boolean).map(Number);
  } catch {
    // no /proc (not Linux) or already gone: the backends exit on their own once they notice
  }
  for (const child of children) signal(child, 'SIGKILL');
  signal(pid, 'SIGKILL');
  return children;
}

/** Polls until none of `pids` runs any more (gone, or a zombie: its memory released), or `ms` pass. */
async function allGone(pids: number[], ms: number): Promise<void> {
  const running = (pid: number): boolean => {
    try {
      // /proc/<pid>/stat: "pid (comm) state ..."; comm may hold spaces and parentheses
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
    } catch {
      return false;
    }
  };
  const deadline = Date.now() + ms;
  let left = pids.filter(running);
  while (left.length > 0 && Date.now() < deadline) {
    // polling what only the kernel shows, with a deadline
    await new Promise((resolve) => setTimeout(resolve, 10));
    left = left.filter(running);
  }
}

/** Resolves when `promise` settles or `ms` pass, whichever is first, leaving no timer behind. */
async function within(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise.catch(() => {}), new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}
