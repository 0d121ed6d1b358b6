import type { Welcome } from '../../src/protocol/index.ts';

/**
 * @internal Session resume, client side. Remembers the newest resume token (`welcome.resume`)
 * and the highest `seq` delivered to the app on the current session, so the next connection can
 * ask the server to resume: `resume=<token>&lastSeq=<seq>`. The server then replays, in order,
 * every frame numbered after `lastSeq` before live traffic.
 *
 * Contract:
 * - `accept(seq)` says `deliver` exactly once per seq and only in increasing order within a
 *   session: a frame with `seq <= lastSeq` is a `duplicate` (a replay overlapping what already
 *   arrived) and must not reach the app; one with `seq > lastSeq + 1` is a `gap`: frames were
 *   lost, and it must not reach the app either. The client then reconnects and resumes from
 *   `lastSeq`, and the server replays what is missing (or says it cannot: a new session).
 * - A welcome that does not report `resumed.ok` starts a new session: numbering restarts, so
 *   `lastSeq` goes back to 0.
 * - `forget()` (the app closed on purpose) drops the token: nothing resumes after it.
 */
export class ResumeState {
  private token: string | null = null;
  private seq = 0;

  /** Highest seq delivered on the current session (0 before the first). */
  get lastSeq(): number {
    return this.seq;
  }

  /** True when the next connection will ask to resume. */
  get resumable(): boolean {
    return this.token !== null;
  }

  /** A connection's welcome arrived; true when it resumed the previous session. */
  welcomed(welcome: Welcome): boolean {
    const resumed = welcome.resumed?.ok === true;
    if (!resumed) this.seq = 0;
    this.token = welcome.resume?.token ?? null;
    return resumed;
  }

  /** What to do with a frame numbered `seq`; records it when it is to be delivered. */
  accept(seq: number): 'deliver' | 'duplicate' | 'gap' {
    if (seq <= this.seq) return 'duplicate';
    if (seq > this.seq + 1) return 'gap';
    this.seq = seq;
    return 'deliver';
  }

  /** The query parameters that ask to resume (without a leading `&`), or null for a new session. */
  query(): string | null {
    if (this.token === null) return null;
    return `resume=${encodeURIComponent(this.token)}&lastSeq=${this.seq}`;
  }

  forget(): void {
    this.token = null;
    this.seq = 0;
  }
}
