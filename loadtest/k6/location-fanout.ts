/**
 * Tether location fan-out under load (k6 v1.6+, `k6/websockets`).
 *
 * PATIENTS patient VUs each publish a position every PERIOD_MS (1 Hz by default, a phone's usual
 * rate) for DURATION seconds; WATCHERS caregiver VUs watch each patient. With NODE_URLS set (two
 * nodes or more), every watcher sits on another node than its patient, spread over the others.
 * Watchers connect and subscribe during the first HEAD_START seconds; patients start then.
 * Open loop: patient p's positions are due on a fixed grid (every PERIOD_MS, offset by p so the
 * load is even), and each position's `timestamp` is its due time. So a watcher knows which
 * positions it is owed, and:
 *
 * - `location_published`: positions the server acknowledged; a complete run has PATIENTS x
 *   floor(DURATION x 1000 / PERIOD_MS)
 * - `location_received`: positions watchers received; a complete run has WATCHERS x published
 * - `location_lost`: positions a watcher was owed and did not receive (all of them when it
 *   could not connect or subscribe)
 * - `location_out_of_order`: a position received after a later one, or twice
 * - `location_latency`: arrival minus due time, ms (one clock: patients and watchers run in the
 *   same k6 process; across several k6 machines their clocks must agree)
 * - `location_errors`: publishes answered with an error, or not at all (tagged with `code`)
 * - `connect_failures`, `connections_lost`, `ws_welcome_time`: see lib/socket.ts
 *
 * Every threshold must hold: the run fails (exit code 99) when a node is down, a position is lost
 * or a VU could not do its share; an exception in a VU aborts it (108; lib/vu.ts).
 *
 * Run against the local cluster (`npm run cluster` prints the node URLs):
 *
 *   k6 run -e NODE_URLS=ws://127.0.0.1:PORT0/ws,ws://127.0.0.1:PORT1/ws,ws://127.0.0.1:PORT2/ws loadtest/k6/location-fanout.ts
 *
 * or a deployment: `-e BASE_URL=wss://signal.example.com/ws -e TOKENS_FILE=/abs/tokens.json`
 * (user ids `<RUN_ID>-p<i>` patients, `<RUN_ID>-w<i>` watchers of patient floor(i / WATCHERS)).
 *
 * Options: PATIENTS (default 100), WATCHERS (3), PERIOD_MS (1000), DURATION seconds (60),
 * HEAD_START seconds (5), the latency limit LATENCY_P99_MS (250), plus BASE_URL, NODE_URLS,
 * TOKEN_URL, TOKENS_FILE, RUN_ID, TIMEOUT_MS (lib/config.ts).
 */
import { check } from 'k6';
import exec from 'k6/execution';
import { Counter, Trend } from 'k6/metrics';
import type { Options } from 'k6/options';
import { clearTimeout, setTimeout } from 'k6/timers';
import { TIMEOUT_MS, countEnv, nodeUrl, numberEnv, otherNodeUrl, runId, tokensFor } from './lib/config.ts';
import { TetherSocket, delay } from './lib/socket.ts';
import { guard } from './lib/vu.ts';

const PATIENTS = countEnv('PATIENTS', 100);
const WATCHERS = countEnv('WATCHERS', 3);
const PERIOD_MS = numberEnv('PERIOD_MS', 1000, 1);
const DURATION = numberEnv('DURATION', 60, 0.001);
const HEAD_START = numberEnv('HEAD_START', 5, 0);
const LATENCY_P99_MS = numberEnv('LATENCY_P99_MS', 250, 1);
const ROUNDS = Math.floor((DURATION * 1000) / PERIOD_MS);
if (ROUNDS < 1) throw new Error(`DURATION=${DURATION} s is shorter than one PERIOD_MS=${PERIOD_MS}: no position would be sent`);
/** patients connect during this, after HEAD_START, before their first position is due */
const CONNECT_S = 2;
/** watchers wait this long after the last position is due, unless it arrived */
const TAIL_MS = TIMEOUT_MS;

