/**
 * Call setup, as loadtest/k6/call-setup.ts runs it: `pairs` caller/callee pairs on a 3-node
 * cluster, each pair on two different nodes, `calls` calls per pair, one call per pair every
 * `intervalMs` (pairs staggered over the interval, so calls start at an even rate; a call that
 * overruns its slot delays the next, counted in `lateStarts`). A call:
 * invite -> ringing + accept, offer -> answer, then `candidates` trickled ICE candidates each way
 * (the callee answers each candidate with one of its own, so the caller times a round trip), the
 * end-of-candidates marker, hangup. Times are taken in the caller only (no clocks compared):
 * invite-to-accept, offer-to-answer, ICE round trip, and the whole setup (invite to last ICE).
 * A message that does not arrive within 5 s is counted lost and the call is abandoned.
 */
import type { SignalBody } from '../../../src/protocol/index.ts';
import { type Infra, startCluster } from '../lib/infra.ts';
import { Inbox } from '../lib/inbox.ts';
import { type LatencySummary, ms, summarize } from '../lib/stats.ts';
import { LoadClient } from '../lib/tether-client.ts';
import { devToken } from '../lib/tokens.ts';

const WAIT_MS = 5_000;

export interface CallSetupResult {
  pairs: number;
  calls: number;
  /** calls started per second, offered */
  callsPerSecond: number;
  lateStarts: number;
  completed: number;
  lost: number;
  errors: number;
  inviteToAcceptMs: LatencySummary;
  offerToAnswerMs: LatencySummary;
  iceRttMs: LatencySummary;
  setupMs: LatencySummary;
}

interface Samples {
  accept: number[];
  answer: number[];
  ice: number[];
  setup: number[];
  lost: number;
  errors: number;
  completed: number;
  late: number;
}

const SDP = `v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n${'a=candidate-placeholder\r\n'.repeat(40)}`;

function signal(to: string, callId: string, body: SignalBody): Record<string, unknown> {
  return { type: 'signal', to: `user:${to}`, callId, signal: body };
}

function candidate(i: number): SignalBody {
  return { kind: 'ice', candidate: { candidate: `candidate:${i} 1 udp 2122260223 192.0.2.10 ${50000 + i} typ host`, sdpMid: '0', sdpMLineIndex: 0 } };
}

/** The callee: answers every step of every call addressed to it. */
function answerCalls(callee: LoadClient, caller: string, samples: Samples): void {
  const reply = (callId: string, body: SignalBody): void => {
    callee.request(signal(caller, callId, body)).then(
      (a) => void (a.type === 'error' && samples.errors++),
      () => samples.errors++,
    );
  };
  callee.onFrame = (f) => {
    if (f.type !== 'signal') return;
    const s = f.signal;
    if (s.kind === 'invite') {
      reply(f.callId, { kind: 'ringing' });
      reply(f.callId, { kind: 'accept' });
    } else if (s.kind === 'offer') reply(f.callId, { kind: 'answer', sdp: SDP });
    else if (s.kind === 'ice') reply(f.callId, s.candidate ? candidate(Number(s.candidate.candidate.split(/[: ]/)[1]) + 1000) : { kind: 'ice', candidate: null });
  };
}

