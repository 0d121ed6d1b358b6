/**
 * Open-loop load at fixed offered rates. Messages go out on a schedule (message k of a step is
 * due at start + k / rate), whether or not earlier ones were answered, so a system that falls
 * behind shows it as growing latency instead of quietly slowing the generator down (no
 * coordinated omission). Latency is measured from each message's scheduled time to its delivery
 * at the receiving client, both in this process, so no clocks are compared.
 *
 * A system under test is an `OpenLoopTarget`: it sends message `seq` on one of its lanes (a lane
 * is one sending connection) and reports deliveries and failures to the `Probe` it was built with.
 * A step "sustains" its rate when every message arrived, nothing failed, and p99 < 50 ms.
 */
import { type CpuShare, CpuWatch } from './cpu.ts';
import { type LatencySummary, ms, round, summarize } from './stats.ts';

/** p99 under this, in ms, with nothing lost, is what "sustained" means (issue 6). */
export const SUSTAIN_P99_MS = 50;

export interface Probe {
  /** message `seq` reached its receiver */
  delivered(seq: number): void;
  /** the system refused or lost a message and said so (error ack, nack) */
  failed(reason: string): void;
}

export interface OpenLoopTarget {
  readonly lanes: number;
  send(lane: number, seq: number): void;
  close(): Promise<void>;
}

export interface StepResult {
  /** offered rate, messages per second */
  offered: number;
  sent: number;
  received: number;
  /** not delivered within the drain time after the last send */
  lost: number;
  failures: Record<string, number>;
  /** delivered messages per second over the step (until the last delivery) */
  throughput: number;
  latencyMs: LatencySummary;
  sustained: boolean;
  /** machine CPU during the step; `foreign` is what processes other than ours used */
  cpu: CpuShare;
}

export interface LadderResult {
  /** highest offered rate that was sustained; 0 if none */
  maxSustained: number;
  steps: StepResult[];
}

export class Recorder implements Probe {
  private base = 0;
  private total = 0;
  private intended = new Float64Array(0);
  private latency = new Float64Array(0);
  received = 0;
  duplicates = 0;
  lastAt = 0;
  failures: Record<string, number> = {};

  /** Starts a step whose messages are numbered base .. base + total - 1. */
  reset(base: number, total: number): void {
    this.base = base;
    this.total = total;
    this.intended = new Float64Array(total);
    this.latency = new Float64Array(total).fill(-1);
    this.received = 0;
    this.duplicates = 0;
    this.lastAt = 0;
    this.failures = {};
  }

  scheduled(seq: number, at: number): void {
    this.intended[seq - this.base] = at;
  }

  delivered(seq: number): void {
    const i = seq - this.base;
    if (i < 0 || i >= this.total) return; // a straggler from an earlier step
    if (this.latency[i]! >= 0) {
      this.duplicates++;
      return;
    }
    const now = performance.now();
    this.latency[i] = now - this.intended[i]!;
    this.received++;
    this.lastAt = now;
  }

  failed(reason: string): void {
    this.failures[reason] = (this.failures[reason] ?? 0) + 1;
  }

  latencies(): Float64Array {
    return this.latency.filter((v) => v >= 0);
  }
}

export interface StepOptions {
  durationMs: number;
  /** ms to wait after the last send for stragglers */
  drainMs: number;
}

let nextBase = 1;

export async function runStep(target: OpenLoopTarget, probe: Recorder, rate: number, options: StepOptions): Promise<StepResult> {
  const total = Math.round((rate * options.durationMs) / 1000);
  const base = nextBase;
  nextBase += total + 1000;
  probe.reset(base, total);
  const interval = 1000 / rate;
  const cpu = new CpuWatch();
  cpu.start();
  const start = performance.now();
  let sent = 0;
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const due = Math.min(total, Math.floor((performance.now() - start) / interval) + 1);
      while (sent < due) {
        probe.scheduled(base + sent, start + sent * interval);
        target.send(sent % target.lanes, base + sent);
        sent++;
      }
      if (sent >= total) {
        clearInterval(timer);
        resolve();
      }
    };
    const timer = setInterval(tick, 1);
    tick();
  });
  const drainUntil = performance.now() + options.drainMs;
  while (probe.received < total && performance.now() < drainUntil) {
    await new Promise((r) => setTimeout(r, 5)); // polling our own counter, not a remote system
  }
  const cpuShare = cpu.stop();
  const window = Math.max(options.durationMs, (probe.lastAt || performance.now()) - start);
  const lost = total - probe.received;
  const latencyMs = summarize(probe.latencies());
  const failed = Object.values(probe.failures).reduce((a, b) => a + b, 0);
  return {
    offered: rate,
    sent: total,
    received: probe.received,
    lost,
    failures: probe.failures,
    throughput: Math.round((probe.received * 1000) / window),
    latencyMs: { count: latencyMs.count, p50: ms(latencyMs.p50), p99: ms(latencyMs.p99), p999: ms(latencyMs.p999), max: ms(latencyMs.max) },
    sustained: lost === 0 && failed === 0 && latencyMs.p99 < SUSTAIN_P99_MS,
    cpu: cpuShare,
  };
}

