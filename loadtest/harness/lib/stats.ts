/** Latency summaries. All inputs and outputs are milliseconds. */

export interface LatencySummary {
  count: number;
  p50: number;
  p99: number;
  p999: number;
  max: number;
}

/** Nearest-rank percentiles of `samples` (copied and sorted; the input is left as is). */
export function summarize(samples: ArrayLike<number>): LatencySummary {
  const sorted = Float64Array.from(samples).sort();
  const at = (q: number): number => (sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!);
  return { count: sorted.length, p50: at(0.5), p99: at(0.99), p999: at(0.999), max: sorted.length ? sorted[sorted.length - 1]! : NaN };
}

/** Rounds for reports: ms to 2 significant decimals below 10, 1 above. */
export function ms(value: number): number {
  if (!Number.isFinite(value)) return value;
  return value < 10 ? Math.round(value * 100) / 100 : Math.round(value * 10) / 10;
}

export function round(value: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