async function placeCall(caller: LoadClient, inbox: Inbox, callee: string, callId: string, candidates: number, samples: Samples): Promise<void> {
  const is = (kind: string) => (f: { type: string; callId?: string; signal?: { kind: string } }) =>
    f.type === 'signal' && f.callId === callId && f.signal?.kind === kind;
  const send = async (body: SignalBody): Promise<boolean> => {
    const answer = await caller.request(signal(callee, callId, body), WAIT_MS).catch(() => null);
    if (answer?.type === 'ack') return true;
    samples.errors++;
    return false;
  };
  const t0 = performance.now();
  if (!(await send({ kind: 'invite', media: 'audio' }))) return;
  const ringing = await inbox.next(is('ringing'), WAIT_MS);
  const accept = await inbox.next(is('accept'), WAIT_MS);
  if (!ringing || !accept) return void (samples.lost += (ringing ? 0 : 1) + (accept ? 0 : 1));
  samples.accept.push(performance.now() - t0);
  const t1 = performance.now();
  if (!(await send({ kind: 'offer', sdp: SDP }))) return;
  if (!(await inbox.next(is('answer'), WAIT_MS))) return void samples.lost++;
  samples.answer.push(performance.now() - t1);
  for (let i = 0; i < candidates; i++) {
    const t2 = performance.now();
    if (!(await send(candidate(i)))) return;
    const back = await inbox.next((f) => f.type === 'signal' && f.callId === callId && f.signal.kind === 'ice' && f.signal.candidate !== null, WAIT_MS);
    if (!back) return void samples.lost++;
    samples.ice.push(performance.now() - t2);
  }
  await send({ kind: 'ice', candidate: null });
  if (!(await inbox.next((f) => f.type === 'signal' && f.callId === callId && f.signal.kind === 'ice' && f.signal.candidate === null, WAIT_MS))) {
    return void samples.lost++;
  }
  samples.setup.push(performance.now() - t0);
  await send({ kind: 'hangup', reason: 'bench' });
  samples.completed++;
}

function rounded(values: number[]): LatencySummary {
  const s = summarize(values);
  return { count: s.count, p50: ms(s.p50), p99: ms(s.p99), p999: ms(s.p999), max: ms(s.max) };
}

export async function runCallSetup(
  infra: Infra,
  options: { pairs: number; calls: number; candidates: number; intervalMs: number },
): Promise<CallSetupResult> {
  const cluster = await startCluster(infra, 3);
  const clients: LoadClient[] = [];
  const samples: Samples = { accept: [], answer: [], ice: [], setup: [], lost: 0, errors: 0, completed: 0, late: 0 };
  try {
    const run = Math.random().toString(36).slice(2, 7);
    const n = cluster.nodeUrls.length;
    const pairs = await Promise.all(
      Array.from({ length: options.pairs }, async (_, i) => {
        const [a, b] = [`cc-${run}-${i}`, `cp-${run}-${i}`];
        const callee = await LoadClient.connect(cluster.nodeUrls[(i + 1) % n]!, await devToken({ sub: b, role: 'patient', contacts: [a] }));
        const caller = await LoadClient.connect(cluster.nodeUrls[i % n]!, await devToken({ sub: a, role: 'caregiver', patients: [b] }));
        clients.push(caller, callee);
        answerCalls(callee, a, samples);
        return { i, a, b, caller, inbox: new Inbox(caller) };
      }),
    );
    const start = performance.now() + 500;
    await Promise.all(
      pairs.map(async ({ i, b, caller, inbox }) => {
        for (let c = 0; c < options.calls; c++) {
          const due = start + ((i / options.pairs) + c) * options.intervalMs;
          const wait = due - performance.now();
          if (wait > 0) await new Promise((r) => setTimeout(r, wait)); // the call schedule (open loop)
          else if (c > 0) samples.late++;
          await placeCall(caller, inbox, b, `call-${i}-${c}`, options.candidates, samples);
        }
      }),
    );
    return {
      pairs: options.pairs,
      calls: options.pairs * options.calls,
      callsPerSecond: Math.round((options.pairs * 1000) / options.intervalMs),
      lateStarts: samples.late,
      completed: samples.completed,
      lost: samples.lost,
      errors: samples.errors,
      inviteToAcceptMs: rounded(samples.accept),
      offerToAnswerMs: rounded(samples.answer),
      iceRttMs: rounded(samples.ice),
      setupMs: rounded(samples.setup),
    };
  } finally {
    await Promise.all(clients.map((c) => c.close()));
    await cluster.stop();
  }
}
