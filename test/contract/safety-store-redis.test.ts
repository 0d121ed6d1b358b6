import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { RedisSafetyStore } from '../../src/store/redis-safety.ts';
import { describeSafetyStoreContract } from './safety-store-contract.ts';

describeSafetyStoreContract('redis', async () => {
  const prefix = `test-safety-${randomUUID().slice(0, 8)}:`;
  const stores: [RedisSafetyStore, RedisSafetyStore] = [new RedisSafetyStore({ url: inject('redisUrl'), prefix }), new RedisSafetyStore({ url: inject('redisUrl'), prefix })];
  await Promise.all(stores.map((s) => s.start()));
  return { stores, close: async () => void (await Promise.all(stores.map((s) => s.close()))) };
});
