import { afterEach, describe, expect, it } from 'vitest';
import { type Cluster, startCluster } from './support/cluster.ts';
import { attemptUpgrade } from './support/http.ts';

describe('graceful drain', () => {
  let cluster: Cluster;
  afterEach(() => cluster.stop());

  it('turns readiness off, refuses new sockets and closes clients with 1012, spread over the window', async () => {
    cluster = await startCluster(1);
    const clients = await Promise.all([1, 2, 3, 4].map((i) => cluster.connect(0, { sub: `u${i}` })));
    const readyBefore = await fetch(`${cluster.http()}/readyz`);
    expect(readyBefore.status).toBe(200);

    const started = Date.now();
    const token = await cluster.token({ sub: 'late' });
    const node = cluster.nodes[0]!;
    const draining = node.shutdown(1200);
    const readyDuring = await fetch(`${cluster.http()}/readyz`);
    expect(readyDuring.status).toBe(503);
    expect(await readyDuring.json()).toMatchObject({ ready: false, draining: true });
    expect((await attemptUpgrade(`${cluster.url()}?token=${token}`)).status).toBe(503);

    const closes = await Promise.all(clients.map((c) => c.closed.then((close) => ({ ...close, at: Date.now() - started }))));
    for (const close of closes) expect(close).toMatchObject({ code: 1012, reason: 'server restarting; reconnect' });
    const times = closes.map((c) => c.at).sort((a, b) => a - b);
    // scheduled 0, 300, 600 and 900 ms in: spread, not all at once (margin for a loaded machine)
    expect(times[3]! - times[0]!).toBeGreaterThanOrEqual(500);
    await draining;
  });
});
