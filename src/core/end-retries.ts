import type { SessionEnd, Store } from '../store/store.ts';

interface Unended {
  sessionId: string;
  epoch: number | null;
  end: SessionEnd;
}

/**
 * Sessions whose end the Store could not take (it was unreachable): ended again, with what was
 * asked then, when the PresenceKeeper next finds the Store up, so their presence and roster
 * entries go at once instead of lapsing. Fenced as any end: one resumed elsewhere meanwhile is
 * left alone. Bounded by the sessions this node closed during one outage.
 */
export class EndRetries {
  private readonly waiting = new Map<string, Unended>();
  private readonly store: Store;

  constructor(store: Store) {
    this.store = store;
  }

  add(sessionId: string, epoch: number | null, end: SessionEnd): void {
    this.waiting.set(sessionId, { sessionId, epoch, end });
  }

  /** Tries every waiting end once; those the Store takes are forgotten. */
  async flush(): Promise<void> {
    const batch = [...this.waiting.values()];
    await Promise.all(
      batch.map(async ({ sessionId, epoch, end }) => {
        try {
          await this.store.endSession(sessionId, epoch, end);
          this.waiting.delete(sessionId);
        } catch {
          // still unreachable: the next flush tries again
        }
      }),
    );
  }
}