export interface LadderOptions extends StepOptions {
  rates: readonly number[];
  /** ms at the first rate before measuring, discarded (JIT, connection warm-up) */
  warmupMs: number;
  /**
   * ms at each step's own rate just before it is measured, discarded: a system that sat idle
   * while the others ran its steps (its heap shrunk, its caches cold) is measured in steady state
   */
  stepWarmupMs?: number;
  log?: (line: string) => void;
  /**
   * A step that fails while foreign processes used more than this share of the machine is run
   * again (at most twice): the figure should be about the system under test, not a neighbour.
   */
  foreignRetry?: number;
}

/** Runs one step, again (at most twice) if it failed while a neighbour burned the machine. */
async function measuredStep(target: OpenLoopTarget, probe: Recorder, rate: number, options: LadderOptions, label: string): Promise<StepResult> {
  const log = options.log ?? (() => {});
  if (options.stepWarmupMs) await runStep(target, probe, rate, { durationMs: options.stepWarmupMs, drainMs: 1_000 });
  let step = await runStep(target, probe, rate, options);
  for (let retry = 0; !step.sustained && step.cpu.foreign > (options.foreignRetry ?? 0.15) && retry < 2; retry++) {
    log(`  ${label}${rate}/s failed with foreign load at ${Math.round(step.cpu.foreign * 100)}% of the machine; running it again`);
    await new Promise((r) => setTimeout(r, 2_000)); // give the neighbour's burst time to pass
    step = await runStep(target, probe, rate, options);
  }
  const l = step.latencyMs;
  log(
    `  ${label}${String(rate).padStart(6)}/s -> ${String(step.throughput).padStart(6)}/s  p50 ${l.p50} p99 ${l.p99} p99.9 ${l.p999} ms` +
      `  lost ${step.lost}${Object.keys(step.failures).length ? ` failed ${JSON.stringify(step.failures)}` : ''}` +
      `  cpu ${Math.round(step.cpu.busy * 100)}% (foreign ${Math.round(step.cpu.foreign * 100)}%; ` +
      `${Object.entries(step.cpu.cores).filter(([, v]) => v >= 0.01).map(([k, v]) => `${k} ${v}`).join(', ')}; ` +
      `waiting for a CPU, ms/s: ${Object.entries(step.cpu.waitMsPerSecond).filter(([, v]) => v >= 1).map(([k, v]) => `${k} ${v}`).join(', ')})` +
      (step.sustained ? '' : '  (not sustained)'),
  );
  return step;
}

/** Steps up through `rates` until two steps in a row are not sustained (see runLadders). */
export async function runLadder(target: OpenLoopTarget, probe: Recorder, options: LadderOptions): Promise<LadderResult> {
  return (await runLadders([{ name: '', target, probe }], options))['']!;
}

export interface System {
  name: string;
  target: OpenLoopTarget;
  probe: Recorder;
}

/** A system under test that was started for the run, and stops everything it started. */
export interface RunningSystem extends System {
  stop(): Promise<void>;
}

/**
 * Several systems side by side: at each rate every system still standing runs its step, one
 * after the other, so a burst of foreign load or a thermal dip lands on all of them alike, not on
 * whichever ran at that minute. A system leaves the ladder after two steps in a row that it did
 * not sustain: near saturation one GC pause or scheduling stall can push a 3-4 s window's p99
 * past 50 ms, and a system that then sustains the next rate up did not stop sustaining. Its
 * `maxSustained` is the highest rate it sustained; every step is kept, failures included.
 */
export async function runLadders(systems: System[], options: LadderOptions): Promise<Record<string, LadderResult>> {
  const results: Record<string, LadderResult> = {};
  for (const s of systems) {
    await runStep(s.target, s.probe, options.rates[0]!, { durationMs: options.warmupMs, drainMs: options.drainMs });
    results[s.name] = { maxSustained: 0, steps: [] };
  }
  const standing = new Set(systems);
  const failedBefore = new Set<System>();
  for (const rate of options.rates) {
    for (const s of [...standing]) {
      const step = await measuredStep(s.target, s.probe, rate, options, s.name ? `${s.name.padEnd(9)} ` : '');
      results[s.name]!.steps.push(step);
      if (step.sustained) {
        results[s.name]!.maxSustained = rate;
        failedBefore.delete(s);
      } else if (failedBefore.has(s)) {
        standing.delete(s);
      } else {
        failedBefore.add(s);
      }
      await new Promise((r) => setTimeout(r, 300)); // let queues and GC settle between steps
    }
    if (standing.size === 0) break;
  }
  return results;
}

/** The step at `rate`, if the ladder reached it. */
export function stepAt(result: LadderResult, rate: number): StepResult | undefined {
  return result.steps.find((s) => s.offered === rate);
}

export { round };
