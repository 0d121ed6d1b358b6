/**
 * Counted direct-signal traffic between pairs of real SDK clients: each sender sends its
 * receiver (`user:<receiver>`) ICE candidates numbered 1, 2, 3, ... (the number is in the
 * candidate string), one every `intervalMs`, without waiting for answers (the SDK pipelines
 * them, queues them while reconnecting and resends in-flight ones with the same id). Every send's
 * outcome (acked, queued, error code, or none yet) and every delivery the receiving app gets
 * (number, seq) is recorded, with the phase of the scenario it happened in.
 *
 * Pairs are laid out over the nodes so that every (sender node, receiver node) combination
 * occurs: pair i sends from node i % n to node floor(i / n) % n. A fault on one node thus hits
 * senders, receivers and both at once.
 *
 * To extend: other message kinds (room signals, locations) would get their own counter and
 * delivery listener here, and their own rule in tally.ts.
 */
import { type SignalDelivery, TetherError } from '../../../client-sdk/src/index.ts';
import { Party } from './party.ts';
import { until } from './until.ts';

export type Phase = 'before' | 'during' | 'after';

export type Outcome = { kind: 'acked' } | { kind: 'queued' } | { kind: 'error'; code: string };

export interface Send {
  n: number;
  /** ms on the scenario's clock */
  at: number;
  phase: Phase;
  /** null until answered */
  outcome: Outcome | null;
  answeredAt: number | null;
  /** the receiver's SDK was not open when this was sent or answered */
  receiverAway: boolean;
}

export interface Delivery {
  n: number;
  seq: number;
  at: number;
  phase: Phase;
  /** the receiver's session when it arrived */
  sessionId: string;
}

export interface Pair {
  index: number;
  sender: Party;
  receiver: Party;
  callId: string;
  sends: Send[];
  deliveries: Delivery[];
}

export interface TrafficOptions {
  /** tags user ids and call ids, so scenarios on one cluster never mix */
  run: string;
  pairs: number;
  /** every node's ws URL */
  urls: readonly string[];
  /** ms between two sends of one sender */
  intervalMs: number;
}

const candidate = (n: number) => ({ kind: 'ice' as const, candidate: { candidate: `candidate:${n} 1 udp 2122260223 192.0.2.1 ${10_000 + (n % 50_000)} typ host`, sdpMid: '0' } });

/** The number a sender put in a candidate; null for anything else. */
export function numberOf(delivery: SignalDelivery): number | null {
  if (delivery.signal.kind !== 'ice' || !delivery.signal.candidate) return null;
  const match = /^candidate:(\d+) /.exec(delivery.signal.candidate.candidate);
  return match ? Number(match[1]) : null;
}

export class Traffic {
  readonly pairs: Pair[] = [];
  readonly parties: Party[] = [];
  phase: Phase = 'before';
  /** what the scenario did when, on its clock: the evidence's timeline */
  readonly marks: Array<{ at: number; what: string }> = [];
  private readonly options: TrafficOptions;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly listeners = new Set<() => void>();
  /** the scenario's clock starts when the clients are created */
  private readonly started = Date.now();

  constructor(options: TrafficOptions) {
    this.options = options;
    const nodes = options.urls.length;
    for (let i = 0; i < options.pairs; i++) {
      const from = i % nodes;
      const to = Math.floor(i / nodes) % nodes;
      const receiverId = `r${i}-${options.run}`;
      const receiver = new Party(`r${i}@node-${to}`, { sub: receiverId, role: 'patient' }, options.urls, to, others(to, nodes, i), () => this.now());
      const sender = new Party(`s${i}@node-${from}`, { sub: `s${i}-${options.run}`, role: 'caregiver', contacts: [receiverId] }, options.urls, from, others(from, nodes, i + 1), () => this.now());
      const pair: Pair = { index: i, sender, receiver, callId: `${options.run}-${i}`, sends: [], deliveries: [] };
      receiver.client.on('signal', (s) => this.delivered(pair, s));
      this.pairs.push(pair);
      this.parties.push(sender, receiver);
    }
    for (const party of this.parties) party.onChange(() => this.changed());
  }

  /** Parties that connect to node `index` first. */
  on(index: number): Party[] {
    return this.parties.filter((p) => p.home === index);
  }

