import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { RedisCallStore } from '../../src/calls/redis-call-store.ts';
import { describeCallStoreContract } from './call-store-contract.ts';

describeCallStoreContract('redis', async () => {
  const prefix = `test-calls-${randomUUID().slice(0, 8)}:`;
  const stores = [new RedisCallStore({ url: inject('redisUrl'), prefix }), new RedisCallStore({ url: inject('redisUrl'), prefix })];
  await Promise.all(stores.map((s) => s.start()));
  return { stores, close: async () => void (await Promise.all(stores.map((s) => s.close()))) };
});
