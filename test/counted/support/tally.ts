/**
 * The verdict on a counted-traffic scenario: the numbers for its summary line, and the contract
 * breaches, each a readable line naming the pair, its nodes, the message numbers, their phase and
 * what the receiver's connections did meanwhile (an empty list is a pass).
 *
 * The rules (docs/protocol.md sections 10 and 11, and the session core's promise that a direct
 * signal is kept for its recipient's sessions before it is published):
 * - every send gets exactly one answer (`unanswered` is a breach);
 * - a send acked or acked `queued` reaches its receiver's app exactly once (`lost`, `duplicates`),
 *   the receiver having stayed in its session: a failed resume of any client is a breach;
 * - one sender's messages arrive in the order sent (`outOfOrder`: a number below one already
 *   delivered, not a copy);
 * - a send answered with an error may or may not arrive (the sender was told): counted only, but
 *   its code must be one the contract names for the fault (`allowedErrors`).
 * `away` counts what was acked while the receiver's SDK was not open, and how much of it arrived.
 * And the load must have happened: every pair gets signals acked before the fault and after it.
 */
import type { Party } from './party.ts';
import { type Pair, type Send, owed } from './traffic.ts';

export interface Tally {
  sent: number;
  acked: number;
  queued: number;
  errors: Record<string, number>;
  unanswered: number;
  /** acked + queued */
  owed: number;
  /** owed messages that arrived (once or more) */
  delivered: number;
  lost: number;
  /** extra copies the app received */
  duplicates: number;
  outOfOrder: number;
  /** answered with an error, and delivered all the same */
  erroredButDelivered: number;
  resumes: { ok: number; failed: number };
  /** owed messages sent or answered while the receiver was away, and how many of them arrived */
  away: { owed: number; delivered: number };
  /** seq gaps the SDK saw (it resumes to fill them) */
  gaps: number;
  /** clients whose SDK gave up for good (a close code it must not reconnect after) */
  closedForGood: number;
}

/**
 * `notes`: what is allowed but worth knowing, as evidence lines (a send answered with an error
 * that arrived all the same: the app may retry it under a new id and get it twice).
 */
export function tally(
  pairs: readonly Pair[],
  parties: readonly Party[],
  allowedErrors: readonly string[],
  allowedFrom?: { code: string; from: number },
): { tally: Tally; breaches: string[]; notes: string[] } {
  const verdict = new Verdict(allowedErrors, allowedFrom);
  for (const pair of pairs) verdict.pair(pair);
  verdict.refusals();
  for (const party of parties) verdict.connections(party);
  return { tally: verdict.t, breaches: verdict.breaches, notes: verdict.notes };
}

class Verdict {
  readonly t: Tally = {
    sent: 0, acked: 0, queued: 0, errors: {}, unanswered: 0, owed: 0, delivered: 0, lost: 0, duplicates: 0,
    outOfOrder: 0, erroredButDelivered: 0, resumes: { ok: 0, failed: 0 }, away: { owed: 0, delivered: 0 }, gaps: 0, closedForGood: 0,
  };
  readonly breaches: string[] = [];
  readonly notes: string[] = [];
  /** per refused code: example lines, and when each was sent */
  private readonly refused = new Map<string, { examples: string[]; at: number[] }>();
  private readonly allowedErrors: readonly string[];
  private readonly allowedFrom: { code: string; from: number } | undefined;

  constructor(allowedErrors: readonly string[], allowedFrom?: { code: string; from: number }) {
    this.allowedErrors = allowedErrors;
    this.allowedFrom = allowedFrom;
  }

