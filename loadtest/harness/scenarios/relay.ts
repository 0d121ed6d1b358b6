/**
 * Cross-node relay through Tether: `pairs` sender/receiver pairs on a 2-node cluster (routed),
 * each pair split across the nodes (half send node-0 -> node-1, half the other way), direct
 * `signal`s to the receiver's user channel at fixed offered rates (lib/open-loop.ts). The path:
 * client -> node -> RabbitMQ (publisher confirms, mandatory) -> other node -> client, plus the
 * sender's ack after the confirm and the receiver node's resume log write to Redis.
 */
import type { LocalCluster } from '../../../scripts/local-cluster.ts';
import { type Infra, startCluster } from '../lib/infra.ts';
import { type OpenLoopTarget, type Probe, Recorder, type RunningSystem } from '../lib/open-loop.ts';
import { signalFrame } from '../lib/payload.ts';
import { LoadClient } from '../lib/tether-client.ts';
import { devToken } from '../lib/tokens.ts';

export async function tetherRelayTarget(cluster: LocalCluster, pairs: number, probe: Probe): Promise<OpenLoopTarget> {
  const n = cluster.nodeUrls.length;
  const senders: LoadClient[] = [];
  const receivers: LoadClient[] = [];
  const run = Math.random().toString(36).slice(2, 7);
  await Promise.all(
    Array.from({ length: pairs }, async (_, i) => {
      const s = `rs-${run}-${i}`;
      const r = `rr-${run}-${i}`;
      const [sTok, rTok] = await Promise.all([
        devToken({ sub: s, role: 'caregiver', patients: [r] }),
        devToken({ sub: r, role: 'patient', contacts: [s] }),
      ]);
      receivers[i] = await LoadClient.connect(cluster.nodeUrls[(i + 1) % n]!, rTok);
      senders[i] = await LoadClient.connect(cluster.nodeUrls[i % n]!, sTok);
      receivers[i]!.onFrame = (f) => {
        if (f.type === 'signal') probe.delivered(Number(f.callId));
      };
      senders[i]!.onFrame = (f) => {
        if (f.type === 'error') probe.failed(f.code);
      };
    }),
  );
  const targets = receivers.map((c) => c.welcome.user.id);
  return {
    lanes: pairs,
    send: (lane, seq) => senders[lane]!.send(signalFrame(seq, targets[lane]!)),
    close: async () => {
      await Promise.all([...senders, ...receivers].map((c) => c.close()));
    },
  };
}

/** A 2-node routed cluster with `pairs` pairs on it; `env` is extra node environment. */
export async function startTetherRelay(infra: Infra, pairs: number, env: Record<string, string> = {}): Promise<RunningSystem> {
  const cluster = await startCluster(infra, 2, 'routed', env);
  try {
    const probe = new Recorder();
    const target = await tetherRelayTarget(cluster, pairs, probe);
    return {
      name: 'tether',
      target,
      probe,
      stop: async () => {
        await target.close();
        await cluster.stop();
      },
    };
  } catch (error) {
    await cluster.stop();
    throw error;
  }
}
