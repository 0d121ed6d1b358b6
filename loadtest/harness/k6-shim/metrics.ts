/**
 * `k6/metrics`: Counter, Gauge, Rate and Trend keep every sample with its tags (the script's and
 * k6's `scenario` tag). What a metric yields for thresholds and the summary follows k6's sinks
 * (metrics/sink.go, metrics/thresholds.go), including the cases that hide a load that never
 * happened: an empty Counter counts 0; an empty Trend gives 0 for every statistic; an empty Rate
 * has no `rate` at all, and a threshold on it is skipped, that is, passes.
 */
import { maybeVu } from './vu.ts';

export type Kind = 'counter' | 'gauge' | 'rate' | 'trend';
type Tags = Record<string, string | number | boolean>;
interface Sample {
  value: number;
  tags: Tags;
}
export interface MetricData {
  kind: Kind;
  isTime: boolean;
  samples: Sample[];
}

export const registry = new Map<string, MetricData>();

class Metric {
  readonly name: string;
  constructor(name: string, kind: Kind, isTime = false) {
    if (!/^[a-zA-Z0-9_]{1,128}$/.test(name)) throw new Error(`invalid metric name ${JSON.stringify(name)}`);
    const known = registry.get(name);
    if (known && known.kind !== kind) throw new Error(`metric ${name} already registered as a ${known.kind}`);
    if (!known) registry.set(name, { kind, isTime, samples: [] });
    this.name = name;
  }

  add(value: number | boolean, tags: Tags = {}): void {
    const vu = maybeVu();
    if (!vu) throw new Error(`k6 runner: ${this.name}.add() outside a VU`);
    registry.get(this.name)!.samples.push({ value: Number(value), tags: { scenario: vu.scenario, ...tags } });
  }
}

export class Counter extends Metric {
  constructor(name: string) {
    super(name, 'counter');
  }
}
export class Gauge extends Metric {
  constructor(name: string, isTime = false) {
    super(name, 'gauge', isTime);
  }
}
export class Rate extends Metric {
  constructor(name: string) {
    super(name, 'rate');
  }
}
export class Trend extends Metric {
  constructor(name: string, isTime = false) {
    super(name, 'trend', isTime);
  }
}

/** `name` or `name{tag:value,...}`: the samples it selects, or null for an unknown metric. */
export function select(expr: string): { kind: Kind; isTime: boolean; samples: Sample[] } | null {
  const m = /^([^{]+)(?:\{(.*)\})?$/.exec(expr);
  const metric = m ? registry.get(m[1]!) : undefined;
  if (!m || !metric) return null;
  const filters = (m[2] ?? '')
    .split(',')
    .filter(Boolean)
    .map((pair) => pair.split(':').map((s) => s.trim()) as [string, string]);
  const samples = metric.samples.filter((s) => filters.every(([k, v]) => String(s.tags[k]) === v));
  return { kind: metric.kind, isTime: metric.isTime, samples };
}

/** k6's percentile of sorted values: linear between the closest ranks; 0 when empty. */
function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = (p / 100) * (sorted.length - 1);
  const low = Math.floor(rank);
  const high = Math.min(sorted.length - 1, low + 1);
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (rank - low);
}

/** What a metric yields, as k6 computes it; `percentiles` adds p(N) values for a Trend. */
export function values(kind: Kind, samples: Sample[], durationS: number, percentiles: number[] = []): Record<string, number> {
  const v = samples.map((s) => s.value);
  switch (kind) {
    case 'counter': {
      const count = v.reduce((a, b) => a + b, 0);
      return { count, rate: count / durationS };
    }
    case 'gauge':
      return v.length ? { value: v.at(-1)!, min: Math.min(...v), max: Math.max(...v) } : { value: 0, min: 0, max: 0 };
    case 'rate': {
      const passes = v.filter((x) => x !== 0).length;
      const out: Record<string, number> = { passes, fails: v.length - passes };
      if (v.length > 0) out.rate = passes / v.length;
      return out;
    }
    case 'trend': {
      const sorted = [...v].sort((a, b) => a - b);
      const out: Record<string, number> = {
        avg: sorted.length ? sorted.reduce((a, b) => a + b, 0) / sorted.length : 0,
        min: sorted[0] ?? 0,
        med: percentile(sorted, 50),
        max: sorted.at(-1) ?? 0,
      };
      for (const p of [90, 95, ...percentiles]) out[`p(${p})`] = percentile(sorted, p);
      return out;
    }
  }
}
