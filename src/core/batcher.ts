/**
 * Gathers the items added during one turn of the event loop and hands them to `run` together,
 * with at most one `run` in flight: items added meanwhile wait and go in the next one. So a node
 * makes one Store round trip for everything its sessions asked in a turn, and under load the
 * batches grow instead of the round trips. `run` returns one result per item, in order; if it
 * rejects, every item of that batch rejects with its error.
 */
export class Batcher<I, O> {
  private next: Array<{ item: I; settle: PromiseWithResolvers<O> }> = [];
  private running = false;
  private scheduled = false;
  private readonly run: (items: I[]) => Promise<O[]>;

  constructor(run: (items: I[]) => Promise<O[]>) {
    this.run = run;
  }

  add(item: I): Promise<O> {
    const settle = Promise.withResolvers<O>();
    this.next.push({ item, settle });
    this.schedule();
    return settle.promise;
  }

  private schedule(): void {
    if (this.scheduled || this.running) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    if (this.running || this.next.length === 0) return;
    this.running = true;
    const batch = this.next;
    this.next = [];
    try {
      const results = await this.run(batch.map((b) => b.item));
      batch.forEach((b, i) => b.settle.resolve(results[i]!));
    } catch (error) {
      for (const b of batch) b.settle.reject(error);
    }
    this.running = false;
    if (this.next.length > 0) this.schedule();
  }
}
