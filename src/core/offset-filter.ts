/** How many recent direct-message offsets a session remembers to drop copies it already has. */
export const REMEMBERED_OFFSETS = 256;

/**
 * The offsets of the direct messages a session was delivered, newest `REMEMBERED_OFFSETS`. A
 * direct message can reach a session twice: live and from its pending messages (after a resume, on
 * opening, after the bus came back), or when its sender retries across a resume. Offsets increase
 * per user, and a Store record keeps at most as many pending messages, so the newest ones are the
 * ones that can come again.
 */
export class OffsetFilter {
  private readonly seen = new Set<number>();

  /** True the first time `offset` is offered, false for a copy; remembers it. */
  admit(offset: number): boolean {
    if (this.seen.has(offset)) return false;
    this.seen.add(offset);
    if (this.seen.size > REMEMBERED_OFFSETS) this.seen.delete(this.seen.values().next().value!);
    return true;
  }
}
