/**
 * Tether call setup under load (k6 v1.6+, `k6/websockets`).
 *
 * PAIRS pairs of VUs: a caller (caregiver) and its callee (patient). With NODE_URLS set, a pair's
 * two VUs connect to different nodes, so every message crosses the message bus. Once each sees
 * the other online, the caller places a call every CALL_INTERVAL seconds for DURATION seconds:
 * invite -> ringing + accept, offer -> answer, ICE_CANDIDATES trickled candidates (the callee
 * answers each with one of its own), end of candidates, hangup. Times are taken inside the caller
 * VU, so no clocks are compared:
 *
 * - `calls_completed`: calls that got through every step; the run must complete all
 *   PAIRS x floor(DURATION / CALL_INTERVAL) of them
 * - `call_invite_to_accept`, `call_offer_to_answer`, `call_ice_rtt`: round trips, ms
 * - `call_setup_time`: invite sent to the callee's last candidate received, ms
 * - `signals_lost`: expected messages that did not arrive within TIMEOUT_MS (the call is abandoned)
 * - `signal_errors`: requests answered with an error frame, or not at all (tagged with `code`)
 * - `connect_failures`, `connections_lost`, `ws_welcome_time`: see lib/socket.ts
 *
 * Every threshold must hold, so the run fails (exit code 99) when a node is down, a message is
 * lost or a VU could not do its share; an exception in a VU aborts it (108; lib/vu.ts).
 *
 * Run against the local cluster (`npm run cluster` prints the node URLs):
 *
 *   k6 run -e NODE_URLS=ws://127.0.0.1:PORT0/ws,ws://127.0.0.1:PORT1/ws loadtest/k6/call-setup.ts
 *
 * or a deployment: `-e BASE_URL=wss://signal.example.com/ws -e TOKENS_FILE=/abs/tokens.json`
 * (user ids `<RUN_ID>-c<i>` callers, `<RUN_ID>-p<i>` callees, i from 0; see lib/config.ts).
 *
 * Options: PAIRS (default 50), DURATION seconds (60), CALL_INTERVAL seconds (5), ICE_CANDIDATES
 * (4), the latency limits SETUP_P95_MS (1000) and ICE_P99_MS (200), plus BASE_URL, NODE_URLS,
 * TOKEN_URL, TOKENS_FILE, RUN_ID, TIMEOUT_MS (lib/config.ts).
 */
import { check } from 'k6';
import exec from 'k6/execution';
import { Counter, Trend } from 'k6/metrics';
import type { Options } from 'k6/options';
import { clearTimeout, setTimeout } from 'k6/timers';
import type { SignalBody } from '../../src/protocol/index.ts';
import { TIMEOUT_MS, countEnv, nodeUrl, numberEnv, otherNodeUrl, runId, tokensFor } from './lib/config.ts';
import { type Frame, TetherSocket, delay } from './lib/socket.ts';
import { guard } from './lib/vu.ts';

const PAIRS = countEnv('PAIRS', 50);
const DURATION = numberEnv('DURATION', 60, 0.001);
const CALL_INTERVAL = numberEnv('CALL_INTERVAL', 5, 0.001);
const ICE_CANDIDATES = countEnv('ICE_CANDIDATES', 4, 0);
const CALLS_PER_PAIR = Math.max(1, Math.floor(DURATION / CALL_INTERVAL));
const SETUP_P95_MS = numberEnv('SETUP_P95_MS', 1000, 1);
const ICE_P99_MS = numberEnv('ICE_P99_MS', 200, 1);

export const options: Options = {
  setupTimeout: '120s',
  scenarios: {
    calls: { executor: 'per-vu-iterations', vus: 2 * PAIRS, iterations: 1, maxDuration: `${Math.ceil(DURATION + CALL_INTERVAL + 60)}s` },
  },
  thresholds: {
    calls_completed: [`count>=${PAIRS * CALLS_PER_PAIR}`],
    signals_lost: ['count==0'],
    signal_errors: ['count==0'],
    connect_failures: ['count==0'],
    connections_lost: ['count==0'],
    call_setup_time: [`p(95)<${SETUP_P95_MS}`],
    call_ice_rtt: [`p(99)<${ICE_P99_MS}`],
    checks: ['rate==1'],
  },
};

const inviteToAccept = new Trend('call_invite_to_accept', true);
const offerToAnswer = new Trend('call_offer_to_answer', true);
const iceRtt = new Trend('call_ice_rtt', true);
const setupTime = new Trend('call_setup_time', true);
const callsCompleted = new Counter('calls_completed');
const signalsLost = new Counter('signals_lost');
const signalErrors = new Counter('signal_errors');

interface Data {
  run: string;
  callers: string[];
  callees: string[];
}

export function setup(): Data {
  const run = runId();
  const caller = (i: number): string => `${run}-c${i}`;
  const callee = (i: number): string => `${run}-p${i}`;
  const pairs = Array.from({ length: PAIRS }, (_, i) => i);
  return {
    run,
    callers: tokensFor(pairs.map((i) => ({ sub: caller(i), role: 'caregiver', patients: [callee(i)] }))),
    callees: tokensFor(pairs.map((i) => ({ sub: callee(i), role: 'patient', contacts: [caller(i)] }))),
  };
}

const SDP = 'v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n';

function candidate(i: number): SignalBody {
  return { kind: 'ice', candidate: { candidate: `candidate:${i} 1 udp 2122260223 192.0.2.10 ${50000 + i} typ host`, sdpMid: '0', sdpMLineIndex: 0 } };
}

function signal(to: string, callId: string, body: SignalBody): Record<string, unknown> {
  return { type: 'signal', to: `user:${to}`, callId, signal: body };
}

