import type { Sql } from 'postgres';
import { z } from 'zod';
import { ZoneInput, type ZoneView } from '../protocol/index.ts';
import { type DeleteZoneOutcome, type PutZoneOptions, type PutZoneOutcome, type SafeZones, type ZoneSet, sameZone } from './safe-zones.ts';

type Run = <T>(op: string, query: (sql: Sql) => Promise<T>) => Promise<T>;

interface Row {
  patient_id: string;
  zone_id: string;
  version: number;
  body: unknown;
  updated_by: string;
  updated_at: Date;
}

const Body = ZoneInput.omit({ zoneId: true });

/** Safe zones in PostgreSQL: tables `safe_zones` and `safe_zone_revisions` (migrations/101_safety.sql). */
export class PostgresSafeZones implements SafeZones {
  private readonly run: Run;
  private readonly transaction: Run;

  /** `run` issues a query, `transaction` runs one in a transaction; both map failures to RecordsError. */
  constructor(run: Run, transaction: Run) {
    this.run = run;
    this.transaction = transaction;
  }

  putZone(patientId: string, zone: ZoneInput, { ifVersion, maxZones, by, now }: PutZoneOptions): Promise<PutZoneOutcome> {
    return this.transaction('putZone', async (tx) => {
      // one writer per patient at a time: the count, the version check and the revision agree
      const rev = await lockRevision(tx, patientId);
      const [row] = await tx<Row[]>`select * from safe_zones where patient_id = ${patientId} and zone_id = ${zone.zoneId}`;
      const current = row ? fromRow(row) : null;
      if (current && sameZone(zone, current)) return { kind: 'unchanged', zone: current, rev };
      if (ifVersion !== undefined && (current?.version ?? 0) !== ifVersion) return { kind: 'conflict', current };
      if (!current) {
        const [counted] = await tx<Array<{ count: number }>>`select count(*)::int as count from safe_zones where patient_id = ${patientId}`;
        if (counted!.count >= maxZones) return { kind: 'limit' };
      }
      const { zoneId, ...body } = zone;
      const [saved] = await tx<Row[]>`
        insert into safe_zones (patient_id, zone_id, version, body, updated_by, updated_at)
        values (${patientId}, ${zoneId}, ${(current?.version ?? 0) + 1}, ${tx.json(body as never)}, ${by}, ${new Date(now)})
        on conflict (patient_id, zone_id) do update set
          version = excluded.version, body = excluded.body, updated_by = excluded.updated_by, updated_at = excluded.updated_at
        returning *`;
      return { kind: 'saved', zone: fromRow(saved!), rev: await bump(tx, patientId) };
    });
  }

  deleteZone(patientId: string, zoneId: string, ifVersion?: number): Promise<DeleteZoneOutcome> {
    return this.transaction('deleteZone', async (tx) => {
      await lockRevision(tx, patientId);
      const [row] = await tx<Row[]>`select * from safe_zones where patient_id = ${patientId} and zone_id = ${zoneId}`;
      if (!row) return { kind: 'not_found' };
      if (ifVersion !== undefined && row.version !== ifVersion) return { kind: 'conflict', current: fromRow(row) };
      await tx`delete from safe_zones where patient_id = ${patientId} and zone_id = ${zoneId}`;
      return { kind: 'deleted', rev: await bump(tx, patientId) };
    });
  }

  listZones(patientId: string): Promise<ZoneSet> {
    return this.run('listZones', async (sql) => {
      // the revision first: rows read after it are at least that new, so a copy kept under this
      // revision is never older than it says (a later, higher revision replaces it)
      const revs = await sql<Array<{ rev: string }>>`select rev from safe_zone_revisions where patient_id = ${patientId}`;
      const rows = await sql<Row[]>`select * from safe_zones where patient_id = ${patientId} order by zone_id`;
      return { rev: Number(revs[0]?.rev ?? 0), zones: rows.map(fromRow) };
    });
  }
}

/** Creates the patient's revision row if needed and locks it for this transaction; returns the revision. */
async function lockRevision(tx: Sql, patientId: string): Promise<number> {
  await tx`insert into safe_zone_revisions (patient_id, rev) values (${patientId}, 0) on conflict do nothing`;
  const [row] = await tx<Array<{ rev: string }>>`select rev from safe_zone_revisions where patient_id = ${patientId} for update`;
  return Number(row!.rev);
}

async function bump(tx: Sql, patientId: string): Promise<number> {
  const [row] = await tx<Array<{ rev: string }>>`update safe_zone_revisions set rev = rev + 1 where patient_id = ${patientId} returning rev`;
  return Number(row!.rev);
}

function fromRow(r: Row): ZoneView {
  const body = Body.extend({ alertOn: z.array(z.enum(['exit', 'enter'])) }).parse(r.body);
  return {
    zoneId: r.zone_id,
    patientId: r.patient_id,
    name: body.name,
    shape: body.shape,
    schedule: body.schedule,
    alertOn: body.alertOn,
    version: r.version,
    updatedAt: r.updated_at.getTime(),
    updatedBy: r.updated_by,
  };
}
