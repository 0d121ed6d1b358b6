/**
 * EXPERIMENT, not used by `npm run bench`: preloaded into a node (`--import`) by
 * `profile.ts --experiment coalesce` to measure what batching socket writes would save. Every
 * `net.Socket` write corks the socket for the rest of the current tick, so the frames one tick
 * produces for one socket (publishes to RabbitMQ, commands to Redis, acks) leave in one `writev`
 * system call instead of one `write` each. A Tether change with the same effect would cork the
 * broker and Redis connections per tick (or use ioredis `enableAutoPipelining`).
 */
import { Socket } from 'node:net';

const write = Socket.prototype.write;
const corked = new WeakSet<Socket>();

Socket.prototype.write = function (this: Socket, ...args: Parameters<Socket['write']>): boolean {
  if (!corked.has(this)) {
    corked.add(this);
    this.cork();
    process.nextTick(() => {
      corked.delete(this);
      this.uncork();
    });
  }
  return write.apply(this, args);
} as Socket['write'];
