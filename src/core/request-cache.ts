import type { Ack, ErrorFrame } from '../protocol/index.ts';

export type Answer = Ack | ErrorFrame;

/**
 * Remembers the answer to each of a session's most recent `capacity` requests, so a retry with
 * the same id gets the first answer (or waits for it, if still pending) instead of acting twice.
 * The session forgets retryable errors, so their retries run again.
 */
export class RequestCache {
  private readonly answers = new Map<string, Promise<Answer>>();
  private readonly capacity: number;

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  get(id: string): Promise<Answer> | undefined {
    return this.answers.get(id);
  }

  /** Drops `id` if it still maps to `answer`. */
  forget(id: string, answer: Promise<Answer>): void {
    if (this.answers.get(id) === answer) this.answers.delete(id);
  }

  set(id: string, answer: Promise<Answer>): void {
    this.answers.set(id, answer);
    if (this.answers.size > this.capacity) {
      const oldest = this.answers.keys().next().value;
      if (oldest !== undefined) this.answers.delete(oldest);
    }
  }
}