  /**
   * Resolves once every client has its first welcome (or `deadlineMs` passed), with what is wrong:
   * clients not welcomed, or not on their own node.
   */
  async ready(deadlineMs: number): Promise<string[]> {
    const all = await until(() => this.parties.every((p) => p.connections > 0), (f) => this.subscribe(f), deadlineMs);
    this.mark('clients ready');
    if (!all) return [`not welcomed within ${deadlineMs} ms: ${this.parties.filter((p) => p.connections === 0).map((p) => p.name).join(', ')}`];
    return this.parties.filter((p) => p.welcomes[0]!.nodeId !== `node-${p.home}`).map((p) => `${p.name} opened on ${p.welcomes[0]!.nodeId}`);
  }

  /** Notes a step of the scenario on its clock. */
  mark(what: string): void {
    this.marks.push({ at: this.now(), what });
  }

  /** ms on the scenario's clock */
  now(): number {
    return Date.now() - this.started;
  }

  start(): void {
    this.mark('traffic starts');
    const { intervalMs } = this.options;
    this.pairs.forEach((pair, i) => {
      // staggered, so the senders do not all send in the same tick
      const first = setTimeout(() => {
        this.send(pair);
        this.timers.push(setInterval(() => this.send(pair), intervalMs));
      }, Math.floor((i * intervalMs) / this.pairs.length));
      this.timers.push(first);
    });
  }

  stop(): void {
    if (this.timers.length > 0) this.mark('traffic stops');
    for (const timer of this.timers.splice(0)) clearInterval(timer);
  }

  /** Resolves true once every send is answered, false at the deadline. */
  answered(deadlineMs: number): Promise<boolean> {
    return until(() => this.pairs.every((p) => p.sends.every((s) => s.outcome !== null)), (f) => this.subscribe(f), deadlineMs);
  }

  /**
   * Resolves true once every acked or queued send has reached its receiver, false at the
   * deadline. A receiver whose SDK closed for good gets nothing more: it is not waited for (tally.ts
   * reports it).
   */
  arrived(deadlineMs: number): Promise<boolean> {
    const done = (pair: Pair): boolean => {
      if (pair.receiver.closedForGood) return true;
      const got = new Set(pair.deliveries.map((d) => d.n));
      return pair.sends.every((s) => !owed(s) || got.has(s.n));
    };
    return until(() => this.pairs.every(done), (f) => this.subscribe(f), deadlineMs);
  }

  /** Calls `listener` on every answer, delivery, welcome and drop. */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Closes every client with 1000. */
  close(): void {
    this.stop();
    for (const party of this.parties) party.close();
  }

  private send(pair: Pair): void {
    const n = pair.sends.length + 1;
    const away = (): boolean => !pair.receiver.open;
    const sent: Send = { n, at: this.now(), phase: this.phase, outcome: null, answeredAt: null, receiverAway: away() };
    pair.sends.push(sent);
    const answered = (outcome: Outcome): void => {
      sent.outcome = outcome;
      sent.answeredAt = this.now();
      sent.receiverAway ||= away();
      this.changed();
    };
    pair.sender.client.signal(`user:${pair.receiver.userId}`, pair.callId, candidate(n)).then(
      (result) => answered({ kind: result.queued ? 'queued' : 'acked' }),
      (error: unknown) => answered({ kind: 'error', code: error instanceof TetherError ? error.code : String(error) }),
    );
  }

  private delivered(pair: Pair, signal: SignalDelivery): void {
    if (signal.callId !== pair.callId) return;
    const n = numberOf(signal);
    if (n === null) return;
    pair.deliveries.push({ n, seq: signal.seq, at: this.now(), phase: this.phase, sessionId: pair.receiver.client.welcome?.sessionId ?? '' });
    this.changed();
  }

  private changed(): void {
    for (const listener of this.listeners) listener();
  }
}

/** Acked or queued: the server took it, so it must arrive. */
export function owed(send: Send): boolean {
  return send.outcome?.kind === 'acked' || send.outcome?.kind === 'queued';
}

/** The other nodes, in an order that alternates with `salt`, so reconnects spread over both. */
function others(home: number, nodes: number, salt: number): number[] {
  const rest = Array.from({ length: nodes }, (_, i) => i).filter((i) => i !== home);
  return salt % 2 === 0 ? rest : rest.reverse();
}
