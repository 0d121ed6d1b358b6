/* global __ENV */
// k6 fixture: send() on a socket that close() left CLOSING throws InvalidStateError. The VU's
// iteration ends with that error, k6 logs it and carries on: the run still exits 0 if its
// thresholds hold (here: nothing was sent after the close, and both VUs opened).
import { Counter } from 'k6/metrics';
import { WebSocket } from 'k6/websockets';

const opened = new Counter('opened');
const sentAfterClose = new Counter('sent_after_close');

export const options = {
  scenarios: { sockets: { executor: 'per-vu-iterations', vus: 2, iterations: 1, maxDuration: '10s' } },
  thresholds: { opened: ['count==2'], sent_after_close: ['count==0'] },
};

export default function () {
  const ws = new WebSocket(__ENV.WS_URL);
  ws.onopen = () => {
    opened.add(1);
    ws.close(4000);
    ws.send('after close');
    sentAfterClose.add(1);
  };
}
