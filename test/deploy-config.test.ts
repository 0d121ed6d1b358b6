/**
 * The settings deployments rely on: secrets read from files (`<NAME>_FILE`), a list of RabbitMQ
 * URLs tried in turn, and Redis Sentinel addresses. The failovers themselves are in
 * deploy-ha-rabbitmq.test.ts and deploy-ha-sentinel.test.ts.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { AmqpBus } from '../src/bus/amqp.ts';
import { ConfigError, loadConfig } from '../src/config.ts';
import { freePort } from './support/free-port.ts';

const SECRET = 'a-secret-of-more-than-thirty-two-characters';

describe('settings from files (<NAME>_FILE)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tether-config-'));
    await writeFile(join(dir, 'jwt'), `${SECRET}\n`);
    await writeFile(join(dir, 'amqp'), 'amqp://a:b@rmq-1:5672,amqp://a:b@rmq-2:5672');
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('reads a value from the named file, less one trailing newline', () => {
    const config = loadConfig({ JWT_SECRET_FILE: join(dir, 'jwt'), RABBITMQ_URL_FILE: join(dir, 'amqp') });
    expect(config.JWT_SECRET).toBe(SECRET);
    expect(config.RABBITMQ_URL).toBe('amqp://a:b@rmq-1:5672,amqp://a:b@rmq-2:5672');
  });

  it('refuses both a value and a file, and an unreadable file, naming the variables and never a value', () => {
    let error: unknown;
    try {
      loadConfig({ JWT_SECRET: SECRET, JWT_SECRET_FILE: join(dir, 'jwt'), REDIS_URL_FILE: join(dir, 'missing') });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toContain('JWT_SECRET: set both JWT_SECRET and JWT_SECRET_FILE');
    expect(message).toContain(`REDIS_URL_FILE: cannot read ${join(dir, 'missing')} (ENOENT)`);
    expect(message).not.toContain(SECRET);
  });
});

describe('Redis Sentinel settings', () => {
  it('takes host:port pairs and needs REDIS_URL for credentials and database', () => {
    const config = loadConfig({ NODE_ENV: 'development', REDIS_URL: 'redis://:pw@primary/2', REDIS_SENTINELS: 's1:26379, s2:26379' });
    expect(config.REDIS_SENTINELS).toEqual(['s1:26379', 's2:26379']);
    expect(config.REDIS_SENTINEL_MASTER).toBe('mymaster');
    expect(() => loadConfig({ NODE_ENV: 'development', REDIS_SENTINELS: 's1:26379' })).toThrow(/REDIS_URL: REDIS_SENTINELS needs REDIS_URL/);
    expect(() => loadConfig({ NODE_ENV: 'development', REDIS_URL: 'redis://x', REDIS_SENTINELS: 's1' })).toThrow(/REDIS_SENTINELS.*host:port/);
  });
});

describe('a list of RabbitMQ URLs', () => {
  it('starts on the next URL when the first does not answer', async () => {
    const dead = `amqp://guest:guest@127.0.0.1:${await freePort()}`;
    const bus = new AmqpBus({ url: [dead, inject('rabbitmqUrl')], nodeId: 'url-list', durableExchange: false, backoff: { baseMs: 10, capMs: 50 } });
    try {
      await bus.start();
      expect(bus.state).toBe('up');
    } finally {
      await bus.close();
    }
  });
});
