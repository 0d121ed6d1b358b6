/**
 * Runs tasks one after another in submission order. A session uses it so that its requests
 * take effect in the order sent: each task runs only after the previous one has settled.
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task, task);
    this.tail = result.catch(() => {});
    return result;
  }
}
