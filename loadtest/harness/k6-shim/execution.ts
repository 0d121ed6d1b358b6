/** `k6/execution`: the parts the Tether scripts use, and `test.abort()` (exit code 108). */
import { TestAbort, currentVu } from './vu.ts';

const execution = {
  get vu() {
    const vu = currentVu();
    return { idInTest: vu.id, idInInstance: vu.id, iterationInInstance: 0, iterationInScenario: 0, tags: {}, metrics: { tags: {}, metadata: {} } };
  },
  get scenario() {
    const vu = currentVu();
    return { name: vu.scenario, executor: 'per-vu-iterations', startTime: vu.startTime, progress: 0, iterationInInstance: vu.iterationInTest, iterationInTest: vu.iterationInTest };
  },
  test: {
    abort(reason?: string): never {
      throw new TestAbort(reason ?? 'test aborted');
    },
  },
};
export default execution;
