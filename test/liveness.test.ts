import { afterEach, describe, expect, it } from 'vitest';
import { TestClient } from './support/client.ts';
import { type Cluster, startCluster } from './support/cluster.ts';

describe('heartbeat and slow consumers', () => {
  let cluster: Cluster;
  afterEach(() => cluster.stop());

  it('drops a peer that stops answering pings', async () => {
    cluster = await startCluster(1, { config: { HEARTBEAT_MS: 100 } });
    const silent = await TestClient.connect(cluster.url(), await cluster.token({ sub: 'mute' }), { autoPong: false });
    const healthy = await cluster.connect(0, { sub: 'fine' });
    expect((await silent.closed).code).toBe(1006);
    await healthy.ok({ type: 'ping' });
    expect(healthy.ws.readyState).toBe(healthy.ws.OPEN);
  });

  it('closes a connection that reads too slowly with 4001 instead of buffering without bound', async () => {
    cluster = await startCluster(1, { config: { MAX_BUFFERED_BYTES: 64 * 1024, RATE_PER_SECOND: 10_000, RATE_BURST: 10_000 } });
    const slow = await cluster.connect(0, { sub: 'slow', role: 'patient', contacts: ['fast'] });
    const fast = await cluster.connect(0, { sub: 'fast', contacts: ['slow'] });
    slow.ws.pause();
    const sdp = 'a'.repeat(50_000);
    const sent: Array<Promise<unknown>> = [];
    // enough to fill the kernel's socket buffers and then the node's send buffer
    for (let i = 0; i < 1_000 && slow.ws.readyState === slow.ws.OPEN; i++) {
      sent.push(fast.request({ type: 'signal', to: 'user:slow', callId: 'c', signal: { kind: 'offer', sdp } }));
      if (i % 50 === 49) await Promise.all(sent.splice(0));
      if (cluster.nodes[0]!.gateway.connections.size < 2) break;
    }
    slow.ws.resume();
    expect(await slow.closed).toMatchObject({ code: 4001 });
    await fast.ok({ type: 'ping' });
  });
});
