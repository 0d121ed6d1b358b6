/**
 * Tether connection ramp, soak and reconnect storm (k6 v1.6+, `k6/websockets`).
 *
 * CONNECTIONS VUs, each holding one idle connection (a distinct patient user): the connections
 * open evenly over RAMP seconds and stay open for HOLD seconds while the server pings them (k6
 * answers pings itself) and each VU sends an application `ping` every PING_EVERY seconds (VU i
 * at i / CONNECTIONS of the period, so they are spread). At STORM_AT seconds into the hold every
 * VU closes its socket (code 4000: not a clean leave, so the server keeps the session
 * resumable) and reconnects at once, all together: a reconnect storm, as after a load balancer
 * restart. With RESUME=1 they resume their sessions. With NODE_URLS, VU i connects to node
 * i mod n and reconnects to the next node, so every resume crosses nodes.
 *
 * - `ramp_connected`: VUs that got their first welcome; a complete run has CONNECTIONS
 * - `storm_reconnected`, `storm_resumed`: VUs that reconnected at the storm, and whose session
 *   was resumed (RESUME=1); a complete run has CONNECTIONS of each
 * - `pings_answered`: a complete run has every ping of every VU answered (the count is computed
 *   from CONNECTIONS, HOLD and PING_EVERY); `pings_unanswered`: pings that got no answer
 *   within TIMEOUT_MS, or could not be sent (no open connection)
 * - `ping_rtt`: application ping round trip, ms
 * - `connect_success{phase:ramp|storm|recovery}`: share of connection attempts that got a welcome
 *   (failed attempts are retried with full-jitter backoff until the hold ends)
 * - `ws_welcome_time{phase}`: connect to welcome, ms
 * - `connections_lost`: connections the server or the network closed during the hold (the VU
 *   then reconnects, phase `recovery`); see lib/socket.ts
 *
 * Every threshold must hold: the run fails (exit code 99) when a VU never connects, misses the
 * storm, loses its connection or a ping; an exception in a VU aborts it (108; lib/vu.ts).
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
 * into the hold (HOLD / 2; 0: no storm), RESUME (1), PING_EVERY seconds (30), JWT, the latency
 * limits WELCOME_P99_MS (2000, ramp), STORM_WELCOME_P99_MS (10000) and PING_P99_MS (250), plus
 * BASE_URL, NODE_URLS, TOKEN_URL, TOKENS_FILE, RUN_ID, TIMEOUT_MS (lib/config.ts). Tokens are fetched by
 * each VU, not in setup(), so setup data (copied to every VU) stays small.
 */
import { check } from 'k6';
import exec from 'k6/execution';
import { Counter, Rate, Trend } from 'k6/metrics';
import type { Options } from 'k6/options';
import { countEnv, nodeUrl, numberEnv, runId, tokensFor } from './lib/config.ts';
import { TetherSocket, delay } from './lib/socket.ts';
import { guard } from './lib/vu.ts';

const CONNECTIONS = countEnv('CONNECTIONS', 1000);
const RAMP = numberEnv('RAMP', 60, 0);
const HOLD = numberEnv('HOLD', 300, 0.001);
const STORM_AT = numberEnv('STORM_AT', HOLD / 2, 0);
const RESUME = (__ENV.RESUME ?? '1') === '1';
const PING_EVERY = numberEnv('PING_EVERY', 30, 0.001);
if (STORM_AT >= HOLD) throw new Error(`STORM_AT=${STORM_AT} must fall inside HOLD=${HOLD} (0: no storm)`);
const STORM = STORM_AT > 0;
const WELCOME_P99_MS = numberEnv('WELCOME_P99_MS', 2000, 1);
const STORM_WELCOME_P99_MS = numberEnv('STORM_WELCOME_P99_MS', 10_000, 1);
const PING_P99_MS = numberEnv('PING_P99_MS', 250, 1);

/** s into the hold at which VU i sends its k-th ping (k from 0) */
const pingAt = (i: number, k: number): number => (i / CONNECTIONS + k) * PING_EVERY;
/** pings every VU sends during the hold, all of which must be answered */
let PINGS = 0;
for (let i = 0; i < CONNECTIONS; i++) PINGS += Math.max(0, Math.ceil(HOLD / PING_EVERY - i / CONNECTIONS));