export default guard<Data>('call-setup', async (data) => {
  const vu = exec.scenario.iterationInTest;
  const pair = Math.floor(vu / 2);
  if (vu % 2 === 0) await caller(data, pair);
  else await callee(data, pair);
});

/** Sends a request; counts an error answer or a missing one. */
async function send(socket: TetherSocket, message: Record<string, unknown>): Promise<boolean> {
  const answer = await socket.request(message);
  const ok = answer?.type === 'ack';
  if (!ok) signalErrors.add(1, { code: answer?.type === 'error' ? answer.code : socket.open ? 'TIMEOUT' : 'CLOSED' });
  return ok;
}

/** Asks until `userId` is online anywhere in the cluster (the peer VU may still be connecting). */
async function peerOnline(socket: TetherSocket, userId: string): Promise<boolean> {
  const deadline = Date.now() + 3 * TIMEOUT_MS;
  while (socket.open && Date.now() < deadline) {
    const answer = await socket.request({ type: 'lookup', userId });
    if (answer?.type === 'ack' && answer.result && 'online' in answer.result && answer.result.online) return true;
    await delay(100);
  }
  return false;
}

async function caller(data: Data, pair: number): Promise<void> {
  const me = `${data.run}-c${pair}`;
  const peer = `${data.run}-p${pair}`;
  const socket = await TetherSocket.open(nodeUrl(pair), data.callers[pair]!, { tags: { role: 'caller' } });
  if (!check(socket, { 'caller connected': (s) => s !== null }) || !socket) return;
  if (!check(await peerOnline(socket, peer), { 'callee online for the caller': (online) => online })) {
    socket.close();
    return;
  }
  const start = Date.now() + ((pair % 10) * CALL_INTERVAL * 1000) / 10; // spread pairs over the interval
  for (let c = 0; c < CALLS_PER_PAIR && socket.open; c++) {
    await delay(start + c * CALL_INTERVAL * 1000 - Date.now());
    if (await placeCall(socket, peer, `${me}-${c}`)) callsCompleted.add(1);
  }
  await send(socket, signal(peer, `${me}-end`, { kind: 'hangup', reason: 'done' }));
  socket.close();
}

async function placeCall(socket: TetherSocket, peer: string, callId: string): Promise<boolean> {
  const is = (kind: string, candidateNull?: boolean) => (f: Frame): boolean =>
    f.type === 'signal' &&
    f.callId === callId &&
    f.signal.kind === kind &&
    (candidateNull === undefined || (f.signal.kind === 'ice' && (f.signal.candidate === null) === candidateNull));
  const expect = async (kind: string, candidateNull?: boolean): Promise<boolean> => {
    const frame = await socket.waitFor(is(kind, candidateNull));
    if (!frame) signalsLost.add(1, { kind });
    return frame !== null;
  };
  const t0 = Date.now();
  if (!(await send(socket, signal(peer, callId, { kind: 'invite', media: 'audio' })))) return false;
  if (!(await expect('ringing')) || !(await expect('accept'))) return false;
  inviteToAccept.add(Date.now() - t0);
  const t1 = Date.now();
  if (!(await send(socket, signal(peer, callId, { kind: 'offer', sdp: SDP })))) return false;
  if (!(await expect('answer'))) return false;
  offerToAnswer.add(Date.now() - t1);
  for (let i = 0; i < ICE_CANDIDATES; i++) {
    const t2 = Date.now();
    if (!(await send(socket, signal(peer, callId, candidate(i))))) return false;
    if (!(await expect('ice', false))) return false;
    iceRtt.add(Date.now() - t2);
  }
  if (!(await send(socket, signal(peer, callId, { kind: 'ice', candidate: null })))) return false;
  if (!(await expect('ice', true))) return false;
  setupTime.add(Date.now() - t0);
  return send(socket, signal(peer, callId, { kind: 'hangup', reason: 'call ended' }));
}

/**
 * Answers every step of every call until the caller's final hangup. It gives up when its caller
 * never comes online, or sends nothing for CALL_INTERVAL + 4 x TIMEOUT_MS (the caller is gone:
 * its failures are counted on its side).
 */
async function callee(data: Data, pair: number): Promise<void> {
  const peer = `${data.run}-c${pair}`;
  const socket = await TetherSocket.open(otherNodeUrl(pair, 0), data.callees[pair]!, { tags: { role: 'callee' } });
  if (!check(socket, { 'callee connected': (s) => s !== null }) || !socket) return;
  const idleMs = CALL_INTERVAL * 1000 + 4 * TIMEOUT_MS;
  let idle = setTimeout(() => socket.close(), idleMs);
  const ended = new Promise<void>((resolve) => {
    socket.onClose = () => {
      clearTimeout(idle);
      resolve();
    };
  });
  const reply = (callId: string, body: SignalBody): void => void send(socket, signal(peer, callId, body));
  socket.onFrame = (f) => {
    if (f.type !== 'signal') return;
    clearTimeout(idle);
    idle = setTimeout(() => socket.close(), idleMs);
    const s = f.signal;
    switch (s.kind) {
      case 'invite':
        reply(f.callId, { kind: 'ringing' });
        reply(f.callId, { kind: 'accept' });
        break;
      case 'offer':
        reply(f.callId, { kind: 'answer', sdp: SDP });
        break;
      case 'ice':
        reply(f.callId, s.candidate ? candidate(1000 + Number(s.candidate.candidate.split(/[: ]/)[1])) : { kind: 'ice', candidate: null });
        break;
      case 'hangup':
        if (s.reason === 'done') socket.close();
        break;
      default:
        break;
    }
  };
  if (!check(await peerOnline(socket, peer), { 'caller online for the callee': (online) => online })) socket.close();
  await ended;
}
