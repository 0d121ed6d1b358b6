import { MemoryRecords, MemoryRecordsData } from '../../src/records/memory.ts';
import { describeCallHistoryContract } from './call-history-contract.ts';
// --- safety (issue 13)
import { describeSafetyRecordsContract } from './safety-records-contract.ts';

describeCallHistoryContract('memory', async () => {
  const data = new MemoryRecordsData();
  const records = [new MemoryRecords({ data }), new MemoryRecords({ data })];
  await Promise.all(records.map((r) => r.start()));
  return { records, close: async () => void (await Promise.all(records.map((r) => r.close()))) };
});

// --- safety (issue 13)
describeSafetyRecordsContract('memory', async () => {
  const data = new MemoryRecordsData();
  const records = [new MemoryRecords({ data }), new MemoryRecords({ data })];
  await Promise.all(records.map((r) => r.start()));
  return { records, close: async () => void (await Promise.all(records.map((r) => r.close()))) };
});
