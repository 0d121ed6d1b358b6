/**
 * Baseline: the same cross-node relay on Socket.IO 4 + @socket.io/redis-adapter (see
 * servers/socketio-server.ts): two server processes on the benchmark's Redis, the same pairs
 * split across them, the same message object, the same offered rates; senders use acks as
 * Tether's do. Clients use the websocket transport only, so no sticky sessions are needed.
 */
import { type Socket, io } from 'socket.io-client';
import { type Infra, forkServer } from '../lib/infra.ts';
import { type OpenLoopTarget, type Probe, Recorder, type RunningSystem } from '../lib/open-loop.ts';
import { signalMessage } from '../lib/payload.ts';

/** `pairs` sender/receiver pairs over two servers at `ports`, each pair split across them. */
export async function socketIoRelayTarget(ports: number[], pairs: number, probe: Probe): Promise<OpenLoopTarget> {
  const sockets: Socket[] = [];
  const connect = (port: number, user: string): Promise<Socket> =>
    new Promise((resolve, reject) => {
      const socket = io(`http://127.0.0.1:${port}`, { transports: ['websocket'], auth: { user }, reconnection: false });
      sockets.push(socket);
      socket.once('connect', () => resolve(socket));
      socket.once('connect_error', reject);
    });
  const senders: Socket[] = [];
  for (let i = 0; i < pairs; i++) {
    const receiver = await connect(ports[(i + 1) % ports.length]!, `rr-${i}`);
    receiver.on('signal', (m: { callId: string }) => probe.delivered(Number(m.callId)));
    senders.push(await connect(ports[i % ports.length]!, `rs-${i}`));
  }
  const onAck = (): void => {};
  return {
    lanes: pairs,
    send: (lane, seq) => void senders[lane]!.emit('signal', signalMessage(seq, `rr-${lane}`), onAck),
    close: async () => {
      for (const socket of sockets) socket.disconnect();
    },
  };
}

/** Two Socket.IO servers on the benchmark's Redis with `pairs` pairs on them. */
export async function startSocketIoRelay(infra: Infra, pairs: number): Promise<RunningSystem> {
  const env = { REDIS_URL: infra.redisUrl, BENCH_RUN: Math.random().toString(36).slice(2, 7) };
  const servers = await Promise.all([forkServer('socketio-server.ts', env), forkServer('socketio-server.ts', env)]);
  const stopServers = async (): Promise<void> => void (await Promise.all(servers.map((s) => s.stop())));
  try {
    const probe = new Recorder();
    const target = await socketIoRelayTarget(
      servers.map((s) => s.port),
      pairs,
      probe,
    );
    return {
      name: 'socket.io',
      target,
      probe,
      stop: async () => {
        await target.close();
        await stopServers();
      },
    };
  } catch (error) {
    await stopServers();
    throw error;
  }
}
