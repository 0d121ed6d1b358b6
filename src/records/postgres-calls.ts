import type { Sql } from 'postgres';
import type { CallEndReason, CallKind, CallMedia } from '../protocol/index.ts';
import type { CallHistory, CallHistoryEntry, CallHistoryPage } from './call-history.ts';

interface Row {
  user_id: string;
  call_id: string;
  peer_id: string;
  direction: 'incoming' | 'outgoing';
  media: CallMedia;
  kind: CallKind;
  started_at: Date;
  answered_at: Date | null;
  ended_at: Date;
  reason: CallEndReason;
  escalated: boolean;
}

/** Call history in PostgreSQL: table `call_history` (migrations/001_call_history.sql). */
export class PostgresCallHistory implements CallHistory {
  private readonly run: <T>(op: string, query: (sql: Sql) => Promise<T>) => Promise<T>;

  /** `run` issues a query and maps failures to RecordsError (see PostgresRecords). */
  constructor(run: <T>(op: string, query: (sql: Sql) => Promise<T>) => Promise<T>) {
    this.run = run;
  }

  async recordCalls(entries: readonly CallHistoryEntry[]): Promise<void> {
    if (entries.length === 0) return;
    // one row per (user, call): a batch that repeats one keeps its last (one INSERT may not touch a row twice)
    const latest = new Map(entries.map((e) => [`${e.userId}\n${e.callId}`, e]));
    const rows = [...latest.values()].map((e) => ({
      user_id: e.userId,
      call_id: e.callId,
      peer_id: e.peerId,
      direction: e.direction,
      media: e.media,
      kind: e.kind,
      started_at: new Date(e.startedAt),
      answered_at: e.answeredAt === null ? null : new Date(e.answeredAt),
      ended_at: new Date(e.endedAt),
      reason: e.reason,
      escalated: e.escalated,
    }));
    await this.run(
      'recordCalls',
      (sql) => sql`
        insert into call_history ${sql(rows)}
        on conflict (user_id, call_id) do update set
          peer_id = excluded.peer_id, direction = excluded.direction, media = excluded.media,
          kind = excluded.kind, started_at = excluded.started_at, answered_at = excluded.answered_at,
          ended_at = excluded.ended_at, reason = excluded.reason, escalated = excluded.escalated`,
    );
  }

  async listCalls(userId: string, { before, limit }: CallHistoryPage): Promise<CallHistoryEntry[]> {
    const rows = await this.run(
      'listCalls',
      (sql) => sql<Row[]>`
        select * from call_history
        where user_id = ${userId}
          ${before ? sql`and (started_at, call_id) < (${new Date(before.startedAt)}, ${before.callId})` : sql``}
        order by started_at desc, call_id desc
        limit ${limit}`,
    );
    return rows.map(fromRow);
  }

  async pruneCalls(endedBefore: number): Promise<number> {
    const result = await this.run('pruneCalls', (sql) => sql`delete from call_history where ended_at < ${new Date(endedBefore)}`);
    return result.count;
  }
}

function fromRow(r: Row): CallHistoryEntry {
  return {
    userId: r.user_id,
    callId: r.call_id,
    peerId: r.peer_id,
    direction: r.direction,
    media: r.media,
    kind: r.kind,
    startedAt: r.started_at.getTime(),
    answeredAt: r.answered_at === null ? null : r.answered_at.getTime(),
    endedAt: r.ended_at.getTime(),
    reason: r.reason,
    escalated: r.escalated,
  };
}
