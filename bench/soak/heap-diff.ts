// Compares two V8 heap snapshots of the soak's server (SOAK_HEAP_SNAPSHOTS=<dir> makes the server
// child write one each minute) to find what grows: objects counted and sized by constructor, and the
// largest Maps/Sets/arrays with the path that holds them, so a collection that only ever grows shows
// up with its owner's name.
//
//   node --import tsx bench/soak/heap-diff.ts <earlier.heapsnapshot> <later.heapsnapshot> [--top 30]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]]; edge_fields: string[]; edge_types: [string[], ...unknown[]] } };
  nodes: number[];
  edges: number[];
  strings: string[];
}

class Heap {
  readonly nodeCount: number;
  private readonly nf: number;
  private readonly ef: number;
  private readonly firstEdge: Uint32Array;
  /** One retainer per node and the edge from it (on a shortest path from the root, weak edges skipped). */
  private readonly retainer: Int32Array;
  private readonly retainerEdge: Int32Array;

  constructor(readonly s: Snapshot) {
    const m = s.snapshot.meta;
    this.nf = m.node_fields.length;
    this.ef = m.edge_fields.length;
    this.nodeCount = s.nodes.length / this.nf;
    this.firstEdge = new Uint32Array(this.nodeCount + 1);
    const edgeCountAt = m.node_fields.indexOf('edge_count');
    for (let i = 0, e = 0; i < this.nodeCount; i++) {
      this.firstEdge[i] = e;
      e += s.nodes[i * this.nf + edgeCountAt]! * this.ef;
      this.firstEdge[i + 1] = e;
    }
    this.retainer = new Int32Array(this.nodeCount).fill(-1);
    this.retainerEdge = new Int32Array(this.nodeCount).fill(-1);
    const weak = m.edge_types[0].indexOf('weak');
    const toAt = m.edge_fields.indexOf('to_node');
    const typeAt = m.edge_fields.indexOf('type');
    // Breadth-first from the root, so each node's retainer is on a shortest path.
    const queue = new Int32Array(this.nodeCount);
    let head = 0;
    let tail = 0;
    queue[tail++] = 0;
    this.retainer[0] = 0;
    while (head < tail) {
      const n = queue[head++]!;
      for (let e = this.firstEdge[n]!; e < this.firstEdge[n + 1]!; e += this.ef) {
        if (s.edges[e + typeAt] === weak) continue;
        const to = s.edges[e + toAt]! / this.nf;
        if (this.retainer[to] !== -1) continue;
        this.retainer[to] = n;
        this.retainerEdge[to] = e;
        queue[tail++] = to;
      }
    }
  }

  field(n: number, name: string): number {
    return this.s.nodes[n * this.nf + this.s.snapshot.meta.node_fields.indexOf(name)]!;
  }

  type(n: number): string {
    return this.s.snapshot.meta.node_types[0][this.field(n, 'type')]!;
  }

  name(n: number): string {
    return this.s.strings[this.field(n, 'name')]!;
  }

  selfSize(n: number): number {
    return this.field(n, 'self_size');
  }

  /** Nodes `n` points at, with the edge's name. */
  *children(n: number): Generator<{ to: number; edge: string }> {
    const m = this.s.snapshot.meta;
    const toAt = m.edge_fields.indexOf('to_node');
    const nameAt = m.edge_fields.indexOf('name_or_index');
    const typeAt = m.edge_fields.indexOf('type');
    for (let e = this.firstEdge[n]!; e < this.firstEdge[n + 1]!; e += this.ef) {
      yield { to: this.s.edges[e + toAt]! / this.nf, edge: this.edgeName(e, m.edge_types[0][this.s.edges[e + typeAt]!]!, nameAt) };
    }
  }

  private edgeName(e: number, type: string, nameAt: number): string {
    const v = this.s.edges[e + nameAt]!;
    return type === 'element' || type === 'hidden' ? `[${v}]` : this.s.strings[v]!;
  }

  /** A plain object's property names (`{uid,flags}`): tells apart the many objects named `Object`. */
  shape(n: number): string {
    const names: string[] = [];
    for (const c of this.children(n)) if (!c.edge.startsWith('[') && c.edge !== 'map' && c.edge !== '__proto__' && names.length < 6) names.push(c.edge);
    return `{${names.join(',')}}`;
  }

