/**
 * Reads a V8 heap snapshot (.heapsnapshot, as written on `--heapsnapshot-signal`) into live
 * bytes and object counts by kind: `Object:<constructor>`, `closure:<function>`, `string`,
 * `array`, `code`, ... A snapshot is taken after a full GC, so only live objects are counted.
 * Diffing two snapshots and dividing by the connections opened between them gives the heap cost
 * of one connection, class by class.
 */
import { readFile } from 'node:fs/promises';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

export type HeapCensus = Map<string, { count: number; bytes: number }>;

export async function heapCensus(path: string): Promise<HeapCensus> {
  const snap = JSON.parse(await readFile(path, 'utf8')) as Snapshot;
  const fields = snap.snapshot.meta.node_fields;
  const width = fields.length;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const sizeAt = fields.indexOf('self_size');
  const types = snap.snapshot.meta.node_types[0];
  const census: HeapCensus = new Map();
  for (let i = 0; i < snap.nodes.length; i += width) {
    const type = types[snap.nodes[i + typeAt]!]!;
    const name = snap.strings[snap.nodes[i + nameAt]!]!;
    const key = type === 'object' || type === 'closure' || type === 'native' ? `${type}:${name.slice(0, 60)}` : type;
    const entry = census.get(key) ?? { count: 0, bytes: 0 };
    entry.count++;
    entry.bytes += snap.nodes[i + sizeAt]!;
    census.set(key, entry);
  }
  return census;
}

/** Per-connection growth by kind between two censuses, largest first. */
export function perConnection(before: HeapCensus, after: HeapCensus, connections: number): Array<{ kind: string; objects: number; bytes: number }> {
  const rows = [];
  for (const [kind, a] of after) {
    const b = before.get(kind) ?? { count: 0, bytes: 0 };
    rows.push({ kind, objects: Math.round(((a.count - b.count) / connections) * 100) / 100, bytes: Math.round((a.bytes - b.bytes) / connections) });
  }
  return rows.sort((x, y) => y.bytes - x.bytes);
}
