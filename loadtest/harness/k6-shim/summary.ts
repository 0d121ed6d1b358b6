/**
 * The end-of-test summary: a short text one on stdout, and the JSON that `k6 run
 * --summary-export=<file>` writes (k6's legacy format: per metric its values, `thresholds` as
 * `{ "<source>": <true if it FAILED> }`, a Rate's `rate` under `value`; `root_group.checks` by
 * name with passes and fails). A metric appears once it has samples or a threshold, as in k6.
 */
import { checkResults } from './k6.ts';
import { registry, select, values } from './metrics.ts';
import type { ThresholdResult } from './thresholds.ts';

type Values = Record<string, number>;

function metricsWithValues(thresholds: ThresholdResult[], durationS: number): Map<string, { kind: string; values: Values }> {
  const names = new Set([...registry].filter(([, m]) => m.samples.length > 0).map(([name]) => name));
  for (const t of thresholds) names.add(t.metric);
  const out = new Map<string, { kind: string; values: Values }>();
  for (const name of [...names].sort()) {
    const sel = select(name)!;
    out.set(name, { kind: sel.kind, values: values(sel.kind, sel.samples, durationS, [99]) });
  }
  return out;
}

export function exportJson(thresholds: ThresholdResult[], durationS: number): string {
  const metrics: Record<string, Record<string, unknown>> = {};
  for (const [name, m] of metricsWithValues(thresholds, durationS)) {
    const v: Record<string, unknown> = { ...m.values };
    if (m.kind === 'rate') {
      v.value = m.values.rate ?? 0;
      delete v.rate;
    }
    const own = thresholds.filter((t) => t.metric === name);
    if (own.length > 0) v.thresholds = Object.fromEntries(own.map((t) => [t.source, !t.ok]));
    metrics[name] = v;
  }
  const checks = Object.fromEntries(
    [...checkResults].map(([name, c]) => [name, { name, path: `::${name}`, id: '', passes: c.passes, fails: c.fails }]),
  );
  return JSON.stringify({ root_group: { name: '', path: '', id: 'd41d8cd98f00b204e9800998ecf8427e', groups: {}, checks }, metrics }, null, 4);
}

function show(kind: string, v: Values): string {
  switch (kind) {
    case 'trend':
      return ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)', 'p(99)'].map((k) => `${k}=${(v[k] ?? 0).toFixed(2)}`).join(' ');
    case 'rate':
      return v.rate === undefined ? 'no samples' : `${(v.rate * 100).toFixed(2)}% (${v.passes} of ${v.passes! + v.fails!})`;
    case 'counter':
      return `count=${v.count} rate=${v.rate!.toFixed(2)}/s`;
    default:
      return `value=${v.value}`;
  }
}

export function textSummary(thresholds: ThresholdResult[], durationS: number, outcomes: Record<string, number>): string {
  const lines = ['', `  run ${durationS.toFixed(1)} s; iterations: ${Object.entries(outcomes).map(([k, n]) => `${n} ${k}`).join(', ')}`];
  if (thresholds.length) lines.push('', '  THRESHOLDS');
  for (const t of thresholds) lines.push(`    ${t.ok ? '✓' : '✗'} ${t.metric}: ${t.source}${t.skipped ? `  (skipped: ${t.skipped})` : ''}`);
  if (checkResults.size) lines.push('', '  CHECKS');
  for (const [name, c] of checkResults) lines.push(`    ${c.fails === 0 ? '✓' : '✗'} ${name}: ${c.passes} passed, ${c.fails} failed`);
  lines.push('', '  METRICS');
  for (const [name, m] of metricsWithValues(thresholds, durationS)) lines.push(`    ${name.padEnd(34)} ${show(m.kind, m.values)}`);
  return lines.join('\n') + '\n';
}
