/* global __ENV */
// k6 fixture: a run that records no sample. k6 passes a Rate threshold with no samples and reads
// an empty Trend as 0; only a count threshold on a Counter notices that nothing happened.
import { Counter, Rate, Trend } from 'k6/metrics';

const done = new Counter('work_done');
new Rate('work_ok');
new Trend('work_time', true);

export const options = {
  thresholds: {
    work_ok: ['rate>0.99'],
    work_time: ['p(95)<100', 'avg<100', 'max<100'],
    ...(__ENV.EXPECT ? { work_done: [`count>=${__ENV.EXPECT}`] } : {}),
  },
};

export default function () {
  if (__ENV.DO_WORK) done.add(1);
}