  /** The retaining path from the root to `n`, as `Owner.edge` steps (the last few). */
  path(n: number, steps = 8): string {
    const m = this.s.snapshot.meta;
    const nameAt = m.edge_fields.indexOf('name_or_index');
    const typeAt = m.edge_fields.indexOf('type');
    const parts: string[] = [];
    let cur = n;
    while (cur > 0 && parts.length < steps && this.retainer[cur]! >= 0) {
      const e = this.retainerEdge[cur]!;
      const owner = this.retainer[cur]!;
      parts.unshift(`${this.name(owner).slice(0, 40)}.${this.edgeName(e, m.edge_types[0][this.s.edges[e + typeAt]!]!, nameAt)}`);
      cur = owner;
    }
    return parts.join(' → ');
  }
}

function load(file: string): Heap {
  return new Heap(JSON.parse(readFileSync(file, 'utf8')) as Snapshot);
}

/** Objects by `type:constructor`: count and total self size. */
function byConstructor(h: Heap): Map<string, { count: number; size: number }> {
  const out = new Map<string, { count: number; size: number }>();
  for (let n = 0; n < h.nodeCount; n++) {
    const key = `${h.type(n)}:${h.name(n).slice(0, 60)}${h.name(n) === 'Object' ? h.shape(n) : ''}`;
    const entry = out.get(key) ?? { count: 0, size: 0 };
    entry.count++;
    entry.size += h.selfSize(n);
    out.set(key, entry);
  }
  return out;
}

/** Maps and Sets with their backing table's size, largest first. */
function collections(h: Heap, top: number): Array<{ what: string; size: number; path: string }> {
  const found: Array<{ what: string; size: number; node: number }> = [];
  for (let n = 0; n < h.nodeCount; n++) {
    const name = h.name(n);
    if (h.type(n) !== 'object' || (name !== 'Map' && name !== 'Set' && name !== 'Array')) continue;
    let size = 0;
    for (const c of h.children(n)) if (c.edge === 'table' || c.edge === 'elements') size += h.selfSize(c.to);
    found.push({ what: name, size, node: n });
  }
  found.sort((a, b) => b.size - a.size);
  return found.slice(0, top).map((f) => ({ what: f.what, size: f.size, path: h.path(f.node) }));
}

/** Maps/Sets/arrays summed by their holder (the last two steps of the path): many small ones add up. */
function collectionsByHolder(h: Heap, top: number): Array<{ holder: string; count: number; size: number }> {
  const out = new Map<string, { count: number; size: number }>();
  for (let n = 0; n < h.nodeCount; n++) {
    const name = h.name(n);
    if (h.type(n) !== 'object' || (name !== 'Map' && name !== 'Set' && name !== 'Array')) continue;
    let size = 0;
    for (const c of h.children(n)) if (c.edge === 'table' || c.edge === 'elements') size += h.selfSize(c.to);
    const holder = `${name} at ${h.path(n, 2)}`;
    const entry = out.get(holder) ?? { count: 0, size: 0 };
    entry.count++;
    entry.size += size;
    out.set(holder, entry);
  }
  return [...out].map(([holder, v]) => ({ holder, ...v })).sort((a, b) => b.size - a.size).slice(0, top);
}

const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '30' } } });
const TOP = Number(values.top);
if (positionals.length !== 2) {
  console.error('usage: heap-diff.ts <earlier.heapsnapshot> <later.heapsnapshot> [--top 30]');
  process.exit(1);
}
const a = load(positionals[0]!);
const b = load(positionals[1]!);
const before = byConstructor(a);
const after = byConstructor(b);
const rows = [...after].map(([key, v]) => {
  const old = before.get(key) ?? { count: 0, size: 0 };
  return { key, count: v.count, dCount: v.count - old.count, size: v.size, dSize: v.size - old.size };
});
rows.sort((x, y) => y.dSize - x.dSize);
console.log(`growth by constructor (self size), top ${TOP}:`);
for (const r of rows.slice(0, TOP)) {
  console.log(`  ${(r.dSize / 1024).toFixed(0).padStart(8)} KiB  ${String(r.dCount).padStart(8)} objects  (now ${r.count})  ${r.key}`);
}
console.log(`\nlargest Maps/Sets/Arrays in the later snapshot (backing store bytes), top ${TOP}:`);
for (const c of collections(b, TOP)) console.log(`  ${(c.size / 1024).toFixed(0).padStart(8)} KiB  ${c.what}  ${c.path}`);
console.log(`\nMaps/Sets/Arrays summed by holder in the later snapshot, top ${TOP}:`);
for (const c of collectionsByHolder(b, TOP)) console.log(`  ${(c.size / 1024).toFixed(0).padStart(8)} KiB  ${String(c.count).padStart(7)} × ${c.holder}`);
