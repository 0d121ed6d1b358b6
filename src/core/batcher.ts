import { atEndOfTurn } from './next-turn.ts';

/**
 * Gathers the items added during one turn of the event loop and hands them to `run` together at
 * its end (with the node's other batches: next-turn.ts), with at most one `run` in flight: items
 * added meanwhile wait and go in the next one. So a node makes one Store round trip for everything
 * its sessions asked in a turn, and under load the batches grow instead of the round trips. `run` returns one result per item, in order; if it
 * rejects, every item of that batch rejects with its error.
 *
 * Items settle in the order they were added, batch after batch: `then` callbacks are called
 * synchronously, one after another, so a caller that acts on its result (a publish) acts in the
 * order it added.
 */
export class Batcher<I, O> {
  private next: Array<Entry<I, O>> = [];
  private running = false;
  private scheduled = false;
  private readonly run: (items: I[]) => Promise<O[]>;

  constructor(run: (items: I[]) => Promise<O[]>) {
    this.run = run;
  }

  add(item: I): Promise<O> {
    const { promise, resolve, reject } = Promise.withResolvers<O>();
    this.then(item, resolve, reject);
    return promise;
  }

  /** As `add`, with callbacks called in item order when its batch settles; they must not throw. */
  then(item: I, done: (result: O) => void, failed: (error: unknown) => void): void {
    this.next.push({ item, done, failed });
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled || this.running) return;
    this.scheduled = true;
    atEndOfTurn(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    if (this.running || this.next.length === 0) return;
    this.running = true;
    const batch = this.next;
    this.next = [];
    let results: O[] | undefined;
    let error: unknown;
    try {
      results = await this.run(batch.map((b) => b.item));
    } catch (failure) {
      error = failure;
    }
    if (results) batch.forEach((b, i) => b.done(results[i]!));
    else for (const b of batch) b.failed(error);
    this.running = false;
    if (this.next.length > 0) this.schedule();
  }
}

interface Entry<I, O> {
  item: I;
  done(result: O): void;
  failed(error: unknown): void;
}
