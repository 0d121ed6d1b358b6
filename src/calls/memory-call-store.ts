import type { Sender } from '../protocol/index.ts';
import { StoreError } from '../store/store.ts';
import * as rules from './call-rules.ts';
import type { CallRecord, CallStore, Change, Created, NewCall, Transition } from './call-store.ts';

/** The calls a `MemoryCallStore` keeps; nodes of an in-process test cluster share one. */
export class MemoryCallData {
  readonly calls = new Map<string, CallRecord>();
}

/**
 * Calls kept in this process: the embedded default (no REDIS_URL), and the in-process test
 * cluster. Each operation runs synchronously, so it is atomic; ended calls are dropped `keepMs`
 * after they end, lazily.
 */
export class MemoryCallStore implements CallStore {
  private readonly d: MemoryCallData;
  private closed = false;

  constructor(data: MemoryCallData = new MemoryCallData()) {
    this.d = data;
  }

  async start(): Promise<void> {}

  async close(): Promise<void> {
    this.closed = true;
  }

  async create(call: NewCall, now: number): Promise<Created> {
    this.sweep(now);
    const existing = this.d.calls.get(call.callId);
    if (existing) {
      const same = existing.caller.userId === call.caller.userId && call.callees.includes(existing.callee);
      return same ? { kind: 'exists', call: copy(existing) } : { kind: 'taken' };
    }
    const [callee] = call.callees;
    const crossing = [...this.d.calls.values()].find(
      (c) => c.state === 'ringing' && c.callee === call.caller.userId && c.caller.userId === callee && c.ringUntil > now,
    );
    if (crossing) {
      const outcome = rules.accept(call.caller)(crossing, now);
      if (outcome.kind !== 'accepted') throw new Error(`glare accept failed: ${outcome.kind}`);
      this.d.calls.set(crossing.callId, outcome.call);
      return { kind: 'glare', call: copy(outcome.call) };
    }
    const record = rules.newRecord(call, now);
    this.d.calls.set(call.callId, record);
    return { kind: 'created', call: copy(record) };
  }

  async accept(callId: string, by: Sender, now: number): Promise<Transition> {
    return this.apply(callId, now, rules.accept(by));
  }

  async reject(callId: string, userId: string, now: number): Promise<Transition> {
    return this.apply(callId, now, rules.reject(userId));
  }

  async cancel(callId: string, userId: string, now: number): Promise<Transition> {
    return this.apply(callId, now, rules.cancel(userId));
  }

  async hangup(callId: string, userId: string, now: number): Promise<Transition> {
    return this.apply(callId, now, rules.hangup(userId));
  }

  async markWoken(callId: string, callee: string): Promise<void> {
    this.assertOpen();
    const call = this.d.calls.get(callId);
    if (call?.state === 'ringing' && call.callee === callee) call.woken = true;
  }

  async due(now: number, limit: number): Promise<Change[]> {
    this.assertOpen();
    const due = [...this.d.calls.values()]
      .filter((c) => (rules.deadline(c) ?? Infinity) <= now)
      .sort((a, b) => rules.deadline(a)! - rules.deadline(b)!)
      .slice(0, limit);
    const changes: Change[] = [];
    for (const call of due) {
      const change = rules.timeout(call, now);
      if (!change) continue;
      this.d.calls.set(call.callId, change.call);
      changes.push(copyChange(change));
    }
    this.sweep(now);
    return changes;
  }

  async ringingFor(userId: string, now: number): Promise<CallRecord[]> {
    this.assertOpen();
    return [...this.d.calls.values()].filter((c) => c.state === 'ringing' && c.callee === userId && c.ringUntil > now).map(copy);
  }

  mayRing(userId: string): boolean {
    for (const call of this.d.calls.values()) if (call.state === 'ringing' && call.callee === userId) return true;
    return false;
  }

  async get(callId: string): Promise<CallRecord | null> {
    this.assertOpen();
    const call = this.d.calls.get(callId);
    return call ? copy(call) : null;
  }

  private apply(callId: string, now: number, rule: (call: CallRecord, now: number) => Transition): Transition {
    this.assertOpen();
    const call = this.d.calls.get(callId);
    if (!call || gone(call, now)) return { kind: 'not_found' };
    const outcome = rule(call, now);
    if (outcome.kind === 'accepted' || outcome.kind === 'ended' || outcome.kind === 'escalated') {
      this.d.calls.set(callId, outcome.call);
      return copyChange(outcome);
    }
    return 'call' in outcome ? { ...outcome, call: copy(outcome.call) } : outcome;
  }

  /** Forgets calls ended longer than their `keepMs` ago. */
  private sweep(now: number): void {
    this.assertOpen();
    for (const [id, call] of this.d.calls) if (gone(call, now)) this.d.calls.delete(id);
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreError('memory call store is closed');
  }
}

function gone(call: CallRecord, now: number): boolean {
  return call.state === 'ended' && call.endedAt! + call.keepMs <= now;
}

function copy(call: CallRecord): CallRecord {
  return structuredClone(call);
}

function copyChange(change: Change): Change {
  return change.kind === 'escalated' ? { ...change, call: copy(change.call), left: { ...change.left } } : { ...change, call: copy(change.call) };
}
