/**
 * Reads a node's Prometheus metrics (GET /metrics), for tests that must act once a node has done
 * some work: `untilMetric` polls a process the test does not control, as waiting for readiness
 * does, and gives up after `timeoutMs`. Extend with a parser for other sample kinds as needed.
 */

/** The sum of every sample of `name` whose labels include `labels`, e.g. ('tether_frames_in_total', 'type="signal"'). */
export async function metricValue(httpBase: string, name: string, labels = ''): Promise<number> {
  const text = await fetch(`${httpBase}/metrics`).then((r) => r.text());
  let sum = 0;
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+)(?:\{([^}]*)\})? ([0-9.e+-]+)$/.exec(line);
    if (m && m[1] === name && (m[2] ?? '').includes(labels)) sum += Number(m[3]);
  }
  return sum;
}

/** Resolves once `name{labels}` on the node reaches `min`. */
export async function untilMetric(httpBase: string, name: string, labels: string, min: number, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await metricValue(httpBase, name, labels)) < min) {
    if (Date.now() > deadline) throw new Error(`${name}{${labels}} on ${httpBase} did not reach ${min} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50)); // polling a process we do not control
  }
}

/** http://host:port of a node's ws://host:port/ws URL */
export function httpBase(wsUrl: string): string {
  return wsUrl.replace(/^ws/, 'http').replace(/\/ws\/?$/, '');
}
