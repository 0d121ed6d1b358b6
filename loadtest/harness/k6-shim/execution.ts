/**
 * `k6/execution`: the parts the Tether scripts use, and `test.abort()` (exit code 108). k6
 * interrupts the runtime there, so a try/catch around it cannot stop the abort: here the run is
 * marked aborted before the error is thrown.
 */
import { TestAbort, Vu, currentVu } from './vu.ts';

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
      const why = reason === undefined ? 'test aborted' : `test aborted: ${reason}`;
      Vu.onAbort(why);
      throw new TestAbort(why);
    },
  },
};
export default execution;
