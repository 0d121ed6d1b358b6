import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { RedisStore } from '../../src/store/redis.ts';
import { describeStoreContract } from './store-contract.ts';

// one namespace per run, so runs and files sharing the Redis never see each other's keys
const prefix = `test:${randomUUID()}:`;

describeStoreContract('redis', async () => {
  const url = inject('redisUrl');
  const stores = [new RedisStore({ url, prefix }), new RedisStore({ url, prefix })];
  await Promise.all(stores.map((store) => store.start()));
  return { stores, close: async () => void (await Promise.all(stores.map((store) => store.close()))) };
});
