import { MemorySafetyData, MemorySafetyStore } from '../../src/store/memory-safety.ts';
import { describeSafetyStoreContract } from './safety-store-contract.ts';

describeSafetyStoreContract('memory', async () => {
  const data = new MemorySafetyData();
  const stores: [MemorySafetyStore, MemorySafetyStore] = [new MemorySafetyStore(data), new MemorySafetyStore(data)];
  return { stores, close: async () => void (await Promise.all(stores.map((s) => s.close()))) };
});
