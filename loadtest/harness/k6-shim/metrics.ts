/**
 * `k6/metrics`: Trend, Counter, Rate and Gauge collect samples with their tags; `report` prints a
 * k6-like summary and evaluates thresholds of the forms the Tether scripts use
 * (`p(N)<X`, `avg<X`, `max<X`, `count==N`, `count<N`, `rate>X`, `rate<X`, with `{tag:value}` submetrics).
 */
type Tags = Record<string, string | number | boolean>;
interface Sample {
  value: number;
  tags: Tags;
}

export const registry = new Map<string, { kind: 'trend' | 'counter' | 'rate' | 'gauge'; samples: Sample[] }>();

class Metric {
  readonly name: string;
  constructor(name: string, kind: 'trend' | 'counter' | 'rate' | 'gauge') {
    this.name = name;
    if (!registry.has(name)) registry.set(name, { kind, samples: [] });
  }
  add(value: number | boolean, tags: Tags = {}): void {
    registry.get(this.name)!.samples.push({ value: Number(value), tags });
  }
}

export class Trend extends Metric {
  constructor(name: string, _isTime = false) {
    super(name, 'trend');
  }
}
export class Counter extends Metric {
  constructor(name: string) {
    super(name, 'counter');
  }
}
export class Rate extends Metric {
  constructor(name: string) {
    super(name, 'rate');
  }
}
export class Gauge extends Metric {
  constructor(name: string) {
    super(name, 'gauge');
  }
}

interface Stats {
  count: number;
  sum: number;
  avg: number;
  min: number;
  max: number;
  rate: number;
  p(q: number): number;
}

function stats(samples: Sample[]): Stats {
  const v = samples.map((s) => s.value).sort((a, b) => a - b);
  const p = (q: number): number => (v.length ? v[Math.min(v.length - 1, Math.ceil((q / 100) * v.length) - 1)]! : NaN);
  const sum = v.reduce((a, b) => a + b, 0);
  return { count: v.length, sum, avg: v.length ? sum / v.length : NaN, min: v[0] ?? NaN, max: v.at(-1) ?? NaN, rate: v.length ? sum / v.length : NaN, p };
}

function select(expr: string): { name: string; samples: Sample[]; kind: string } | null {
  const m = /^([^{]+)(?:\{([^:]+):([^}]+)\})?$/.exec(expr);
  if (!m) return null;
  const metric = registry.get(m[1]!);
  if (!metric) return { name: expr, samples: [], kind: 'missing' };
  const samples = m[2] ? metric.samples.filter((s) => String(s.tags[m[2]!]) === m[3]) : metric.samples;
  return { name: expr, samples, kind: metric.kind };
}

function holds(samples: Sample[], kind: string, rule: string): boolean {
  const m = /^(p\((\d+(?:\.\d+)?)\)|avg|max|min|count|rate)\s*(<=|>=|==|<|>)\s*([\d.]+)$/.exec(rule.replace(/\s+/g, ''));
  if (!m) throw new Error(`k6 shim: threshold rule not understood: ${rule}`);
  const s = stats(samples);
  const field = m[1] as 'avg' | 'max' | 'min' | 'count' | 'rate';
  const left = m[2] ? s.p(Number(m[2])) : field === 'count' && kind === 'counter' ? s.sum : s[field];
  const right = Number(m[4]);
  switch (m[3]) {
    case '<': return left < right;
    case '<=': return left <= right;
    case '>': return left > right;
    case '>=': return left >= right;
    default: return left === right;
  }
}

/** Prints every metric and each threshold's verdict; returns false if any threshold failed. */
export function report(thresholds: Record<string, string[]> = {}): boolean {
  for (const [name, { kind, samples }] of [...registry].sort()) {
    const s = stats(samples);
    const line =
      kind === 'trend'
        ? `avg=${s.avg.toFixed(2)} p(50)=${s.p(50).toFixed(2)} p(95)=${s.p(95).toFixed(2)} p(99)=${s.p(99).toFixed(2)} max=${s.max.toFixed(2)} count=${s.count}`
        : kind === 'rate'
          ? `rate=${(s.rate * 100).toFixed(2)}% (${s.sum}/${s.count})`
          : `count=${s.sum}`;
    console.log(`  ${name.padEnd(28)} ${line}`);
  }
  let ok = true;
  for (const [expr, rules] of Object.entries(thresholds)) {
    const sel = select(expr);
    for (const rule of rules) {
      const pass = sel !== null && sel.kind !== 'missing' && sel.samples.length > 0 ? holds(sel.samples, sel.kind, rule) : sel?.kind === 'counter';
      ok &&= pass;
      console.log(`  ${pass ? 'ok  ' : 'FAIL'} ${expr}: ${rule}${sel?.samples.length ? '' : ' (no samples)'}`);
    }
  }
  return ok;
}
