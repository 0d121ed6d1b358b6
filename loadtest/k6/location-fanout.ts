/**
 * Tether location fan-out under load (k6, `k6/websockets`).
 *
 * PATIENTS patient VUs each publish a position every PERIOD_MS (1 Hz by default, a phone's usual
 * rate) for DURATION seconds; WATCHERS caregiver VUs watch each patient, placed on other nodes than
 * their patient when NODE_URLS is set. Caregivers connect and subscribe first; patients start
 * 5 s later. Open loop: patient p's positions are due on a fixed grid (every PERIOD_MS, offset by
 * p so the load is even), and each position's `timestamp` is its due time. So a watcher knows:
 *
 * - `location_latency`: arrival minus due time, ms (one clock: patients and watchers run in the
 *   same k6 process; across several k6 machines their clocks must agree)
 * - `location_lost`: grid slots skipped between two positions a watcher received
 * - `location_received` / `location_published`: a complete run has received = WATCHERS x published
 * - `location_errors`: publishes answered with an error (or not at all)
 *
 * Run against the local cluster (`npm run cluster` prints the node URLs):
 *
 *   k6 run -e NODE_URLS=ws://127.0.0.1:PORT0/ws,ws://127.0.0.1:PORT1/ws,ws://127.0.0.1:PORT2/ws loadtest/k6/location-fanout.ts
 *
 * or a deployment: `-e BASE_URL=wss://signal.example.com/ws -e TOKENS_FILE=/abs/tokens.json`
 * (user ids `<RUN_ID>-p<i>` patients, `<RUN_ID>-w<i>` watchers of patient floor(i / WATCHERS)).
 *
 * Options: PATIENTS (default 100), WATCHERS (3), PERIOD_MS (1000), DURATION seconds (60), plus
 * BASE_URL, NODE_URLS, TOKEN_URL, TOKENS_FILE, RUN_ID (lib/config.ts).
 */
import { check } from 'k6';
import exec from 'k6/execution';
import { Counter, Trend } from 'k6/metrics';
import type { Options } from 'k6/options';
import { nodeUrl, runId, tokensFor } from './lib/config.ts';
import { TetherSocket, delay } from './lib/socket.ts';

const PATIENTS = Number(__ENV.PATIENTS ?? 100);
const WATCHERS = Number(__ENV.WATCHERS ?? 3);
const PERIOD_MS = Number(__ENV.PERIOD_MS ?? 1000);
const DURATION = Number(__ENV.DURATION ?? 60);
/** watchers subscribe during this head start; patients publish after it */
const HEAD_START_S = 5;
/** watchers stay this long after the last position is due */
const TAIL_S = 5;

export const options: Options = {
  setupTimeout: '120s',
  scenarios: {
    watchers: {
      executor: 'per-vu-iterations',
      exec: 'watcher',
      vus: PATIENTS * WATCHERS,
      iterations: 1,
      maxDuration: `${HEAD_START_S + DURATION + TAIL_S + 30}s`,
    },
    patients: {
      executor: 'per-vu-iterations',
      exec: 'patient',
      vus: PATIENTS,
      iterations: 1,
      startTime: `${HEAD_START_S}s`,
      maxDuration: `${DURATION + 30}s`,
    },
  },
  thresholds: {
    location_latency: ['p(99)<250'],
    location_lost: ['count==0'],
    location_errors: ['count==0'],
    checks: ['rate>0.99'],
  },
};

const latency = new Trend('location_latency', true);
const lost = new Counter('location_lost');
const received = new Counter('location_received');
const published = new Counter('location_published');
const errors = new Counter('location_errors');

interface Data {
  run: string;
  /** when every patient's grid starts, ms since the epoch */
  gridStart: number;
  patients: string[];
  watchers: string[];
}

export function setup(): Data {
  const run = runId();
  const patient = (p: number): string => `${run}-p${p}`;
  return {
    run,
    gridStart: Date.now() + (HEAD_START_S + 2) * 1000,
    patients: tokensFor(Array.from({ length: PATIENTS }, (_, p) => ({ sub: patient(p), role: 'patient' }))),
    watchers: tokensFor(
      Array.from({ length: PATIENTS * WATCHERS }, (_, i) => ({ sub: `${run}-w${i}`, role: 'caregiver', patients: [patient(Math.floor(i / WATCHERS))] })),
    ),
  };
}

/** Patient p's first due time; the grid is offset per patient so the publishes are spread evenly. */
function base(data: Data, p: number): number {
  return data.gridStart + Math.floor((p * PERIOD_MS) / PATIENTS);
}

export async function watcher(data: Data): Promise<void> {
  const i = exec.scenario.iterationInTest;
  const p = Math.floor(i / WATCHERS);
  const socket = await TetherSocket.open(nodeUrl(p + 1 + (i % WATCHERS)), data.watchers[i]!, { tags: { role: 'watcher' } });
  const ack = await socket.request({ type: 'subscribe', channel: `location:${data.run}-p${p}` });
  check(ack, { 'subscribed to the location stream': (a) => a?.type === 'ack' });
  let last: number | null = null;
  socket.onFrame = (f) => {
    if (f.type !== 'location') return;
    const due = f.position.timestamp;
    latency.add(Date.now() - due);
    received.add(1);
    if (last !== null && due - last > 1.5 * PERIOD_MS) lost.add(Math.round((due - last) / PERIOD_MS) - 1);
    last = due;
  };
  const end = base(data, p) + DURATION * 1000 + TAIL_S * 1000;
  await delay(Math.max(0, end - Date.now()));
  socket.close();
}

export async function patient(data: Data): Promise<void> {
  const p = exec.scenario.iterationInTest;
  const socket = await TetherSocket.open(nodeUrl(p), data.patients[p]!, { tags: { role: 'patient' } });
  check(socket.welcome, { 'patient welcomed': (w) => w !== null });
  const rounds = Math.floor((DURATION * 1000) / PERIOD_MS);
  const answers: Array<Promise<void>> = [];
  // a patient that connected late starts at the next slot of its grid, not with a backlog
  const first = Math.max(0, Math.ceil((Date.now() - base(data, p)) / PERIOD_MS));
  for (let n = first; n < rounds; n++) {
    const due = base(data, p) + n * PERIOD_MS;
    const wait = due - Date.now();
    if (wait > 0) await delay(wait);
    const position = { lat: 52.3731 + n * 1e-5, lng: 4.8922, accuracy: 8, battery: 77, timestamp: due };
    answers.push(
      socket.request({ type: 'location', position }).then((answer) => {
        if (answer?.type === 'ack') published.add(1);
        else errors.add(1, { code: answer?.type === 'error' ? answer.code : 'TIMEOUT' });
      }),
    );
  }
  await Promise.all(answers);
  socket.close();
}
