/**
 * Reads a node's Prometheus text exposition (GET /metrics) into sample sums by metric name, so a
 * scenario can take the difference of counters before and after a run. Labels are summed over:
 * `tether_frames_in_total{type="signal"}` and `{type="ping"}` add up under one name, unless the
 * caller asks for one label set with `sample(text, name, 'type="signal"')`.
 */
export async function scrape(nodeWsUrl: string): Promise<string> {
  const url = nodeWsUrl.replace(/^ws/, 'http').replace(/\/ws$/, '/metrics');
  const response = await fetch(url);
  if (!response.ok) throw new Error(`GET ${url}: ${response.status}`);
  return response.text();
}

/** Sum of every sample of `name` (optionally only those whose labels contain `labels`). */
export function sample(text: string, name: string, labels?: string): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name) || line.startsWith('#')) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== ' ' && rest[0] !== '{') continue;
    if (labels && !rest.includes(labels)) continue;
    sum += Number(rest.slice(rest.lastIndexOf(' ') + 1));
  }
  return sum;
}

/** `name` summed over every node of a cluster. */
export async function clusterSum(nodeUrls: readonly string[], name: string): Promise<number> {
  const texts = await Promise.all(nodeUrls.map(scrape));
  return texts.reduce((total, text) => total + sample(text, name), 0);
}
