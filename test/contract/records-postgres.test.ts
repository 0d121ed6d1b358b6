import { inject } from 'vitest';
import { PostgresRecords } from '../../src/records/postgres.ts';
import { describeCallHistoryContract } from './call-history-contract.ts';

describeCallHistoryContract('postgres', async () => {
  const url = inject('databaseUrl');
  const records = [new PostgresRecords({ url, poolSize: 2 }), new PostgresRecords({ url, poolSize: 2 })];
  await Promise.all(records.map((r) => r.start()));
  return { records, close: async () => void (await Promise.all(records.map((r) => r.close()))) };
});
