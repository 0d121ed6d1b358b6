/**
 * Thresholds as k6 parses, validates and evaluates them (metrics/thresholds*.go): `<aggregation>
 * <op> <number>`, with the aggregations each metric type supports; an unknown metric or an
 * unsupported aggregation is a configuration error (exit 104) before the test starts. A
 * threshold whose aggregation has no value (a Rate with no samples) is skipped: it passes.
 */
import { type Kind, select, values } from './metrics.ts';

const SUPPORTED: Record<Kind, RegExp> = {
  counter: /^(count|rate)$/,
  gauge: /^value$/,
  rate: /^rate$/,
  trend: /^(avg|min|max|med|p\(\d+(\.\d+)?\))$/,
};

interface Parsed {
  source: string;
  aggregation: string;
  op: string;
  value: number;
}

export class InvalidThreshold extends Error {}

function parse(source: string): Parsed {
  const m = /^\s*(count|rate|value|avg|min|max|med|p\(\s*\d+(?:\.\d+)?\s*\))\s*(<=|>=|===|==|!=|<|>)\s*(-?\d+(?:\.\d+)?)\s*$/.exec(source);
  if (!m) throw new InvalidThreshold(`invalid threshold ${JSON.stringify(source)}`);
  return { source, aggregation: m[1]!.replace(/\s+/g, ''), op: m[2]!, value: Number(m[3]) };
}

export interface ThresholdResult {
  metric: string;
  source: string;
  ok: boolean;
  /** set when the threshold could not be evaluated (k6 logs it and the threshold passes) */
  skipped?: string;
}

type Spec = Record<string, Array<string | { threshold: string }>>;

/** Throws InvalidThreshold, as k6 refuses to start, for unknown metrics and bad expressions. */
export function validate(spec: Spec): void {
  for (const [expr, rules] of Object.entries(spec)) {
    const sel = select(expr);
    if (!sel) throw new InvalidThreshold(`invalid threshold defined on ${expr}; reason: no metric name ${JSON.stringify(expr.split('{')[0])} found`);
    for (const rule of rules) {
      const p = parse(typeof rule === 'string' ? rule : rule.threshold);
      if (!SUPPORTED[sel.kind].test(p.aggregation)) {
        throw new InvalidThreshold(`invalid threshold ${JSON.stringify(p.source)} applied on metric ${expr}: unsupported aggregation method ${p.aggregation} on a ${sel.kind}`);
      }
    }
  }
}

export function evaluate(spec: Spec, durationS: number): ThresholdResult[] {
  const results: ThresholdResult[] = [];
  for (const [expr, rules] of Object.entries(spec)) {
    const sel = select(expr)!;
    const parsed = rules.map((r) => parse(typeof r === 'string' ? r : r.threshold));
    const percentiles = parsed.map((p) => /^p\((.+)\)$/.exec(p.aggregation)?.[1]).filter((x): x is string => x !== undefined).map(Number);
    const sink = values(sel.kind, sel.samples, durationS, percentiles);
    for (const p of parsed) {
      const left = sink[p.aggregation.replace(/^p\((.+)\)$/, (_, n: string) => `p(${Number(n)})`)];
      if (left === undefined) {
        results.push({ metric: expr, source: p.source, ok: true, skipped: `no ${p.aggregation} value (no samples)` });
        continue;
      }
      const ok =
        p.op === '<' ? left < p.value
        : p.op === '<=' ? left <= p.value
        : p.op === '>' ? left > p.value
        : p.op === '>=' ? left >= p.value
        : p.op === '!=' ? left !== p.value
        : left === p.value;
      results.push({ metric: expr, source: p.source, ok });
    }
  }
  return results;
}
