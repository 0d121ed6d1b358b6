import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { configWith } from '../src/config.ts';
import { TetherNode } from '../src/node.ts';
import { TestClient } from './support/client.ts';
import { type Cluster, TEST_ISSUER, TEST_SECRET, startCluster } from './support/cluster.ts';
import { attemptUpgrade } from './support/http.ts';
import { mintToken } from '../src/auth/dev-tokens.ts';

describe('observability', () => {
  let cluster: Cluster | undefined;
  afterEach(() => cluster?.stop());

  it('exposes connections, frames, errors, latencies and bus state on /metrics', async () => {
    cluster = await startCluster(1);
    const carol = await cluster.connect(0, { sub: 'carol', role: 'caregiver', patients: ['pat'] });
    const pat = await cluster.connect(0, { sub: 'pat', role: 'patient' });
    await carol.ok({ type: 'subscribe', channel: 'location:pat' });
    await pat.ok({ type: 'location', position: { lat: 1, lng: 1, accuracy: 1, timestamp: 1 } });
    await carol.next('location');
    carol.sendRaw('nope');
    await carol.next('error');
    const text = await (await fetch(`${cluster.http()}/metrics`)).text();
    expect(text).toMatch(/^tether_connections 2$/m);
    expect(text).toMatch(/^tether_frames_in_total\{type="subscribe"\} 1$/m);
    expect(text).toMatch(/^tether_frames_out_total\{type="welcome"\} 2$/m);
    expect(text).toMatch(/^tether_errors_total\{code="BAD_JSON"\} 1$/m);
    expect(text).toMatch(/^tether_relay_latency_seconds_count\{type="location"\} 1$/m);
    expect(text).toMatch(/^tether_subscribe_ack_seconds_count\{kind="location"\} 1$/m);
    expect(text).toMatch(/^tether_bus_up 1$/m);
    expect(text).toMatch(/^tether_ready 1$/m);
  });

  it('logs JSON lines with session ids and never the token', async () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) });
    const node = new TetherNode(
      configWith({ NODE_ENV: 'development', PORT: 0, HOST: '127.0.0.1', JWT_SECRET: TEST_SECRET, JWT_ISSUER: TEST_ISSUER }),
      { logger: pino({ level: 'debug' }, sink) },
    );
    await node.start();
    try {
      const token = await mintToken({ sub: 'alice' }, { secret: TEST_SECRET, issuer: TEST_ISSUER });
      const client = await TestClient.connect(`ws://127.0.0.1:${node.port}/ws`, token);
      await client.close();
      const forged = `${token.slice(0, -4)}AAAA`;
      expect((await attemptUpgrade(`ws://127.0.0.1:${node.port}/ws?token=${forged}`)).status).toBe(401);
    } finally {
      await node.shutdown(0);
    }
    const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(records.find((r) => r.msg === 'connected')).toMatchObject({ userId: 'alice', sessionId: expect.any(String) });
    expect(lines.join('\n')).not.toMatch(/eyJ[\w-]+\.eyJ/);
  });
});
