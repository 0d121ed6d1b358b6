/**
 * How busy the machine was, and how much of that was not us. The benchmark shares 2 cores with
 * whatever else runs on the machine (other test suites, other sessions); a figure measured while
 * something foreign burned a core is not a figure about Tether. `CpuWatch` reads /proc: busy time
 * of all CPUs (/proc/stat) and the CPU time of this process and all its descendants (the nodes,
 * RabbitMQ, Redis and baseline servers it started), so "foreign" is the rest.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

function machineBusyTicks(): number {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal
  return fields[0]! + fields[1]! + fields[2]! + fields[5]! + fields[6]! + fields[7]!;
}

/** What a process of ours is, for the CPU breakdown. */
function role(pid: number): string {
  if (pid === process.pid) return 'load generator';
  let cmd: string;
  try {
    cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return 'other';
  }
  // compare.ts runs two clusters side by side, each labelled after src/main.ts
  const side = /src\/main\.ts side=([^\s)]+)/.exec(cmd);
  if (side) return `tether nodes (${side[1]})`;
  if (cmd.includes('src/main.ts')) return 'tether nodes';
  if (cmd.includes('beam.smp')) return 'rabbitmq';
  if (cmd.includes('redis-server')) return 'redis';
  if (cmd.includes('socketio-server')) return 'socket.io servers';
  if (cmd.includes('ws-echo-server')) return 'ws echo server';
  if (cmd.includes('idle-clients')) return 'load clients';
  return 'other';
}

/** ns the threads of `pid` spent runnable but waiting for a CPU (/proc/<pid>/task/<tid>/schedstat). */
function runDelayNs(pid: number): number {
  let sum = 0;
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        sum += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[1]);
      } catch {
        // thread gone
      }
    }
  } catch {
    // process gone
  }
  return sum;
}

/** utime + stime of `root` and every live descendant, in ticks, by pid. */
function treeTicks(root: number): Map<number, number> {
  const parent = new Map<number, number>();
  const ticks = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parent.set(Number(entry), Number(rest[1]));
      ticks.set(Number(entry), Number(rest[11]) + Number(rest[12]));
    } catch {
      // exited while we looked
    }
  }
  const ours = new Map<number, number>();
  for (const [pid, t] of ticks) {
    for (let p: number | undefined = pid; p !== undefined && p > 1; p = parent.get(p)) {
      if (p === root) {
        ours.set(pid, t);
        break;
      }
    }
  }
  return ours;
}

const sum = (m: Map<number, number>): number => [...m.values()].reduce((a, b) => a + b, 0);

export interface CpuShare {
  /** share of the whole machine (all cores) busy, 0-1 */
  busy: number;
  /** share of the whole machine used by processes that are not ours, 0-1 */
  foreign: number;
  /** cores used by each kind of process of ours (1 = one core fully busy) */
  cores: Record<string, number>;
  /**
   * ms per second that each kind's threads were ready to run but waited for a CPU (summed over
   * threads): how much the processes stood in line for the 2 cores
   */
  waitMsPerSecond: Record<string, number>;
}

export class CpuWatch {
  private t0 = 0;
  private busy0 = 0;
  private ours0 = new Map<number, number>();
  private delay0 = new Map<number, number>();

  start(): void {
    this.t0 = performance.now();
    this.busy0 = machineBusyTicks();
    this.ours0 = treeTicks(process.pid);
    this.delay0 = new Map([...this.ours0.keys()].map((pid) => [pid, runDelayNs(pid)]));
  }

  stop(): CpuShare {
    const seconds = (performance.now() - this.t0) / 1000;
    const capacity = seconds * TICKS_PER_SECOND * availableParallelism();
    const busy = machineBusyTicks() - this.busy0;
    const ours1 = treeTicks(process.pid);
    const cores: Record<string, number> = {};
    for (const [pid, t] of ours1) {
      const name = role(pid);
      cores[name] = (cores[name] ?? 0) + (t - (this.ours0.get(pid) ?? 0)) / TICKS_PER_SECOND / seconds;
    }
    for (const name of Object.keys(cores)) cores[name] = Math.round(cores[name]! * 100) / 100;
    const waitMsPerSecond: Record<string, number> = {};
    for (const [pid, before] of this.delay0) {
      const name = role(pid);
      waitMsPerSecond[name] = (waitMsPerSecond[name] ?? 0) + (runDelayNs(pid) - before) / 1e6 / seconds;
    }
    for (const name of Object.keys(waitMsPerSecond)) waitMsPerSecond[name] = Math.round(Math.max(0, waitMsPerSecond[name]!));
    const ours = sum(ours1) - sum(this.ours0);
    const round = (x: number): number => Math.round(Math.max(0, Math.min(1, x)) * 100) / 100;
    return { busy: round(busy / capacity), foreign: round((busy - ours) / capacity), cores, waitMsPerSecond };
  }
}

/**
 * Waits, up to `maxMs`, for a 2 s window in which foreign processes use under `threshold` of the
 * machine; resolves with the last window's share either way (the caller records it).
 */
export async function waitForQuiet(maxMs: number, threshold = 0.1, log: (line: string) => void = () => {}): Promise<CpuShare> {
  const deadline = performance.now() + maxMs;
  for (;;) {
    const watch = new CpuWatch();
    watch.start();
    await new Promise((r) => setTimeout(r, 2_000)); // a measurement window, not a synchronization sleep
    const share = watch.stop();
    if (share.foreign < threshold || performance.now() > deadline) return share;
    log(`  waiting for a quieter machine: foreign load ${Math.round(share.foreign * 100)}% of 2 cores`);
  }
}
