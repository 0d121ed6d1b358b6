/**
 * Baseline: a plain `ws` server that echoes every text frame back, on one process. The ceiling
 * for one node's WebSocket work (read, write, framing) with no parsing, routing or broker.
 * Started by the harness with PORT set; reports readiness over IPC.
 */
import { WebSocketServer } from 'ws';

const wss = new WebSocketServer({ host: '127.0.0.1', port: Number(process.env.PORT), perMessageDeflate: false });
wss.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })));
wss.on('listening', () => process.send?.({ ready: true }));
process.on('SIGTERM', () => wss.close(() => process.exit(0)));
process.on('disconnect', () => process.exit(0)); // the harness died: do not outlive it
