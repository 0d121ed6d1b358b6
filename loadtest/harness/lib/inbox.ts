/**
 * Buffers a LoadClient's frames so a scripted exchange (a call) can wait for the next frame that
 * matches, with a deadline: `next(match, ms)` resolves with it or with `null` when the deadline
 * passes, which the caller counts as a lost message.
 */
import type { ServerMessage } from '../../../src/protocol/index.ts';
import type { LoadClient } from './tether-client.ts';

export class Inbox {
  private readonly frames: ServerMessage[] = [];
  private readonly waiters: Array<{ match: (f: ServerMessage) => boolean; resolve: (f: ServerMessage | null) => void }> = [];

  constructor(client: LoadClient) {
    client.onFrame = (frame) => {
      const i = this.waiters.findIndex((w) => w.match(frame));
      if (i >= 0) this.waiters.splice(i, 1)[0]!.resolve(frame);
      else this.frames.push(frame);
    };
  }

  next(match: (f: ServerMessage) => boolean, timeoutMs: number): Promise<ServerMessage | null> {
    const i = this.frames.findIndex(match);
    if (i >= 0) return Promise.resolve(this.frames.splice(i, 1)[0]!);
    return new Promise((resolve) => {
      const waiter = {
        match,
        resolve: (f: ServerMessage | null) => {
          clearTimeout(timer);
          resolve(f);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        resolve(null);
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }
}
