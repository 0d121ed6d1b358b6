/**
 * The Compose file, run for real on a private engine with the host-network override: the image
 * built from the repository's Dockerfile runs as three nodes against RabbitMQ, Redis and
 * PostgreSQL containers (local stand-ins under the official names), `up --wait` waits for every
 * health check, a real Prometheus scrapes the three containers and evaluates the alert rules, and
 * a real Alertmanager, with the example alertmanager.yml unchanged, routes TetherBusDown to its
 * on-call webhook (this test, on port 9095) when the RabbitMQ container stops.
 * `docker stop` of a node drains its clients with 1012 and they resume on another node.
 * Traefik, Grafana, Loki and Alloy are not run (no image for them here).
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { dockerCli } from '../../scripts/docker/engine.ts';
import { DEV_ISSUER, DEV_SECRET, mintToken, type DevTokenRequest } from '../../src/auth/dev-tokens.ts';
import { TestClient } from '../support/client.ts';
import { freePorts, readyz, until, webhookReceiver } from './support.ts';

const FILES = ['-f', 'deploy/compose/compose.yaml', '-f', 'deploy/compose/compose.host.yaml'];
const RUNNABLE = ['tether-1', 'tether-2', 'tether-3', 'prometheus', 'alertmanager'];

describe('Compose: three nodes, backends, Prometheus and Alertmanager in containers', () => {
  const project = `tether-live-${process.pid}`;
  let ports: Record<string, number>;
  let env: NodeJS.ProcessEnv;
  let docker: ReturnType<typeof dockerCli>;
  let webhook: Awaited<ReturnType<typeof webhookReceiver>>;
  const clients: TestClient[] = [];
  const compose = (...args: string[]) => docker(['compose', '-p', project, ...FILES, ...args], { timeoutMs: 240_000 });
  const token = (request: DevTokenRequest) => mintToken(request, { secret: DEV_SECRET, issuer: DEV_ISSUER });
  const connect = async (port: number, request: DevTokenRequest, resume?: { token: string; lastSeq: number }) => {
    const client = await TestClient.connect(`ws://127.0.0.1:${port}/ws`, await token(request), {}, resume);
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    const names = ['node1', 'node2', 'node3', 'rabbitmq', 'rabbitmqDist', 'redis', 'postgres', 'prometheus', 'alertmanager'];
    const free = await freePorts(names.length);
    ports = Object.fromEntries(names.map((n, i) => [n, free[i]!]));
    env = {
      ...process.env,
      ...inject('dockerEnv'),
      TETHER_PORT_1: String(ports.node1),
      TETHER_PORT_2: String(ports.node2),
      TETHER_PORT_3: String(ports.node3),
      TETHER_RABBITMQ_PORT: String(ports.rabbitmq),
      TETHER_RABBITMQ_DIST_PORT: String(ports.rabbitmqDist),
      TETHER_REDIS_PORT: String(ports.redis),
      TETHER_POSTGRES_PORT: String(ports.postgres),
      TETHER_PROMETHEUS_PORT: String(ports.prometheus),
      TETHER_ALERTMANAGER_PORT: String(ports.alertmanager),
      TETHER_DRAIN_MS: '2000',
    };
    docker = dockerCli(env);
    // the port of the receivers in deploy/alertmanager/alertmanager.yml
    webhook = await webhookReceiver(9095);
  });
  afterAll(async () => {
    await Promise.allSettled(clients.map((c) => c.close()));
    await compose('down', '-v', '--timeout', '5').catch(() => {});
    await webhook?.close();
  });

  it('comes up healthy with one command, from the image built from the Dockerfile', async ({ annotate }) => {
    const started = performance.now();
    await compose('up', '-d', '--no-build', '--wait', '--wait-timeout', '180', ...RUNNABLE);
    const upMs = performance.now() - started;
    const states = (await compose('ps', '--format', '{{.Service}} {{.Health}}')).trim().split('\n').sort();
    expect(states).toEqual(
      ['alertmanager ', 'postgres healthy', 'prometheus ', 'rabbitmq healthy', 'redis healthy', 'tether-1 healthy', 'tether-2 healthy', 'tether-3 healthy'],
    );
    for (const port of [ports.node1!, ports.node2!, ports.node3!]) {
      expect(await readyz(port)).toMatchObject({ ready: true, bus: 'up', store: 'up' });
    }
    const image = JSON.parse(await docker(['image', 'inspect', 'tether:local']))[0] as {
      Size: number;
      Config: { User: string; Healthcheck: { Timeout: number; Test: string[] }; Cmd: string[] };
    };
    expect(image.Config.User).toBe('node');
    expect(image.Config.Healthcheck.Timeout).toBeGreaterThanOrEqual(10e9);
    // production dependencies only: no test runner or compiler in the image
    await expect(docker(['run', '--rm', '--network', 'host', '--entrypoint', 'ls', 'tether:local', 'node_modules/vitest'])).rejects.toThrow();
    await annotate(`compose up --wait: ${(upMs / 1000).toFixed(1)} s; image ${(image.Size / 1e6).toFixed(0)} MB`);
  });

  it('a real Prometheus scrapes all three containers', async () => {
    const query = async (expr: string) => {
      const response = await fetch(`http://127.0.0.1:${ports.prometheus}/api/v1/query?query=${encodeURIComponent(expr)}`);
      const body = (await response.json()) as { data: { result: Array<{ value: [number, string] }> } };
      return body.data.result.map((r) => Number(r.value[1]));
    };
    await until('Prometheus to see three ready nodes', async () => ((await query('sum(tether_ready)'))[0] === 3 ? true : undefined), 30_000);
    expect(await query('up{job="tether"}')).toEqual([1, 1, 1]);
    expect(await query('tether_bus_up')).toEqual([1, 1, 1]);
  });

  it('docker stop drains a node: its clients get 1012 and resume on another node', async () => {
    const carol = await connect(ports.node1!, { sub: 'carol', role: 'caregiver', patients: ['pat'] });
    const pat = await connect(ports.node2!, { sub: 'pat', role: 'patient', contacts: ['carol'] });
    const stopped = compose('stop', 'tether-1');
    expect(await carol.closed).toEqual({ code: 1012, reason: 'server restarting; reconnect' });
    // sent while carol is away: kept for her session. Acked `queued` once the draining node has
    // unbound her channel, plainly if the broker still routed it there a moment before: kept either way
    const sent = await pat.ok({ type: 'signal', to: 'user:carol', callId: 'c1', signal: { kind: 'invite', media: 'audio' } });
    expect([undefined, JSON.stringify({ queued: true })]).toContain(sent === undefined ? undefined : JSON.stringify(sent));
    const back = await connect(ports.node3!, { sub: 'carol', role: 'caregiver', patients: ['pat'] }, {
      token: carol.welcome.resume!.token,
      lastSeq: carol.lastSeq,
    });
    expect(back.welcome.resumed).toEqual({ ok: true, replayed: 1 });
    expect(await back.next('signal')).toMatchObject({ callId: 'c1', from: { userId: 'pat' } });
    await stopped;
    const state = JSON.parse(await docker(['inspect', `${project}-tether-1-1`, '--format', '{{json .State}}'])) as { ExitCode: number; OOMKilled: boolean };
    expect(state.ExitCode).toBe(0);
  });

  it('Alertmanager pages on-call with TetherBusDown when the RabbitMQ container stops', async ({ annotate }) => {
    const stoppedAt = performance.now();
    await compose('stop', 'rabbitmq');
    const post = await Promise.race([
      webhook.next((p) => p.path === '/on-call' && p.status === 'firing' && p.alerts.some((a) => a.labels.alertname === 'TetherBusDown')),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no TetherBusDown within 120 s; got ${JSON.stringify(webhook.posts)}`)), 120_000)),
    ]);
    const instances = post.alerts.filter((a) => a.labels.alertname === 'TetherBusDown').map((a) => a.labels.instance);
    expect(instances.length).toBeGreaterThan(0);
    for (const instance of instances) expect([`127.0.0.1:${ports.node2}`, `127.0.0.1:${ports.node3}`]).toContain(instance);
    await annotate(`TetherBusDown reached the webhook ${((performance.now() - stoppedAt) / 1000).toFixed(1)} s after docker stop rabbitmq (rule: for 30s)`);
  });
});
