import type { Logger } from 'pino';
import postgres, { type Sql } from 'postgres';
import { type Migration, migrate, readMigrations } from './migrate.ts';
import { PostgresCallHistory } from './postgres-calls.ts';
import { type Records, RecordsError, type RecordsState } from './records.ts';

export interface PostgresRecordsOptions {
  /** `postgres://user:password@host:port/database` (libpq URL; `?sslmode=require` and the like work) */
  url: string;
  /** connections in the pool; default 10 */
  poolSize?: number;
  /** ms allowed to open a connection before a query fails; default 2 000 */
  connectTimeoutMs?: number;
  /** migrations to apply at start; default the files in src/records/migrations */
  migrations?: readonly Migration[];
  logger?: Pick<Logger, 'info' | 'warn'>;
  /** ms before the first retry after a failed start or a lost database; doubles up to 10 s; default 500 */
  retryMinMs?: number;
}

/**
 * Records in PostgreSQL, shared by every node. `start()` connects and applies the migrations
 * (src/records/migrations, recorded in `schema_migrations`; see migrate.ts); if the database is
 * down it resolves anyway with state `down` and keeps trying with backoff. Until the schema is in
 * place every call rejects with RecordsError at once. After that a query is always tried (the
 * driver reconnects by itself), a failure rejects with RecordsError and turns the state `down`,
 * and the next query that works turns it `up`. Nothing is queued or retried here: callers decide
 * (the call service keeps history writes for a while, src/calls/history-writer.ts).
 */
export class PostgresRecords implements Records {
  state: RecordsState = 'connecting';
  readonly calls: PostgresCallHistory;
  private readonly sql: Sql;
  private readonly options: PostgresRecordsOptions;
  private readonly listeners: Array<(state: RecordsState) => void> = [];
  private migrated = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private attempts = 0;

  constructor(options: PostgresRecordsOptions) {
    this.options = options;
    this.sql = postgres(options.url, {
      max: options.poolSize ?? 10,
      connect_timeout: Math.max(1, Math.ceil((options.connectTimeoutMs ?? 2_000) / 1000)),
      idle_timeout: 60,
      onnotice: () => {},
      connection: { application_name: 'tether' },
    });
    const run = <T>(op: string, query: (sql: Sql) => Promise<T>): Promise<T> => this.run(op, query);
    this.calls = new PostgresCallHistory(run);
  }

  async start(): Promise<void> {
    if (this.state !== 'connecting') return;
    await this.attemptStart();
  }

  onState(listener: (state: RecordsState) => void): void {
    this.listeners.push(listener);
  }

  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.setState('closed');
    clearTimeout(this.retryTimer);
    await this.sql.end({ timeout: 2 });
  }

  private async attemptStart(): Promise<void> {
    try {
      const applied = await migrate(this.sql, this.options.migrations ?? (await readMigrations()));
      this.migrated = true;
      this.attempts = 0;
      if (applied.length > 0) this.options.logger?.info({ applied }, 'records schema migrated');
      this.setState('up');
    } catch (error) {
      if (this.closed) return;
      this.options.logger?.warn({ err: describe(error) }, 'records database unavailable at start; retrying');
      this.setState('down');
      this.retryLater(() => void this.attemptStart());
    }
  }

  /** read through a getter: a close can happen during any await */
  private get closed(): boolean {
    return this.state === 'closed';
  }

  private async run<T>(op: string, query: (sql: Sql) => Promise<T>): Promise<T> {
    if (this.state === 'closed' || !this.migrated) throw new RecordsError(`${op}: records database is ${this.state}`);
    try {
      const result = await query(this.sql);
      this.setState('up');
      return result;
    } catch (error) {
      if (!this.closed && isConnectionError(error)) this.setState('down');
      throw new RecordsError(`${op} failed: ${describe(error)}`, { cause: error });
    }
  }

  private retryLater(retry: () => void): void {
    if (this.retryTimer || this.state === 'closed') return;
    const ceiling = Math.min(10_000, (this.options.retryMinMs ?? 500) * 2 ** this.attempts++);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      retry();
    }, Math.round(ceiling / 2 + (Math.random() * ceiling) / 2));
    this.retryTimer.unref();
  }

  private setState(state: RecordsState): void {
    if (this.state === state || this.state === 'closed') return;
    const was = this.state;
    this.state = state;
    if (state === 'down' && was === 'up') this.options.logger?.warn('records database down');
    if (state === 'up' && was === 'down') this.options.logger?.info('records database up');
    for (const listener of this.listeners) listener(state);
  }
}

/** The driver's own codes for a connection it could not open or lost (no server error code). */
function isConnectionError(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'string' && (code.startsWith('CONNECT') || code.startsWith('E') || code === '57P01' || code === '57P03');
}

/** An error's message only: a driver error can carry the connection options, never logged. */
function describe(error: unknown): string {
  return error instanceof Error ? `${error.message}${(error as { code?: string }).code ? ` (${(error as { code?: string }).code})` : ''}` : String(error);
}
