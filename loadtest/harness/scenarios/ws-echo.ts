/**
 * Baseline (ceiling): a plain `ws` echo server on one process (servers/ws-echo-server.ts). The
 * same frames at the same offered rates over `lanes` connections; a message is delivered when its
 * echo comes back. One hop out and back through one node, no broker: what the WebSocket layer
 * alone costs on this machine.
 */
import WebSocket from 'ws';
import { forkServer } from '../lib/infra.ts';
import { Recorder, type RunningSystem } from '../lib/open-loop.ts';
import { signalFrame } from '../lib/payload.ts';

export async function startWsEcho(lanes: number): Promise<RunningSystem> {
  const server = await forkServer('ws-echo-server.ts');
  const probe = new Recorder();
  const sockets: WebSocket[] = [];
  try {
    for (let i = 0; i < lanes; i++) {
      const ws = new WebSocket(`ws://127.0.0.1:${server.port}`, { perMessageDeflate: false });
      sockets.push(ws);
      ws.on('message', (data) => probe.delivered(Number((JSON.parse(String(data)) as { callId: string }).callId)));
      await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    }
  } catch (error) {
    for (const ws of sockets) ws.terminate();
    await server.stop();
    throw error;
  }
  return {
    name: 'ws echo',
    target: { lanes, send: (lane, seq) => sockets[lane]!.send(signalFrame(seq, 'echo')), close: async () => {} },
    probe,
    stop: async () => {
      for (const ws of sockets) ws.terminate();
      await server.stop();
    },
  };
}
