/**
 * Runs tasks one after another in submission order. A session uses it so that its requests
 * take effect in the order sent: each task runs only after the previous one has settled.
 */
export class SerialQueue {
  /** the last task's settling; undefined once it has settled, so an idle queue holds no promise */
  private tail: Promise<unknown> | undefined;

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = (this.tail ?? Promise.resolve()).then(task, task);
    const settled = (): void => {
      if (this.tail === tail) this.tail = undefined;
    };
    const tail: Promise<unknown> = result.then(settled, settled);
    this.tail = tail;
    return result;
  }

  /** Settles once every task submitted so far has settled. */
  async idle(): Promise<void> {
    while (this.tail) await this.tail;
  }
}
