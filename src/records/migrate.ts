import { readdir, readFile } from 'node:fs/promises';
import type { Sql } from 'postgres';

/** The SQL files the schema is made of: `NNN_name.sql`, applied in order of NNN. */
export const MIGRATIONS_DIR = new URL('./migrations/', import.meta.url);

/** any constant: the advisory lock nodes starting together take, so one applies and the others wait */
const LOCK_KEY = 7_411_012;

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** The migrations in `dir`, in order; throws on a file name without a version or a repeated version. */
export async function readMigrations(dir: URL = MIGRATIONS_DIR): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.sql')).sort();
  const migrations: Migration[] = [];
  for (const file of files) {
    const match = /^(\d+)_([a-z0-9_]+)\.sql$/.exec(file);
    if (!match) throw new Error(`migration ${file}: name it NNN_what.sql`);
    const version = Number(match[1]);
    if (migrations.some((m) => m.version === version)) throw new Error(`migration ${file}: version ${version} is used twice`);
    migrations.push({ version, name: match[2]!, sql: await readFile(new URL(file, dir), 'utf8') });
  }
  return migrations.sort((a, b) => a.version - b.version);
}

/**
 * Brings the schema up to date: applies, in one transaction and in version order, every migration
 * not yet recorded in `schema_migrations`, and records each. Nodes starting together serialize on
 * an advisory lock, so each migration is applied once. Versions the database has and the code
 * does not (a newer node applied them during a rolling deploy) are left alone. Returns the versions
 * it applied.
 */
export async function migrate(sql: Sql, migrations: readonly Migration[]): Promise<number[]> {
  return sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(${LOCK_KEY})`;
    await tx`create table if not exists schema_migrations (
      version    integer     primary key,
      name       text        not null,
      applied_at timestamptz not null default now()
    )`;
    const done = new Set((await tx<Array<{ version: number }>>`select version from schema_migrations`).map((r) => r.version));
    const applied: number[] = [];
    for (const migration of migrations) {
      if (done.has(migration.version)) continue;
      await tx.unsafe(migration.sql).simple();
      await tx`insert into schema_migrations (version, name) values (${migration.version}, ${migration.name})`;
      applied.push(migration.version);
    }
    return applied;
  });
}
