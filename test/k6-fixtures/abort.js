// k6 fixture: exec.test.abort() ends the run with exit code 108, even inside a try/catch (k6
// interrupts the runtime), and the summary is still written.
import exec from 'k6/execution';
import { Counter } from 'k6/metrics';

const before = new Counter('before_abort');

export const options = { thresholds: { before_abort: ['count==1'] } };

export default function () {
  before.add(1);
  try {
    exec.test.abort('enough');
  } catch {
    // k6 does not get here
  }
}
