/**
 * Runs a k6 script as `k6 run` does and hands back its exit code, its output and its summary
 * (the JSON of `--summary-export`, k6's legacy format). The scripts run on the project's k6
 * runner (loadtest/harness/k6-shim: k6 itself is not used on the project's machines); set
 * K6_BIN to a k6 v1.6+ binary to run the same tests on k6. The child gets only PATH and HOME
 * from this process (k6 passes the environment to `__ENV`) and is killed if it outlives
 * `timeoutMs`. Add helpers for other parts of the summary next to `count`.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LocalCluster } from '../../scripts/local-cluster.ts';
import { freePort } from './free-port.ts';
import { startSuiteCluster } from './suite-cluster.ts';

const ROOT = new URL('../..', import.meta.url).pathname;
const RUNNER = join(ROOT, 'loadtest/harness/k6-shim/run.ts');

type Values = Record<string, number> & { thresholds?: Record<string, boolean> };
export interface K6Summary {
  metrics: Record<string, Values>;
  root_group: { checks: Record<string, { passes: number; fails: number }> };
}
export interface K6Run {
  /** null when it had to be killed */
  code: number | null;
  /** stdout and stderr */
  output: string;
  /** empty when k6 wrote none */
  summary: K6Summary;
  /** metrics with a threshold that failed */
  failed: string[];
}

export async function runK6(script: string, env: Record<string, string>, timeoutMs = 90_000): Promise<K6Run> {
  const dir = await mkdtemp(join(tmpdir(), 'tether-k6-'));
  const summaryFile = join(dir, 'summary.json');
  const args = ['run', '--quiet', '--no-color', '--no-usage-report', `--summary-export=${summaryFile}`];
  for (const [name, value] of Object.entries(env)) args.push('-e', `${name}=${value}`);
  args.push(join(ROOT, script));
  const [command, argv] = process.env.K6_BIN ? [process.env.K6_BIN, args] : [process.execPath, [RUNNER, ...args]];
  const child = spawn(command, argv, { cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk));
  const killer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearTimeout(killer);
  const text = await readFile(summaryFile, 'utf8').catch(() => '');
  await rm(dir, { recursive: true, force: true });
  // k6 writes no summary when it refuses the options (exit 104) before the test starts
  const summary: K6Summary = text ? (JSON.parse(text) as K6Summary) : { metrics: {}, root_group: { checks: {} } };
  const failed = Object.entries(summary.metrics)
    .filter(([, m]) => Object.values(m.thresholds ?? {}).some((crossed) => crossed))
    .map(([name]) => name);
  return { code, output, summary, failed };
}

/** A Counter's count in the summary; 0 when k6 left it out (no sample and no threshold). */
export function count(run: K6Run, metric: string): number {
  return run.summary.metrics[metric]?.count ?? 0;
}

/** Passes and fails of one check, by name. */
export function checkResult(run: K6Run, name: string): { passes: number; fails: number } {
  return run.summary.root_group.checks[name] ?? { passes: 0, fails: 0 };
}

/**
 * What a k6 script's tests run against: three routed node processes on the suite's RabbitMQ, Redis
 * and PostgreSQL, and a node URL nothing listens at (for the runs that must fail).
 */
export async function startK6Cluster(): Promise<{ cluster: LocalCluster; dead: string }> {
  const cluster = await startSuiteCluster();
  return { cluster, dead: `ws://127.0.0.1:${await freePort()}/ws` };
}
