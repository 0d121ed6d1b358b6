import type { DirectMessage, DirectOutcome, Store } from '../store/store.ts';
import { Batcher } from './batcher.ts';

/**
 * This node's writes of direct messages to the Store (see src/store/direct-inbox.ts): keeping one
 * before it is published, batched node-wide; and withdrawing one whose publish failed before its
 * sender is told. Withdrawals in flight are tracked so that a catch-up after the bus returns
 * (whose outage is what failed those publishes) reads what is owed only once they have landed,
 * and never delivers a message whose sender is being told it failed.
 */
export class DirectWriter {
  private readonly batcher: Batcher<DirectMessage, DirectOutcome>;
  private readonly withdrawing = new Set<Promise<void>>();
  private readonly store: Store;

  constructor(store: Store, now: () => number) {
    this.store = store;
    this.batcher = new Batcher((batch) => store.appendDirect(batch, now()));
  }

  /**
   * Keeps `message`; `done` gets its outcome, or null when the Store could not be reached. `done`
   * is called synchronously in the order `keep` was called (node-wide), so messages published from
   * it are published in that order; it must not throw.
   */
  keep(message: DirectMessage, done: (outcome: DirectOutcome | null, error?: unknown) => void): void {
    this.batcher.then(message, done, (error) => done(null, error));
  }

  /** Resolves once withdrawn; rejects if the Store could not be reached. */
  withdraw(message: Pick<DirectMessage, 'userId' | 'senderSessionId' | 'requestId'>, offset: number): Promise<void> {
    const done = this.store.voidDirect(message, offset);
    const settled = done.then(
      () => this.withdrawing.delete(settled),
      () => this.withdrawing.delete(settled),
    ) as Promise<unknown> as Promise<void>;
    this.withdrawing.add(settled);
    return done;
  }

  /** Settles once every withdrawal issued so far has. */
  async settled(): Promise<void> {
    await Promise.all([...this.withdrawing]);
  }
}
