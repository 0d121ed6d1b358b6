import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { RedisStore } from '../../src/store/redis.ts';
import { describeStoreContract } from './store-contract.ts';

describeStoreContract('redis', async (options = {}) => {
  const url = inject('redisUrl');
  // a namespace per cluster, as the memory factory makes fresh data: runs, files and tests
  // sharing the Redis never see each other's keys
  const prefix = `test:${randomUUID()}:`;
  const stores = [new RedisStore({ ...options, url, prefix }), new RedisStore({ ...options, url, prefix })];
  await Promise.all(stores.map((store) => store.start()));
  return { stores, close: async () => void (await Promise.all(stores.map((store) => store.close()))) };
});