  pair(pair: Pair): void {
    const who = `pair ${pair.index} (${pair.sender.name} -> ${pair.receiver.name})`;
    const story = `receiver: ${connectionsOf(pair.receiver)}; sender: ${connectionsOf(pair.sender)}`;
    const { lost, unanswered } = this.sends(pair);
    const { twice, late, unknown } = this.arrivals(pair);
    if (lost.length > 0) this.breaches.push(`${who}: ${lost.length} owed never arrived: ${describe(lost)}; ${story}`);
    if (twice.length > 0) this.breaches.push(`${who}: delivered twice: ${ranges(twice)}; ${story}`);
    if (late.length > 0) this.breaches.push(`${who}: out of order: ${late.slice(0, 10).join(', ')}${late.length > 10 ? ` (+${late.length - 10})` : ''}; ${story}`);
    if (unanswered.length > 0) this.breaches.push(`${who}: ${unanswered.length} sends never answered: ${describe(unanswered)}; ${story}`);
    if (unknown.length > 0) this.breaches.push(`${who}: delivered numbers never sent: ${ranges(unknown)}`);
    // the load happened: each pair got signals through before the fault and again after it
    for (const phase of ['before', 'after'] as const) {
      if (!pair.sends.some((s) => s.phase === phase && owed(s))) this.breaches.push(`${who}: no signal acked ${phase} the fault; ${story}`);
    }
  }

  /** Counts each send by its answer and whether it arrived; returns the owed ones lost and those never answered. */
  private sends(pair: Pair): { lost: Send[]; unanswered: Send[] } {
    const { t } = this;
    const copies = new Map<number, number>();
    for (const d of pair.deliveries) copies.set(d.n, (copies.get(d.n) ?? 0) + 1);
    const lost: Send[] = [];
    const unanswered: Send[] = [];
    for (const send of pair.sends) {
      t.sent++;
      const got = copies.get(send.n) ?? 0;
      const outcome = send.outcome;
      if (outcome === null) {
        t.unanswered++;
        unanswered.push(send);
      } else if (outcome.kind === 'error') {
        this.errorAnswer(pair, send, outcome.code, got > 0);
      } else {
        t[outcome.kind]++;
      }
      if (!owed(send)) continue;
      t.owed++;
      if (send.receiverAway) t.away.owed++;
      if (got === 0) {
        t.lost++;
        lost.push(send);
        continue;
      }
      t.delivered++;
      if (send.receiverAway) t.away.delivered++;
    }
    return { lost, unanswered };
  }

  private errorAnswer(pair: Pair, send: Send, code: string, delivered: boolean): void {
    this.t.errors[code] = (this.t.errors[code] ?? 0) + 1;
    const route = `${pair.sender.name} -> ${pair.receiver.name}`;
    if (delivered) {
      this.t.erroredButDelivered++;
      const arrival = pair.deliveries.find((d) => d.n === send.n)!;
      this.notes.push(`pair ${pair.index} #${send.n} answered ${code} @${send.answeredAt} (sent @${send.at}), delivered @${arrival.at} seq ${arrival.seq} (${route})`);
    }
    if (this.allowedErrors.includes(code)) return;
    if (this.allowedFrom?.code === code && send.at >= this.allowedFrom.from) return;
    const refused = this.refused.get(code) ?? { examples: [], at: [] };
    const receiver = send.receiverAway ? 'receiver away' : 'receiver connected';
    refused.examples.push(`pair ${pair.index} #${send.n} sent @${send.at} answered @${send.answeredAt} (${send.phase}, ${route}, ${receiver}${delivered ? ', delivered anyway' : ''})`);
    refused.at.push(send.at);
    this.refused.set(code, refused);
  }

  /** Copies, order (a number below one delivered before, not a copy) and numbers never sent. */
  private arrivals(pair: Pair): { twice: number[]; late: string[]; unknown: number[] } {
    const bySend = new Map(pair.sends.map((s) => [s.n, s]));
    const how = (n: number): string => {
      const send = bySend.get(n);
      return `${answerOf(send)}, sent @${send?.at}`;
    };
    const seen = new Set<number>();
    const twice: number[] = [];
    const late: string[] = [];
    const unknown: number[] = [];
    let highest = 0;
    for (const d of pair.deliveries) {
      if (!bySend.has(d.n)) unknown.push(d.n);
      if (seen.has(d.n)) {
        this.t.duplicates++;
        twice.push(d.n);
        continue;
      }
      seen.add(d.n);
      if (d.n < highest) {
        this.t.outOfOrder++;
        late.push(`#${d.n} (${how(d.n)}; arrived @${d.at} seq ${d.seq}) after #${highest} (${how(highest)})`);
      }
      highest = Math.max(highest, d.n);
    }
    return { twice, late, unknown };
  }

