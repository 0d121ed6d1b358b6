/**
 * A private Docker engine (Debian's `docker.io` dockerd) for the container tests and for trying
 * the deploy files by hand, on machines where no system Docker runs and none may be disturbed.
 *
 * It has its own data root (tools/docker/root, kept between runs so built images are cached), its
 * own exec root, socket and pid file in a temp dir, and no networking of its own
 * (`--bridge=none --iptables=false --ip-masq=false`): containers run with `--network host`, so
 * the deploy files are run through deploy/compose/compose.host.yaml here. One engine at a time
 * may use the data root; `stop()` ends the daemon it started and nothing else.
 *
 * CLI: `scripts/node24 scripts/docker/engine.ts` starts one, prints the environment to use it
 * (`DOCKER_HOST`, `DOCKER_CONFIG` with the Compose plugin) and stops it on Ctrl-C.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, openSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = new URL('../..', import.meta.url).pathname;
export const TOOLS_BIN = join(ROOT, 'tools/bin');
const DATA_ROOT = join(ROOT, 'tools/docker/root');
const DOCKERD = '/usr/sbin/dockerd';
/** ms dockerd may take to answer on its socket */
const READY_MS = 30_000;

export interface DockerEngine {
  /** environment for `docker` / `docker compose` against this engine */
  readonly env: NodeJS.ProcessEnv;
  /** runs `docker <args>`; rejects with its stderr on a non-zero exit */
  docker(args: readonly string[], options?: { timeoutMs?: number; input?: string; cwd?: string }): Promise<string>;
  /** stops the daemon (and so its containers) and removes its temp dir; idempotent */
  stop(): Promise<void>;
}

/** `docker <args>` against the engine whose environment is `env` (from `DockerEngine.env`) */
export function dockerCli(env: NodeJS.ProcessEnv): DockerEngine['docker'] {
  return (args, options = {}) =>
    new Promise((resolve, reject) => {
      const child = execFile(
        'docker',
        [...args],
        { env, cwd: options.cwd ?? ROOT, timeout: options.timeoutMs ?? 120_000, maxBuffer: 64 * 1024 * 1024 },
        (error, stdout, stderr) =>
          error ? reject(new Error(`docker ${args.join(' ')}: ${stderr || error.message}`.slice(0, 8000))) : resolve(stdout),
      );
      if (options.input !== undefined) child.stdin?.end(options.input);
    });
}

export async function startDockerEngine(): Promise<DockerEngine> {
  if (!existsSync(DOCKERD)) {
    throw new Error(`${DOCKERD} not found: apt-get install -y docker.io (the Debian engine; .ci/run installs it)`);
  }
  if (!existsSync(join(TOOLS_BIN, 'docker-compose'))) {
    throw new Error('tools/bin/docker-compose not found: run scripts/docker/tools.sh (.ci/run does)');
  }
  if (process.getuid?.() !== 0) throw new Error('the private Docker engine needs root');
  const dir = await mkdtemp(join(tmpdir(), 'tether-docker-'));
  await mkdir(DATA_ROOT, { recursive: true });
  await mkdir(join(dir, 'config/cli-plugins'), { recursive: true });
  await symlink(join(TOOLS_BIN, 'docker-compose'), join(dir, 'config/cli-plugins/docker-compose'));
  const socket = join(dir, 'docker.sock');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DOCKER_HOST: `unix://${socket}`,
    DOCKER_CONFIG: join(dir, 'config'),
    // no buildx plugin here: the classic builder (Compose v2 builds through the CLI with this)
    DOCKER_BUILDKIT: '0',
    COMPOSE_BAKE: 'false',
  };
  const log = openSync(join(dir, 'dockerd.log'), 'a');
  const daemon: ChildProcess = spawn(
    DOCKERD,
    [
      `--data-root=${DATA_ROOT}`,
      `--exec-root=${join(dir, 'exec')}`,
      `--pidfile=${join(dir, 'dockerd.pid')}`,
      `--host=unix://${socket}`,
      '--storage-driver=overlay2',
      '--bridge=none',
      '--iptables=false',
      '--ip6tables=false',
      '--ip-masq=false',
    ],
    { stdio: ['ignore', log, log], detached: true },
  );
  const killOnExit = (): void => void daemon.kill('SIGKILL');
  process.once('exit', killOnExit);
  const exited = once(daemon, 'exit');

  const docker = dockerCli(env);

  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    if (daemon.exitCode === null && daemon.signalCode === null) {
      daemon.kill('SIGTERM');
      const timer = setTimeout(() => daemon.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
    }
    process.off('exit', killOnExit);
    // dockerd leaves its network namespace file bind-mounted under the exec root
    for (const mount of await mountsUnder(dir)) await unmount(mount);
    await rm(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + READY_MS;
  for (;;) {
    if (daemon.exitCode !== null) {
      await stop();
      throw new Error(`dockerd exited with ${daemon.exitCode}; see its log (data root ${DATA_ROOT} may be in use by another engine)`);
    }
    if (await docker(['version', '--format', '{{.Server.Version}}'], { timeoutMs: 5000 }).then(() => true, () => false)) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`dockerd did not answer within ${READY_MS} ms`);
    }
    // poll interval while the daemon starts; the loop re-checks until the deadline
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return { env, docker, stop };
}

/** mount points at or below `dir`, deepest first */
async function mountsUnder(dir: string): Promise<string[]> {
  const mounts = await readFile('/proc/self/mounts', 'utf8').catch(() => '');
  return mounts
    .split('\n')
    .map((line) => line.split(' ')[1] ?? '')
    .filter((point) => point === dir || point.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
}

function unmount(point: string): Promise<void> {
  return new Promise((resolve) => execFile('umount', ['-l', point], () => resolve()));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const engine = await startDockerEngine();
  console.log(`export DOCKER_HOST=${engine.env.DOCKER_HOST} DOCKER_CONFIG=${engine.env.DOCKER_CONFIG} DOCKER_BUILDKIT=0 COMPOSE_BAKE=false`);
  console.log('# Ctrl-C stops the engine');
  const stop = (): void => void engine.stop().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
