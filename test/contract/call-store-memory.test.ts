import { MemoryCallData, MemoryCallStore } from '../../src/calls/memory-call-store.ts';
import { describeCallStoreContract } from './call-store-contract.ts';

describeCallStoreContract('memory', async () => {
  const data = new MemoryCallData();
  const stores = [new MemoryCallStore(data), new MemoryCallStore(data)];
  return { stores, close: async () => void (await Promise.all(stores.map((s) => s.close()))) };
});