export const options: Options = {
  scenarios: {
    idle: { executor: 'per-vu-iterations', vus: CONNECTIONS, iterations: 1, maxDuration: `${Math.ceil(RAMP + HOLD + 60)}s` },
  },
  thresholds: {
    ramp_connected: [`count>=${CONNECTIONS}`],
    ...(STORM ? { storm_reconnected: [`count>=${CONNECTIONS}`] } : {}),
    ...(STORM && RESUME ? { storm_resumed: [`count>=${CONNECTIONS}`] } : {}),
    pings_answered: [`count>=${PINGS}`],
    pings_unanswered: ['count==0'],
    connections_lost: ['count==0'],
    'connect_success{phase:ramp}': ['rate>0.999'],
    'connect_success{phase:storm}': ['rate>0.99'],
    'ws_welcome_time{phase:ramp}': [`p(99)<${WELCOME_P99_MS}`],
    'ws_welcome_time{phase:storm}': [`p(99)<${STORM_WELCOME_P99_MS}`],
    ping_rtt: [`p(99)<${PING_P99_MS}`],
    checks: ['rate==1'],
  },
};

const rampConnected = new Counter('ramp_connected');
const stormReconnected = new Counter('storm_reconnected');
const stormResumed = new Counter('storm_resumed');
const pingsAnswered = new Counter('pings_answered');
const pingsUnanswered = new Counter('pings_unanswered');
const connectSuccess = new Rate('connect_success');
const pingRtt = new Trend('ping_rtt', true);

interface Data {
  run: string;
}

export function setup(): Data {
  return { run: runId() };
}

type Phase = 'ramp' | 'storm' | 'recovery';
type Resume = { token: string; lastSeq: number };

/** Connects to node `home` (mod n), retrying with backoff until `until`; null if it never got a welcome. */
async function connect(token: string, home: number, phase: Phase, until: number, resume?: Resume): Promise<TetherSocket | null> {
  for (let attempt = 0; Date.now() < until; attempt++) {
    const socket = await TetherSocket.open(nodeUrl(home), token, { tags: { phase }, ...(resume ? { resume } : {}) });
    connectSuccess.add(socket !== null, { phase });
    if (socket) return socket;
    await delay(Math.min(until - Date.now(), Math.random() * Math.min(10_000, 250 * 2 ** attempt))); // full jitter
  }
  return null;
}

function resumeOf(socket: TetherSocket | null): Resume | undefined {
  return RESUME && socket?.welcome?.resume ? { token: socket.welcome.resume.token, lastSeq: socket.lastSeq } : undefined;
}

export default guard<Data>('connection-soak', async (data) => {
  const i = exec.scenario.iterationInTest;
  const holdStart = exec.scenario.startTime + RAMP * 1000;
  const holdEnd = holdStart + HOLD * 1000;
  const stormAt = holdStart + STORM_AT * 1000;
  await delay(exec.scenario.startTime + (i / CONNECTIONS) * RAMP * 1000 - Date.now());
  const token = __ENV.JWT || tokensFor([{ sub: `${data.run}-s${i}`, role: 'patient' }])[0]!;

  let home = i;
  let socket = await connect(token, home, 'ramp', holdEnd);
  if (check(socket, { connected: (s) => s !== null })) rampConnected.add(1);

  let stormed = !STORM;
  let k = 0; // next ping
  const nextPing = (): number => holdStart + pingAt(i, k) * 1000;
  // a ping due inside the hold is sent even if the VU wakes for it just after the hold ended
  const pingDue = (): boolean => nextPing() < holdEnd;
  while (Date.now() < holdEnd || pingDue()) {
    // wake at least once a second to notice a lost connection
    const next = Math.min(pingDue() ? nextPing() : holdEnd, stormed ? holdEnd : stormAt);
    await delay(Math.min(1_000, next - Date.now()));
    if (!stormed && Date.now() >= stormAt) {
      stormed = true;
      const resume = resumeOf(socket);
      socket?.close(4000);
      socket = await connect(token, ++home, 'storm', holdEnd, resume);
      if (check(socket, { 'reconnected at the storm': (s) => s !== null })) stormReconnected.add(1);
      if (socket && resume && check(socket, { 'session resumed at the storm': (s) => s.welcome?.resumed?.ok === true })) stormResumed.add(1);
    } else if ((!socket || socket.closed) && Date.now() < holdEnd) {
      socket = await connect(token, ++home, 'recovery', holdEnd, resumeOf(socket));
    }
    if (pingDue() && Date.now() >= nextPing()) {
      k++;
      const t0 = Date.now();
      const answer = socket ? await socket.request({ type: 'ping' }) : null;
      if (answer?.type === 'ack') {
        pingRtt.add(Date.now() - t0);
        pingsAnswered.add(1);
      } else pingsUnanswered.add(1, { code: answer?.type === 'error' ? answer.code : socket?.open ? 'TIMEOUT' : 'CLOSED' });
    }
  }
  socket?.close();
});
