/**
 * Baseline: what users would pick instead of Tether. A Socket.IO 4 server with the Redis
 * adapter (`@socket.io/redis-adapter`, classic pub/sub, node-redis clients), doing the same relay:
 * each client joins `user:<its id>` (sent as `auth.user`), and a `signal` event
 * `{ to, callId, signal }` is stamped with the sender and emitted to the room `to` on every
 * server, then acknowledged. No JWT check: Tether checks tokens only at connect, so the relay
 * path compares like with like. Started by the harness with PORT and REDIS_URL set.
 */
import { createServer } from 'node:http';
import { createAdapter } from '@socket.io/redis-adapter';
import { createClient } from 'redis';
import { Server } from 'socket.io';

interface Relayed {
  to: string;
  callId: string;
  signal: unknown;
}

const pub = createClient({ url: process.env.REDIS_URL });
const sub = pub.duplicate();
await Promise.all([pub.connect(), sub.connect()]);

const http = createServer();
const io = new Server(http, { transports: ['websocket'], perMessageDeflate: false, serveClient: false });
io.adapter(createAdapter(pub, sub, { key: `bench-sio-${process.env.BENCH_RUN ?? 'x'}` }));
io.on('connection', (socket) => {
  const user = String(socket.handshake.auth.user);
  void socket.join(`user:${user}`);
  socket.on('signal', (message: Relayed, ack?: (result: object) => void) => {
    io.to(message.to).emit('signal', { ...message, from: { userId: user, sessionId: socket.id }, ts: Date.now() });
    ack?.({});
  });
});
http.listen(Number(process.env.PORT), '127.0.0.1', () => process.send?.({ ready: true }));
process.on('SIGTERM', () => {
  void io.close();
  void Promise.allSettled([pub.quit(), sub.quit()]).then(() => process.exit(0));
});
process.on('disconnect', () => process.exit(0)); // the harness died: do not outlive it