  /** One breach per error code the contract does not allow for the fault. */
  refusals(): void {
    for (const [code, { examples, at }] of this.refused) {
      const pairs = new Set(examples.map((e) => e.split(' ')[1])).size;
      this.breaches.push(
        `${examples.length} sends answered ${code}, which the contract does not allow here, sent @${Math.min(...at)}..@${Math.max(...at)} to ${pairs} pairs: ` +
          `${examples.slice(0, 8).join('; ')}${examples.length > 8 ? '; ...' : ''}`,
      );
    }
  }

  /** Resumes (every reconnect must resume), SDKs closed for good, seq gaps. */
  connections(party: Party): void {
    const { t } = this;
    t.gaps += party.gaps.length;
    const end = party.closedForGood;
    if (end) {
      t.closedForGood++;
      this.breaches.push(`${party.name}: the SDK closed for good at @${end.at} (close ${end.closeCode ?? '-'}: ${end.reason}); ${connectionsOf(party)}`);
    }
    for (const w of party.welcomes.slice(1)) {
      if (w.resumed?.ok) {
        t.resumes.ok++;
        continue;
      }
      t.resumes.failed++;
      this.breaches.push(`${party.name}: reconnect to ${w.nodeId} at @${w.at} did not resume (${w.resumed ? w.resumed.reason : 'no resume offered'}); ${connectionsOf(party)}`);
    }
  }
}

function answerOf(send: Send | undefined): string {
  const outcome = send?.outcome;
  if (!outcome) return 'unanswered';
  return outcome.kind === 'error' ? outcome.code : outcome.kind;
}

/** One line for the scenario's summary. */
export function summaryLine(label: string, t: Tally): string {
  const errors = Object.entries(t.errors).map(([code, count]) => `${code} ${count}`).join(', ');
  return (
    `[counted] ${label}: sent ${t.sent}, acked ${t.acked}, queued ${t.queued}, errors ${sum(t.errors)}${errors ? ` (${errors})` : ''}, ` +
    `unanswered ${t.unanswered} | owed ${t.owed}, delivered ${t.delivered}, lost ${t.lost}, duplicates ${t.duplicates}, ` +
    `out of order ${t.outOfOrder} | resumes ${t.resumes.ok} ok, ${t.resumes.failed} failed, closed for good ${t.closedForGood} | ` +
    `acked while receiver away ${t.away.delivered}/${t.away.owed} arrived | errored but delivered ${t.erroredButDelivered} | seq gaps ${t.gaps}`
  );
}

function sum(counts: Record<string, number>): number {
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

/** A party's connections: node, session (short), how it opened, and its drops. */
function connectionsOf(party: Party): string {
  const events = [
    ...party.welcomes.map((w) => ({ at: w.at, text: `welcome ${w.nodeId} ${w.sessionId.slice(0, 8)} ${w.resumed ? (w.resumed.ok ? `resumed(replayed ${w.resumed.replayed})` : `not resumed(${w.resumed.reason})`) : 'new'} @${w.at}` })),
    ...party.drops.map((d) => ({ at: d.at, text: `drop ${d.closeCode ?? '-'} "${d.reason.slice(0, 60)}" @${d.at}` })),
  ].sort((a, b) => a.at - b.at);
  return events.map((e) => e.text).join(' > ');
}

/** Sends grouped by outcome and phase, as number ranges. */
function describe(sends: readonly Send[]): string {
  const groups = new Map<string, number[]>();
  for (const s of sends) {
    const key = `${answerOf(s)}/${s.phase}${s.receiverAway ? '/receiver away' : ''}`;
    groups.set(key, [...(groups.get(key) ?? []), s.n]);
  }
  const first = sends[0]!;
  return `${[...groups].map(([key, ns]) => `${ranges(ns)} [${key}]`).join(', ')} (first sent @${first.at} ms)`;
}

function ranges(ns: readonly number[]): string {
  const sorted = [...ns].sort((a, b) => a - b);
  const out: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    out.push(i === j ? `#${sorted[i]}` : `#${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return out.join(',');
}
