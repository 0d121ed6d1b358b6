import type { Sql } from 'postgres';
import { AlertView } from '../protocol/index.ts';
import type { AlertPage, AlertRecord, AlertTrail } from './alert-trail.ts';

type Run = <T>(op: string, query: (sql: Sql) => Promise<T>) => Promise<T>;

interface EventRow {
  event: AlertRecord['event'];
  at: Date;
  body: unknown;
}

/** The alert audit trail in PostgreSQL: tables `safety_alerts` and `safety_alert_events` (migrations/101_safety.sql). */
export class PostgresAlertTrail implements AlertTrail {
  private readonly transaction: Run;
  private readonly run: Run;

  constructor(run: Run, transaction: Run) {
    this.run = run;
    this.transaction = transaction;
  }

  async recordAlerts(events: readonly AlertRecord[]): Promise<void> {
    if (events.length === 0) return;
    await this.transaction('recordAlerts', async (tx) => {
      for (const { event, at, alert } of events) {
        await tx`
          insert into safety_alerts (alert_id, patient_id, raised_at, state, level, body)
          values (${alert.alertId}, ${alert.patientId}, ${new Date(alert.raisedAt)}, ${alert.state}, ${alert.level}, ${tx.json(alert as never)})
          on conflict (alert_id) do update set state = excluded.state, level = excluded.level, body = excluded.body
          where safety_alerts.state = 'open'
            and (excluded.state = 'acknowledged' or excluded.level > safety_alerts.level)`;
        await tx`
          insert into safety_alert_events (alert_id, event, level, at, body)
          values (${alert.alertId}, ${event}, ${alert.level}, ${new Date(at)}, ${tx.json(alert as never)})
          on conflict do nothing`;
      }
    });
  }

  async listAlerts(patientId: string, { before, limit }: AlertPage): Promise<AlertView[]> {
    const rows = await this.run(
      'listAlerts',
      (sql) => sql<Array<{ body: unknown }>>`
        select body from safety_alerts
        where patient_id = ${patientId}
          ${before ? sql`and (raised_at, alert_id) < (${new Date(before.raisedAt)}, ${before.alertId})` : sql``}
        order by raised_at desc, alert_id desc
        limit ${limit}`,
    );
    return rows.map((r) => AlertView.parse(r.body));
  }

  async alertEvents(alertId: string): Promise<AlertRecord[]> {
    const rows = await this.run(
      'alertEvents',
      (sql) => sql<EventRow[]>`
        select event, at, body from safety_alert_events where alert_id = ${alertId}
        order by at, case event when 'raised' then 0 when 'escalated' then 1 else 2 end, level`,
    );
    return rows.map((r) => ({ event: r.event, at: r.at.getTime(), alert: AlertView.parse(r.body) }));
  }

  async pruneAlerts(raisedBefore: number): Promise<number> {
    const result = await this.run('pruneAlerts', (sql) => sql`delete from safety_alerts where raised_at < ${new Date(raisedBefore)}`);
    return result.count;
  }
}
