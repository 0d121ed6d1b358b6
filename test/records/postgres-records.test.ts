/**
 * PostgresRecords against its own private PostgreSQL (scripts/services/postgres.ts), so each test
 * sees a fresh database: the migration runner (order, once, concurrent starts, a failing
 * migration), and the adapter's state through a database that is down at start and one that
 * crashes under it. Waits on state events, never on sleeps.
 */
import { afterEach, describe, expect, it } from 'vitest';
import postgres from 'postgres';
import { type PostgresInstance, startPostgres } from '../../scripts/services/postgres.ts';
import { readMigrations } from '../../src/records/migrate.ts';
import { PostgresRecords } from '../../src/records/postgres.ts';
import { RecordsError, type RecordsState } from '../../src/records/records.ts';

const entry = (userId: string) => ({
  userId,
  callId: 'c1',
  peerId: 'pat',
  direction: 'outgoing' as const,
  media: 'audio' as const,
  kind: 'call' as const,
  startedAt: 1_790_000_000_000,
  answeredAt: null,
  endedAt: 1_790_000_030_000,
  reason: 'missed' as const,
  escalated: false,
});

function reaches(records: PostgresRecords, state: RecordsState): Promise<void> {
  if (records.state === state) return Promise.resolve();
  return new Promise((resolve) => records.onState((s) => s === state && resolve()));
}

describe('PostgresRecords', () => {
  let server: PostgresInstance | undefined;
  const opened: PostgresRecords[] = [];
  const open = (url: string, options: Partial<ConstructorParameters<typeof PostgresRecords>[0]> = {}) => {
    const records = new PostgresRecords({ url, poolSize: 2, retryMinMs: 50, ...options });
    opened.push(records);
    return records;
  };
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((r) => r.close()));
    await server?.stop();
    server = undefined;
  });

  it('applies every migration once, in order, recording each; a later start applies none', async () => {
    server = await startPostgres({ name: 'migrate' });
    const files = await readMigrations();
    expect(files.map((m) => m.version)).toEqual([...files.map((m) => m.version)].sort((x, y) => x - y));
    const first = open(server.url);
    await first.start();
    expect(first.state).toBe('up');
    const sql = postgres(server.url, { max: 1, onnotice: () => {} });
    try {
      const applied = await sql<Array<{ version: number; name: string }>>`select version, name from schema_migrations order by version`;
      expect(applied).toEqual(files.map(({ version, name }) => ({ version, name })));
      const second = open(server.url);
      await second.start();
      expect(await sql`select count(*)::int as n from schema_migrations`).toEqual([{ n: files.length }]);
      await second.calls.recordCalls([entry('carol')]);
      expect(await first.calls.listCalls('carol', { before: null, limit: 5 })).toEqual([entry('carol')]);
    } finally {
      await sql.end();
    }
  });

  it('lets nodes that start together apply each migration exactly once', async () => {
    server = await startPostgres({ name: 'migrate-race' });
    const nodes = [1, 2, 3, 4].map(() => open(server!.url));
    await Promise.all(nodes.map((n) => n.start()));
    expect(nodes.map((n) => n.state)).toEqual(['up', 'up', 'up', 'up']);
    const sql = postgres(server.url, { max: 1 });
    try {
      const rows = await sql<Array<{ version: number; n: number }>>`select version, count(*)::int as n from schema_migrations group by version`;
      expect(rows.every((r) => r.n === 1)).toBe(true);
      expect(rows.length).toBe((await readMigrations()).length);
    } finally {
      await sql.end();
    }
  });

  it('applies nothing of a batch whose migration fails, and stays unusable with RecordsError', async () => {
    server = await startPostgres({ name: 'migrate-fail' });
    const broken = [
      { version: 1, name: 'ok', sql: 'create table first_one (id int);' },
      { version: 2, name: 'broken', sql: 'create tabel oops;' },
    ];
    const records = open(server.url, { migrations: broken });
    await records.start();
    expect(records.state).toBe('down');
    await expect(records.calls.listCalls('carol', { before: null, limit: 1 })).rejects.toBeInstanceOf(RecordsError);
    const sql = postgres(server.url, { max: 1, onnotice: () => {} });
    try {
      expect(await sql`select to_regclass('first_one') as t, to_regclass('schema_migrations') as m`).toEqual([{ t: null, m: null }]);
    } finally {
      await sql.end();
    }
  });

  it('boots while the database is down, migrates once it is up, and follows a crash and a restart', async () => {
    server = await startPostgres({ name: 'outage' });
    await server.kill();
    const records = open(server.url, { connectTimeoutMs: 1_000 });
    await records.start();
    expect(records.state).toBe('down');
    await expect(records.calls.recordCalls([entry('carol')])).rejects.toBeInstanceOf(RecordsError);

    const up = reaches(records, 'up');
    await server.start();
    await up;
    await records.calls.recordCalls([entry('carol')]);

    await server.kill();
    await expect(records.calls.listCalls('carol', { before: null, limit: 5 })).rejects.toBeInstanceOf(RecordsError);
    expect(records.state).toBe('down');
    await server.start();
    expect(await records.calls.listCalls('carol', { before: null, limit: 5 })).toEqual([entry('carol')]);
    expect(records.state).toBe('up');
  });
});
