import { MemoryBroker, MemoryBus } from '../../src/bus/memory.ts';
import { describeBusContract } from './bus-contract.ts';

describeBusContract('memory', { mandatoryKnowsSubscribers: true }, async () => {
  const broker = new MemoryBroker();
  const buses = [new MemoryBus(broker), new MemoryBus(broker), new MemoryBus(broker)];
  await Promise.all(buses.map((bus) => bus.start()));
  return { buses, close: async () => void (await Promise.all(buses.map((bus) => bus.close()))) };
});
