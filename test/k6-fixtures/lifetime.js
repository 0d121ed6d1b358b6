// k6 fixture: an iteration lasts while it has a pending timer, even after its function returned.
import { Counter } from 'k6/metrics';
import { setTimeout } from 'k6/timers';

const late = new Counter('late');

export const options = { thresholds: { late: ['count==1'] } };

export default function () {
  setTimeout(() => late.add(1), 200);
}
