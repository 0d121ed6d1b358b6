import type { SafetyService } from './safety-service.ts';

/** Patients and announcements claimed per tick; the rest wait for the next tick (of any node). */
const BATCH = 200;
const HOUR_MS = 3_600_000;

/**
 * What makes the safety rules run with nothing arriving: every `tickMs` each node claims the
 * patients whose due time passed (silent, stationary, dwell, a schedule starting, an escalation,
 * fast reporting ending) and applies the time to them, and claims announcements whose committing
 * node did not mark them done within the lease (it died, or the bus or database failed). A claim
 * goes to one node; one that dies holding it loses it after the lease. Also refreshes the
 * open-alert gauge and, hourly, prunes the audit trail past its retention. Failures are logged;
 * the next tick tries again.
 */
export class SafetyTicker {
  private readonly service: SafetyService;
  private readonly tickMs: number;
  private readonly retentionMs: number;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | null = null;
  private prunedAt = 0;

  constructor(service: SafetyService, options: { tickMs: number; retentionMs: number }) {
    this.service = service;
    this.tickMs = options.tickMs;
    this.retentionMs = options.retentionMs;
  }

  start(): void {
    this.timer = setInterval(() => void this.tick(), this.tickMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** One pass; overlapping calls share the pass in progress. */
  tick(): Promise<void> {
    this.running ??= this.pass().finally(() => (this.running = null));
    return this.running;
  }

  private async pass(): Promise<void> {
    const { d } = this.service;
    const now = d.now();
    try {
      const due = await d.store.claimDue(now, BATCH, d.leaseMs);
      await Promise.all(
        due.map((patientId) =>
          this.service.apply(patientId, { kind: 'tick' }).catch((error: unknown) => d.logger.warn({ err: error, patientId }, 'due safety evaluation failed; retried after the lease')),
        ),
      );
      const items = await d.store.claimOutbox(now, BATCH, d.leaseMs);
      if (items.length > 0) await d.store.ackOutbox(await this.service.announcer.announce(items, true));
      d.metrics.openAlerts(await d.store.openAlerts());
    } catch (error) {
      d.logger.warn({ err: error }, 'safety tick failed; retrying next tick');
    }
    if (now - this.prunedAt >= HOUR_MS) {
      this.prunedAt = now;
      await d.records.alerts
        .pruneAlerts(now - this.retentionMs)
        .then((pruned) => pruned > 0 && d.logger.info({ pruned }, 'alerts past their retention pruned'))
        .catch((error: unknown) => d.logger.warn({ err: error }, 'alert retention sweep failed; retried in an hour'));
    }
  }
}
