import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, generateKeyPair } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, configWith } from '../src/config.ts';
import { TetherNode } from '../src/node.ts';
import { TestClient } from './support/client.ts';
import { type Cluster, TEST_ISSUER, TEST_SECRET, startCluster } from './support/cluster.ts';
import { attemptUpgrade } from './support/http.ts';

const sign = (claims: Record<string, unknown>, { secret = TEST_SECRET, issuer = TEST_ISSUER, exp = '1h' as string | number } = {}) =>
  new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setSubject(String(claims.sub ?? 'alice')).setIssuer(issuer).setExpirationTime(exp).sign(new TextEncoder().encode(secret));

describe('auth before upgrade', () => {
  let cluster: Cluster;
  afterEach(() => cluster?.stop());

  it('refuses missing, forged, expired, wrong-issuer and malformed-claims tokens with 401 and no socket', async () => {
    cluster = await startCluster(1);
    const url = cluster.url();
    expect(await attemptUpgrade(url)).toEqual({ status: 401, body: { code: 'UNAUTHORIZED', message: 'missing bearer token' } });
    const refused = [
      await sign({ sub: 'alice' }, { secret: 'another-secret-another-secret-0123456789' }),
      await sign({ sub: 'alice' }, { exp: Math.floor(Date.now() / 1000) - 60 }),
      await sign({ sub: 'alice' }, { issuer: 'someone-else' }),
      await sign({ sub: 'bad id with spaces' }),
      'not-a-jwt',
    ];
    for (const token of refused) {
      const byQuery = await attemptUpgrade(`${url}?token=${encodeURIComponent(token)}`);
      expect(byQuery.status).toBe(401);
      expect(JSON.stringify(byQuery.body)).not.toContain(token);
      expect((await attemptUpgrade(url, { authorization: `Bearer ${token}` })).status).toBe(401);
    }
    const good = await sign({ sub: 'alice' });
    expect((await attemptUpgrade(url, { authorization: `Bearer ${good}` })).status).toBe(101);
    expect((await attemptUpgrade(`${url}?token=${good}`)).status).toBe(101);
  });

  it('refuses Origins outside the allow-list with 403, and unknown paths with 404', async () => {
    cluster = await startCluster(1, { config: { ALLOWED_ORIGINS: 'https://app.example' } });
    const token = await sign({ sub: 'alice' });
    const url = `${cluster.url()}?token=${token}`;
    expect((await attemptUpgrade(url, { origin: 'https://evil.example' })).status).toBe(403);
    expect((await attemptUpgrade(url, { origin: 'https://app.example' })).status).toBe(101);
    expect((await attemptUpgrade(url.replace('/ws', '/other'))).status).toBe(404);
  });

  it('caps connections per user with 429', async () => {
    cluster = await startCluster(1, { config: { MAX_CONNECTIONS_PER_USER: 2 } });
    await cluster.connect(0, { sub: 'alice' });
    await cluster.connect(0, { sub: 'alice' });
    expect((await attemptUpgrade(`${cluster.url()}?token=${await cluster.token({ sub: 'alice' })}`)).status).toBe(429);
    await cluster.connect(0, { sub: 'bob' });
  });

  it('closes the connection with 4003 when the token expires', async () => {
    cluster = await startCluster(1, { config: { JWT_CLOCK_TOLERANCE_S: 0 } });
    const token = await sign({ sub: 'alice' }, { exp: Math.floor(Date.now() / 1000) + 2 });
    const client = await TestClient.connect(cluster.url(), token);
    expect(await client.closed).toEqual({ code: 4003, reason: 'token expired' });
  });

  it('mints dev tokens only in development without a configured key', async () => {
    const dev = new TetherNode(configWith({ NODE_ENV: 'development', PORT: 0, HOST: '127.0.0.1', LOG_LEVEL: 'silent' }));
    await dev.start();
    try {
      const res = await fetch(`http://127.0.0.1:${dev.port}/dev/token?sub=alice&role=caregiver&patients=pat`);
      const { token } = (await res.json()) as { token: string };
      const client = await TestClient.connect(`ws://127.0.0.1:${dev.port}/ws`, token);
      expect(client.welcome.user).toEqual({ id: 'alice', role: 'caregiver' });
      await client.close();
    } finally {
      await dev.shutdown(0);
    }
    cluster = await startCluster(1);
    expect((await fetch(`${cluster.http()}/dev/token?sub=alice`)).status).toBe(404);
  });

  it('answers 503 AUTH_UNAVAILABLE, not 401, when the JWKS endpoint cannot be reached', async () => {
    cluster = await startCluster(1, { config: { JWT_SECRET: '', JWT_JWKS_URL: 'http://127.0.0.1:9/jwks.json' } });
    const { privateKey } = await generateKeyPair('ES256');
    const token = await new SignJWT({}).setProtectedHeader({ alg: 'ES256' }).setSubject('alice').setIssuer(TEST_ISSUER).setExpirationTime('1h').sign(privateKey);
    expect(await attemptUpgrade(`${cluster.url()}?token=${token}`)).toEqual({
      status: 503,
      body: { code: 'AUTH_UNAVAILABLE', message: 'token keys unavailable; retry later' },
    });
  });

  it('answers 503 AUTH_UNAVAILABLE when the JWKS endpoint answers an error status, so clients retry', async () => {
    const jwks = createServer((_req, res) => res.writeHead(500).end('upstream broken')).listen(0, '127.0.0.1');
    await once(jwks, 'listening');
    try {
      const { port } = jwks.address() as AddressInfo;
      cluster = await startCluster(1, { config: { JWT_SECRET: '', JWT_JWKS_URL: `http://127.0.0.1:${port}/jwks.json` } });
      const { privateKey } = await generateKeyPair('ES256');
      const token = await new SignJWT({}).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).setSubject('alice').setIssuer(TEST_ISSUER).setExpirationTime('1h').sign(privateKey);
      expect(await attemptUpgrade(`${cluster.url()}?token=${token}`)).toEqual({
        status: 503,
        body: { code: 'AUTH_UNAVAILABLE', message: 'token keys unavailable; retry later' },
      });
    } finally {
      jwks.close();
    }
  });

  it('allows JWT_CLOCK_TOLERANCE_S of skew on exp, and refuses a token expired beyond it with TOKEN_EXPIRED, so a client fetches a fresh one', async () => {
    cluster = await startCluster(1, { config: { JWT_CLOCK_TOLERANCE_S: 30 } });
    const now = Math.floor(Date.now() / 1000);
    const skewed = await TestClient.connect(cluster.url(), await sign({ sub: 'alice' }, { exp: now - 10 }));
    expect(skewed.welcome.user.id).toBe('alice');
    const expired = await sign({ sub: 'alice' }, { exp: now - 40 });
    expect(await attemptUpgrade(`${cluster.url()}?token=${expired}`)).toEqual({
      status: 401,
      body: { code: 'TOKEN_EXPIRED', message: 'token expired; connect with a fresh one' },
    });
  });

  it('refuses to start in production without a key', () => {
    expect(() => configWith({ NODE_ENV: 'production' })).toThrow(ConfigError);
    expect(() => configWith({ NODE_ENV: 'production' })).toThrow(/JWT_SECRET: production needs JWT_SECRET or JWT_JWKS_URL/);
  });
});
