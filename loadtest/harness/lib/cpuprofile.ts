/**
 * Summarizes a V8 .cpuprofile (written by `node --cpu-prof`) into self time by function and by
 * module: node_modules/<package>, a file under src/, a node: internal, or V8's own buckets
 * ((garbage collector), (idle), (program)). `byCaller` charges time spent in natives and node:
 * internals (a socket write syscall, a Buffer copy) to the nearest package or src/ file up the
 * stack, which says which library's writes cost what. Enough to name a bottleneck without a viewer.
 */
import { readFile } from 'node:fs/promises';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  /** sampled ms, idle excluded */
  busyMs: number;
  byModule: Array<{ name: string; share: number }>;
  byFunction: Array<{ name: string; share: number }>;
  byCaller: Array<{ name: string; share: number }>;
}

/** A module that names who asked for the work: a package or a project file, not node's plumbing. */
const isApplication = (m: string): boolean => !m.startsWith('node:') && !m.startsWith('(');

function moduleOf(url: string, fn: string): string {
  if (!url) return fn.startsWith('(') ? fn : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  if (url.startsWith('node:')) return url;
  const src = /\/(src\/.*)$/.exec(url);
  return src ? src[1]! : url.replace(/^file:\/\//, '');
}

export async function summarizeProfile(path: string, top = 15): Promise<ProfileSummary> {
  const profile = JSON.parse(await readFile(path, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const callerCache = new Map<number, string>();
  const callerOf = (id: number): string => {
    const cached = callerCache.get(id);
    if (cached) return cached;
    let found = '(no application frame)';
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const { url, functionName } = byId.get(at)!.callFrame;
      const m = moduleOf(url, functionName);
      if (isApplication(m)) {
        found = m;
        break;
      }
    }
    callerCache.set(id, found);
    return found;
  };
  const fn = new Map<string, number>();
  const mod = new Map<string, number>();
  const caller = new Map<string, number>();
  let busy = 0;
  profile.samples.forEach((id, i) => {
    const node = byId.get(id)!;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)') return;
    const us = profile.timeDeltas[i] ?? 0;
    busy += us;
    const m = moduleOf(url, functionName);
    const name = `${functionName || '(anonymous)'} ${url ? `${m}:${lineNumber + 1}` : ''}`.trim();
    fn.set(name, (fn.get(name) ?? 0) + us);
    mod.set(m, (mod.get(m) ?? 0) + us);
    const c = functionName === '(garbage collector)' || functionName === '(program)' ? functionName : callerOf(id);
    caller.set(c, (caller.get(c) ?? 0) + us);
  });
  const rank = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, share: Math.round((us / busy) * 1000) / 10 }));
  return { busyMs: Math.round(busy / 1000), byModule: rank(mod), byFunction: rank(fn), byCaller: rank(caller) };
}
