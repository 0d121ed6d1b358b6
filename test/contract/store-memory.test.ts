import { MemoryStore, MemoryStoreData } from '../../src/store/memory.ts';
import { describeStoreContract } from './store-contract.ts';

describeStoreContract('memory', async (options = {}) => {
  const data = new MemoryStoreData();
  const stores = [new MemoryStore({ ...options, data }), new MemoryStore({ ...options, data })];
  await Promise.all(stores.map((store) => store.start()));
  return { stores, close: async () => void (await Promise.all(stores.map((store) => store.close()))) };
});
