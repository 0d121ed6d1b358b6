/** `k6/execution`, the parts the Tether scripts read. */
import { vuContext } from './context.ts';

const execution = {
  get vu() {
    const c = vuContext();
    return { idInTest: c.vu, idInInstance: c.vu, iterationInInstance: 0, iterationInScenario: 0, tags: {}, metrics: { tags: {}, metadata: {} } };
  },
  get scenario() {
    const c = vuContext();
    return { name: c.scenario, executor: 'per-vu-iterations', startTime: c.startTime, progress: 0, iterationInInstance: c.iterationInTest, iterationInTest: c.iterationInTest };
  },
};
export default execution;
