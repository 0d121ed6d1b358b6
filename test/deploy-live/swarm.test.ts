/**
 * The Swarm stack on a one-node Swarm (private engine, host network): three Tether tasks with the
 * JWT key, RabbitMQ URL and Redis URL as Swarm secrets, against a private RabbitMQ and Redis. A
 * rolling update replaces the tasks one at a time, each drained with 1012 before it stops, and
 * readiness, sampled throughout, never drops below two of three. What cannot run here is dropped
 * from the merged stack before deploying: Traefik (no image) and the overlay network (no
 * container networking); `docker stack config` checks them (test/deploy-static.test.ts).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { dockerCli } from '../../scripts/docker/engine.ts';
import { DEV_ISSUER, DEV_SECRET, mintToken } from '../../src/auth/dev-tokens.ts';
import { TestClient } from '../support/client.ts';
import { freePort } from '../support/free-port.ts';
import { type RabbitMqInstance, startRabbitMq } from '../support/rabbitmq.ts';
import { type RedisInstance, startRedis } from '../support/redis.ts';
import { readyz, until } from './support.ts';

const STACK = 'tetherlive';
const SERVICE = `${STACK}_tether`;

interface Stack {
  services: Record<string, { networks?: Record<string, unknown>; [key: string]: unknown }>;
  networks?: Record<string, unknown>;
  configs?: Record<string, unknown>;
}

describe('Swarm: a rolling update keeps two of three ready', () => {
  let rabbit: RabbitMqInstance;
  let redis: RedisInstance;
  let docker: ReturnType<typeof dockerCli>;
  let dir: string;
  let ports: number[];
  const clients: TestClient[] = [];

  beforeAll(async () => {
    [rabbit, redis] = await Promise.all([startRabbitMq({ name: 'swarm' }), startRedis({ name: 'swarm' })]);
    // three ports <prefix>1..3 that are free now
    let prefix = 0;
    for (let tries = 0; ; tries++) {
      prefix = 2000 + Math.floor(Math.random() * 4000);
      const wanted = [1, 2, 3].map((slot) => prefix * 10 + slot);
      const free = await Promise.all(wanted.map((p) => readyz(p).then((r) => r === undefined)));
      if (free.every(Boolean) || tries > 20) {
        ports = wanted;
        break;
      }
    }
    const env = { ...process.env, ...inject('dockerEnv'), TETHER_PORT_PREFIX: String(prefix), TETHER_DRAIN_MS: '2000', TETHER_REDIS_SENTINELS: '' };
    docker = dockerCli(env);
    dir = await mkdtemp(join(tmpdir(), 'tether-swarm-'));
    const listen = await freePort();
    await docker(['swarm', 'init', '--advertise-addr', '127.0.0.1', '--listen-addr', `127.0.0.1:${listen}`]);
    const secrets: Record<string, string> = {
      tether_jwt_secret: DEV_SECRET,
      tether_rabbitmq_url: rabbit.url,
      tether_redis_url: redis.url,
      tether_database_url: 'postgres://tether:tether@127.0.0.1:5432/tether',
    };
    for (const [name, value] of Object.entries(secrets)) await docker(['secret', 'create', name, '-'], { input: value });
    const merged = parse(await docker(['stack', 'config', '-c', 'deploy/swarm/stack.yaml', '-c', 'deploy/swarm/stack.host.yaml'])) as Stack;
    delete merged.services.traefik;
    delete merged.configs;
    delete merged.networks!.backend;
    delete merged.services.tether!.networks!.backend;
    await writeFile(join(dir, 'stack.yaml'), stringify(merged));
    await docker(['stack', 'deploy', '--detach=true', '-c', join(dir, 'stack.yaml'), STACK]);
    await until('three ready tasks', async () => ((await Promise.all(ports.map(readyz))).every((r) => r?.ready) ? true : undefined), 120_000);
  }, 240_000);
  afterAll(async () => {
    await Promise.allSettled(clients.map((c) => c.close()));
    await docker?.(['stack', 'rm', STACK]).catch(() => {});
    await docker?.(['swarm', 'leave', '--force']).catch(() => {});
    await Promise.allSettled([rabbit?.stop(), redis?.stop()]);
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 120_000);

  it('replaces every task, drains each with 1012, and never has fewer than two ready', async ({ annotate }) => {
    const before = (await docker(['service', 'ps', SERVICE, '--filter', 'desired-state=running', '-q'])).trim().split('\n');
    expect(before).toHaveLength(3);
    for (const [i, port] of ports.entries()) {
      const token = await mintToken({ sub: `user${i}` }, { secret: DEV_SECRET, issuer: DEV_ISSUER });
      clients.push(await TestClient.connect(`ws://127.0.0.1:${port}/ws`, token));
    }

    let sampling = true;
    const samples: number[] = [];
    const sampler = (async () => {
      while (sampling) {
        const states = await Promise.all(ports.map(readyz));
        samples.push(states.filter((s) => s?.ready).length);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();

    const started = performance.now();
    await docker(['service', 'update', '--detach=true', '--env-add', 'ROLLED=1', SERVICE]);
    await until(
      'the rolling update to complete',
      async () => {
        const status = (await docker(['service', 'inspect', SERVICE, '--format', '{{if .UpdateStatus}}{{.UpdateStatus.State}}{{end}}'])).trim();
        if (status === 'rollback_started' || status === 'paused') throw new Error(`update ${status}`);
        return status === 'completed' ? true : undefined;
      },
      170_000,
      500,
    );
    await until('all three ready again', async () => ((await Promise.all(ports.map(readyz))).every((r) => r?.ready) ? true : undefined), 60_000);
    sampling = false;
    await sampler;
    const updateMs = performance.now() - started;

    const after = (await docker(['service', 'ps', SERVICE, '--filter', 'desired-state=running', '-q'])).trim().split('\n');
    expect(after).toHaveLength(3);
    expect(after.filter((id) => before.includes(id))).toEqual([]);
    for (const client of clients) expect(await client.closed).toEqual({ code: 1012, reason: 'server restarting; reconnect' });
    expect(samples.length).toBeGreaterThan(20);
    expect(Math.min(...samples)).toBeGreaterThanOrEqual(2);
    expect(samples).toContain(2);
    await annotate(`swarm rolling update of 3 tasks: ${(updateMs / 1000).toFixed(1)} s, ${samples.length} readiness samples, min ready ${Math.min(...samples)}`);
  }, 200_000);
});
