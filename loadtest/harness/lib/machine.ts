/** What the numbers were measured on: hardware, kernel and the versions of everything in the path. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg, release, totalmem } from 'node:os';

function run(file: string, args: string[]): string {
  try {
    return execFileSync(file, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
}

function packageVersion(name: string): string {
  try {
    const url = new URL(`../../../node_modules/${name}/package.json`, import.meta.url);
    return (JSON.parse(readFileSync(url, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

const ROOT = new URL('../../../', import.meta.url).pathname;

/**
 * The commit measured, and whether src/ differs from it (read-only git queries). A run from an
 * exported snapshot (no .git) names its commit in BENCH_SOURCE_COMMIT.
 */
export function sourceRevision(): { commit: string; srcModified: boolean } {
  if (process.env.BENCH_SOURCE_COMMIT) return { commit: process.env.BENCH_SOURCE_COMMIT, srcModified: false };
  const commit = run('git', ['-C', ROOT, 'rev-parse', '--short=12', 'HEAD']);
  const status = run('git', ['-C', ROOT, 'status', '--porcelain', '--', 'src']);
  return { commit, srcModified: status !== '' && status !== 'unknown' };
}

export interface Machine {
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  kernel: string;
  loadAverage: number[];
  versions: Record<string, string>;
}

export function describeMachine(): Machine {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  return {
    cpus: availableParallelism(),
    cpuModel: /model name\s*:\s*(.*)/.exec(cpuinfo)?.[1] ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    kernel: release(),
    loadAverage: loadavg().map((x) => Math.round(x * 100) / 100),
    versions: {
      node: process.version,
      rabbitmq: run('dpkg-query', ['-W', '-f=${Version}', 'rabbitmq-server']),
      erlang: run('dpkg-query', ['-W', '-f=${Version}', 'erlang-base']),
      'redis-server': run('redis-server', ['--version']).replace(/^Redis server v=(\S+).*/, '$1'),
      amqplib: packageVersion('amqplib'),
      ws: packageVersion('ws'),
      ioredis: packageVersion('ioredis'),
      'socket.io': packageVersion('socket.io'),
      'socket.io-client': packageVersion('socket.io-client'),
      '@socket.io/redis-adapter': packageVersion('@socket.io/redis-adapter'),
      'redis (node-redis client)': packageVersion('redis'),
    },
  };
}