export const options: Options = {
  setupTimeout: '120s',
  scenarios: {
    watchers: {
      executor: 'per-vu-iterations',
      exec: 'watcher',
      vus: PATIENTS * WATCHERS,
      iterations: 1,
      maxDuration: `${Math.ceil(HEAD_START + CONNECT_S + DURATION + TAIL_MS / 1000 + 30)}s`,
    },
    patients: {
      executor: 'per-vu-iterations',
      exec: 'patient',
      vus: PATIENTS,
      iterations: 1,
      startTime: `${HEAD_START}s`,
      maxDuration: `${Math.ceil(CONNECT_S + DURATION + 30)}s`,
    },
  },
  thresholds: {
    location_published: [`count>=${PATIENTS * ROUNDS}`],
    location_received: [`count>=${PATIENTS * WATCHERS * ROUNDS}`],
    location_lost: ['count==0'],
    location_out_of_order: ['count==0'],
    location_errors: ['count==0'],
    connect_failures: ['count==0'],
    connections_lost: ['count==0'],
    location_latency: [`p(99)<${LATENCY_P99_MS}`],
    checks: ['rate==1'],
  },
};

const latency = new Trend('location_latency', true);
const published = new Counter('location_published');
const received = new Counter('location_received');
const lost = new Counter('location_lost');
const outOfOrder = new Counter('location_out_of_order');
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
    gridStart: Date.now() + (HEAD_START + CONNECT_S) * 1000,
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

/** Resolves at `until` (ms since the epoch), when the socket closes, or when `finish` is called. */
function openUntil(socket: TetherSocket, until: number): { ended: Promise<void>; finish: () => void } {
  let finish = (): void => {};
  const ended = new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, Math.max(0, until - Date.now()));
    finish = () => {
      clearTimeout(timer);
      resolve();
    };
    socket.onClose = finish;
  });
  return { ended, finish };
}

export const watcher = guard<Data>('watcher', async (data) => {
  const i = exec.scenario.iterationInTest;
  const p = Math.floor(i / WATCHERS);
  const channel = `location:${data.run}-p${p}`;
  const socket = await TetherSocket.open(otherNodeUrl(p, i % WATCHERS), data.watchers[i]!, { tags: { role: 'watcher' } });
  if (!check(socket, { 'watcher connected': (s) => s !== null }) || !socket) {
    lost.add(ROUNDS);
    return;
  }
  const ack = await socket.request({ type: 'subscribe', channel });
  if (!check(ack, { 'watcher subscribed': (a) => a?.type === 'ack' })) {
    lost.add(ROUNDS);
    socket.close();
    return;
  }
  let last = -1;
  let seen = 0;
  // the last position ends the watch: any earlier one missing by then is lost (ordering)
  const watch = openUntil(socket, base(data, p) + (ROUNDS - 1) * PERIOD_MS + TAIL_MS);
  socket.onFrame = (f) => {
    if (f.type !== 'location' || f.channel !== channel) return;
    const due = f.position.timestamp;
    const slot = Math.round((due - base(data, p)) / PERIOD_MS);
    if (slot <= last) {
      outOfOrder.add(1);
      return;
    }
    last = slot;
    seen++;
    received.add(1);
    latency.add(Date.now() - due);
    if (slot >= ROUNDS - 1) watch.finish();
  };
  await watch.ended;
  socket.close();
  if (seen < ROUNDS) lost.add(ROUNDS - seen);
});

export const patient = guard<Data>('patient', async (data) => {
  const p = exec.scenario.iterationInTest;
  const socket = await TetherSocket.open(nodeUrl(p), data.patients[p]!, { tags: { role: 'patient' } });
  if (!check(socket, { 'patient connected': (s) => s !== null }) || !socket) return;
  const answers: Array<Promise<void>> = [];
  // a patient that connected late starts at the next slot of its grid (the slots it missed are
  // never published, and the run fails on the count), not with a burst of stale positions
  const first = Math.max(0, Math.ceil((Date.now() - base(data, p)) / PERIOD_MS));
  for (let n = first; n < ROUNDS && socket.open; n++) {
    const due = base(data, p) + n * PERIOD_MS;
    await delay(due - Date.now());
    const position = { lat: 52.3731 + n * 1e-5, lng: 4.8922, accuracy: 8, battery: 77, timestamp: due };
    answers.push(
      socket.request({ type: 'location', position }).then((answer) => {
        if (answer?.type === 'ack') published.add(1);
        else errors.add(1, { code: answer?.type === 'error' ? answer.code : socket.open ? 'TIMEOUT' : 'CLOSED' });
      }),
    );
  }
  await Promise.all(answers);
  socket.close();
});
