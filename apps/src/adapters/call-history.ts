import type { TetherClient } from '@tether/client';
import type { CallController, EndedCall } from '../call/call-controller.ts';
import type { ServerClock } from '../connection.ts';
import type { CallHistorySource, CallRecord, Unsubscribe } from './care.ts';

/** calls read per page; the screens show the recent ones only */
const PAGE = 30;
/** ms after a call ended before the history is read again: the server writes it in the background */
const WRITE_SETTLE_MS = 1_500;
/** ms a just-ended call is shown from this device's own record while the server's history lacks it */
const PROVISIONAL_MS = 60_000;

/**
 * This user's call history (`client.callHistory()`, docs/protocol.md 15.8), read at start, after
 * every (re)connection, and again shortly after any call of this user ends (a `call` frame
 * `ended`, or a call of this device). The server writes history in the background, so a call
 * this device was in is shown at once from its own record, then replaced by the server's record
 * when a read has it.
 */
export class ServerCallHistory implements CallHistorySource {
  failed = false;
  private fetched: CallRecord[] = [];
  private provisional: Array<{ record: CallRecord; addedAt: number }> = [];
  private readonly listeners = new Set<(calls: readonly CallRecord[]) => void>();
  private readonly off: Array<() => void>;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private reading = 0;

  constructor(
    private readonly client: TetherClient,
    calls: CallController,
    private readonly clock: ServerClock,
  ) {
    this.off = [
      client.on('welcome', () => void this.read()),
      client.on('call', (frame) => frame.event === 'ended' && this.readSoon()),
      calls.onEnded((call) => this.ended(call)),
    ];
    if (client.state === 'open') void this.read();
  }

  watch(listener: (calls: readonly CallRecord[]) => void): Unsubscribe {
    this.listeners.add(listener);
    listener(this.list());
    return () => this.listeners.delete(listener);
  }

  stop(): void {
    clearTimeout(this.timer);
    this.off.forEach((off) => off());
  }

  private ended(call: EndedCall): void {
    if (call.peer !== '') {
      const endedAt = this.clock.now();
      const answeredAt = call.durationMs > 0 ? endedAt - call.durationMs : null;
      const record: CallRecord = { ...call, startedAt: answeredAt ?? endedAt, answeredAt, endedAt };
      this.provisional = [{ record, addedAt: Date.now() }, ...this.provisional.filter((p) => p.record.callId !== call.callId)].slice(0, PAGE);
      this.emit();
    }
    this.readSoon();
  }

  private readSoon(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.read(), WRITE_SETTLE_MS);
  }

  private async read(): Promise<void> {
    const mine = ++this.reading;
    try {
      const { calls } = await this.client.callHistory({ limit: PAGE });
      if (mine !== this.reading) return; // a later read answers
      this.fetched = calls.map(({ escalated: _escalated, media: _media, ...record }) => record);
      this.failed = false;
    } catch {
      if (mine !== this.reading) return;
      this.failed = true; // RECORDS_UNAVAILABLE, or offline: keep what is shown; the next end or connection reads again
    }
    this.emit();
  }

  private list(): CallRecord[] {
    const now = Date.now();
    const known = new Set(this.fetched.map((r) => r.callId));
    this.provisional = this.provisional.filter((p) => !known.has(p.record.callId) && now - p.addedAt < PROVISIONAL_MS);
    return [...this.provisional.map((p) => p.record), ...this.fetched].sort((a, b) => b.endedAt - a.endedAt).slice(0, PAGE);
  }

  private emit(): void {
    const calls = this.list();
    this.listeners.forEach((listener) => listener(calls));
  }
}
