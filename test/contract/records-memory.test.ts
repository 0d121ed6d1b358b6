import { MemoryRecords, MemoryRecordsData } from '../../src/records/memory.ts';
import { describeCallHistoryContract } from './call-history-contract.ts';

describeCallHistoryContract('memory', async () => {
  const data = new MemoryRecordsData();
  const records = [new MemoryRecords({ data }), new MemoryRecords({ data })];
  await Promise.all(records.map((r) => r.start()));
  return { records, close: async () => void (await Promise.all(records.map((r) => r.close()))) };
});
