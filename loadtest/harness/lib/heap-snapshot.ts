/**
 * Reads a V8 heap snapshot (.heapsnapshot, as written on `--heapsnapshot-signal`) into live
 * bytes and object counts by kind: `Object:<constructor>`, `closure:<function>`, `string`,
 * `array`, `code`, ... A snapshot is taken after a full GC, so only live objects are counted.
 * Diffing two snapshots and dividing by the connections opened between them gives the heap cost
 * of one connection, class by class.
 */
import { readFile } from 'node:fs/promises';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]]; edge_fields: string[]; edge_types: [string[], ...unknown[]] } };
  nodes: number[];
  edges: number[];
  strings: string[];
}

export type HeapCensus = Map<string, { count: number; bytes: number }>;

/**
 * With `byRetainer`, each kind is split by its first retainer, as `kind <- retainer kind.edge`
 * (`array <- object:Session.subscriptions`): which object holds each connection's arrays,
 * closures and contexts.
 */
export async function heapCensus(path: string, byRetainer = false): Promise<HeapCensus> {
  const snap = JSON.parse(await readFile(path, 'utf8')) as Snapshot;
  const fields = snap.snapshot.meta.node_fields;
  const width = fields.length;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const sizeAt = fields.indexOf('self_size');
  const types = snap.snapshot.meta.node_types[0];
  const kindOf = (i: number): string => {
    const type = types[snap.nodes[i + typeAt]!]!;
    const name = snap.strings[snap.nodes[i + nameAt]!]!;
    return type === 'object' || type === 'closure' || type === 'native' ? `${type}:${name.slice(0, 60)}` : type;
  };
  const retainers = byRetainer ? firstRetainers(snap, kindOf) : undefined;
  const census: HeapCensus = new Map();
  for (let i = 0; i < snap.nodes.length; i += width) {
    const kind = kindOf(i);
    const key = retainers ? `${kind} <- ${retainers.get(i / width) ?? '(root)'}` : kind;
    const entry = census.get(key) ?? { count: 0, bytes: 0 };
    entry.count++;
    entry.bytes += snap.nodes[i + sizeAt]!;
    census.set(key, entry);
  }
  return census;
}

/** For each node (by ordinal), `kind.edge` of the first strong edge that points to it. */
function firstRetainers(snap: Snapshot, kindOf: (i: number) => string): Map<number, string> {
  const nodeWidth = snap.snapshot.meta.node_fields.length;
  const edgeCountAt = snap.snapshot.meta.node_fields.indexOf('edge_count');
  const edgeFields = snap.snapshot.meta.edge_fields;
  const edgeWidth = edgeFields.length;
  const edgeTypeAt = edgeFields.indexOf('type');
  const edgeNameAt = edgeFields.indexOf('name_or_index');
  const toAt = edgeFields.indexOf('to_node');
  const edgeTypes = snap.snapshot.meta.edge_types[0];
  const out = new Map<number, string>();
  let e = 0;
  for (let i = 0; i < snap.nodes.length; i += nodeWidth) {
    const count = snap.nodes[i + edgeCountAt]!;
    for (let k = 0; k < count; k++, e += edgeWidth) {
      const type = edgeTypes[snap.edges[e + edgeTypeAt]!]!;
      if (type === 'weak' || type === 'shortcut') continue;
      const to = snap.edges[e + toAt]! / nodeWidth;
      if (out.has(to)) continue;
      const raw = snap.edges[e + edgeNameAt]!;
      const name = type === 'element' || type === 'hidden' ? '[]' : snap.strings[raw]!;
      out.set(to, `${kindOf(i)}.${name.slice(0, 40)}`);
    }
  }
  return out;
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
