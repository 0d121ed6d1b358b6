/**
 * Tether connection ramp, soak and reconnect storm (k6, `k6/websockets`).
 *
 * CONNECTIONS VUs, each holding one idle connection (a distinct patient user): the connections
 * open evenly over RAMP seconds, stay open for HOLD seconds while the server pings them (k6
 * answers pings itself) and each VU sends an application `ping` every PING_EVERY seconds; at
 * STORM_AT seconds into the hold every VU closes its socket (code 4000: not a clean leave, so
 * the server keeps the session resumable) and reconnects at once, all together: a reconnect
 * storm, as after a load balancer restart. With RESUME=1 they resume their sessions.
 *
 * - `ws_welcome_time{phase:ramp|storm|recovery}`: connect to welcome, ms
 * - `connect_success{phase}`: share of connection attempts that got a welcome
 * - `server_closes`: connections the server (or the network) closed during the hold
 * - `ping_rtt`: application ping round trip, ms
 * - `storm_resumed`: share of storm reconnects whose session was resumed (RESUME=1)
 *
 * Run against the local cluster (`npm run cluster`, HAProxy on :8080 spreads connections):
 *
 *   k6 run -e CONNECTIONS=2000 -e RAMP=30 -e HOLD=120 loadtest/k6/connection-soak.ts
 *
 * One k6 process holds one file descriptor per connection: raise `ulimit -n` or spread
 * CONNECTIONS over several k6 processes, each with its own RUN_ID. Against a deployment:
 * `-e BASE_URL=wss://signal.example.com/ws` plus TOKENS_FILE (user ids `<RUN_ID>-s<i>`), or one
 * JWT for every VU with `-e JWT=...` (the server caps connections per user per node:
 * MAX_CONNECTIONS_PER_USER must allow it).
 *
 * Options: CONNECTIONS (default 1000), RAMP seconds (60), HOLD seconds (300), STORM_AT seconds
 * into the hold (HOLD / 2; 0: no storm), RESUME (1), PING_EVERY seconds (30), JWT, plus BASE_URL,
 * TOKEN_URL, TOKENS_FILE, RUN_ID (lib/config.ts). Tokens are fetched by each VU, not in setup(),
 * so setup data (copied to every VU) stays small.
 */
import exec from 'k6/execution';
import { Counter, Rate, Trend } from 'k6/metrics';
import type { Options } from 'k6/options';
import { clearInterval, setInterval } from 'k6/timers';
import { BASE_URL, runId, tokensFor } from './lib/config.ts';
import { TetherSocket, delay } from './lib/socket.ts';

const CONNECTIONS = Number(__ENV.CONNECTIONS ?? 1000);
const RAMP = Number(__ENV.RAMP ?? 60);
const HOLD = Number(__ENV.HOLD ?? 300);
const STORM_AT = Number(__ENV.STORM_AT ?? HOLD / 2);
const RESUME = (__ENV.RESUME ?? '1') === '1';
const PING_EVERY = Number(__ENV.PING_EVERY ?? 30);

export const options: Options = {
  scenarios: {
    idle: { executor: 'per-vu-iterations', vus: CONNECTIONS, iterations: 1, maxDuration: `${RAMP + HOLD + 60}s` },
  },
  thresholds: {
    'connect_success{phase:ramp}': ['rate>0.999'],
    'connect_success{phase:storm}': ['rate>0.99'],
    'ws_welcome_time{phase:ramp}': ['p(99)<2000'],
    'ws_welcome_time{phase:storm}': ['p(99)<10000'],
    server_closes: ['count==0'],
    ping_rtt: ['p(99)<250'],
  },
};

const connectSuccess = new Rate('connect_success');
const serverCloses = new Counter('server_closes');
const pingRtt = new Trend('ping_rtt', true);
const stormResumed = new Rate('storm_resumed');

interface Data {
  run: string;
}

export function setup(): Data {
  return { run: runId() };
}

type Phase = 'ramp' | 'storm' | 'recovery';

/** Connects, retrying with backoff until `until`; null if it never got a welcome. */
async function connect(token: string, phase: Phase, until: number, resume?: { token: string; lastSeq: number }): Promise<TetherSocket | null> {
  for (let attempt = 0; Date.now() < until; attempt++) {
    try {
      const socket = await TetherSocket.open(BASE_URL, token, { tags: { phase }, timeoutMs: 15_000, ...(resume ? { resume } : {}) });
      connectSuccess.add(true, { phase });
      return socket;
    } catch {
      connectSuccess.add(false, { phase });
      await delay(Math.random() * Math.min(10_000, 250 * 2 ** attempt)); // full-jitter backoff
    }
  }
  return null;
}

export default async function (data: Data): Promise<void> {
  const i = exec.scenario.iterationInTest;
  const start = exec.scenario.startTime;
  const holdEnd = start + (RAMP + HOLD) * 1000;
  const stormAt = start + (RAMP + STORM_AT) * 1000;
  await delay(Math.max(0, start + (i / CONNECTIONS) * RAMP * 1000 - Date.now()));
  const token = __ENV.JWT ?? tokensFor([{ sub: `${data.run}-s${i}`, role: 'patient' }])[0]!;

  const watch = (s: TetherSocket | null): TetherSocket | null => {
    if (s) s.onClose = () => void (s.closedByClient || serverCloses.add(1));
    return s;
  };
  let socket = watch(await connect(token, 'ramp', holdEnd));
  const pinger = setInterval(() => {
    const s = socket;
    if (!s || s.closed) return;
    const t0 = Date.now();
    void s.request({ type: 'ping' }).then((answer) => {
      if (answer?.type === 'ack') pingRtt.add(Date.now() - t0);
    });
  }, PING_EVERY * 1000);

  let stormed = STORM_AT <= 0;
  while (Date.now() < holdEnd) {
    // wake at least once a second to notice a lost connection or the storm
    await delay(Math.max(0, Math.min(1_000, (stormed ? holdEnd : Math.min(stormAt, holdEnd)) - Date.now())));
    if (!stormed && Date.now() >= stormAt) {
      stormed = true;
      const previous = socket;
      previous?.close(4000);
      const resume = RESUME && previous?.welcome?.resume ? { token: previous.welcome.resume.token, lastSeq: previous.lastSeq } : undefined;
      socket = watch(await connect(token, 'storm', holdEnd, resume));
      if (socket && resume) stormResumed.add(socket.welcome?.resumed?.ok === true);
    } else if ((!socket || socket.closed) && Date.now() < holdEnd) {
      socket = watch(await connect(token, 'recovery', holdEnd));
    }
  }
  clearInterval(pinger);
  socket?.close();
}
