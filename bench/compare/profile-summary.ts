// Summarises a V8 .cpuprofile (from `run.ts --cpu-prof=DIR`): the functions and the source files
// with the most self time, and the heaviest call paths into the project's own code (inclusive time).
//   node --import tsx bench/compare/profile-summary.ts FILE.cpuprofile [top=25]
import { readFileSync } from 'node:fs';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  hitCount?: number;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
}

const file = process.argv[2];
if (!file) throw new Error('usage: profile-summary.ts FILE.cpuprofile [top]');
const top = Number(process.argv[3] ?? 25);
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const totalHits = profile.nodes.reduce((s, n) => s + (n.hitCount ?? 0), 0);
const msPerHit = (profile.endTime - profile.startTime) / 1000 / Math.max(1, totalHits);

const short = (url: string): string => url.replace(/^file:\/\//, '').replace(/^.*\/node_modules\//, 'npm:').replace(/^.*\/(src|bench|test)\//, '$1/');
const label = (f: CallFrame): string => `${f.functionName || '(anonymous)'} ${short(f.url)}:${f.lineNumber + 1}`;

function tally(key: (n: ProfileNode) => string): Array<[string, number]> {
  const m = new Map<string, number>();
  for (const n of profile.nodes) m.set(key(n), (m.get(key(n)) ?? 0) + (n.hitCount ?? 0));
  return [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, top);
}

const pct = (hits: number): string => `${((100 * hits) / Math.max(1, totalHits)).toFixed(1).padStart(5)}%  ${(hits * msPerHit).toFixed(0).padStart(6)} ms`;
process.stdout.write(`${file}: ${totalHits} samples, ${((profile.endTime - profile.startTime) / 1e6).toFixed(1)} s\n\nSelf time by function:\n`);
for (const [k, h] of tally((n) => label(n.callFrame))) process.stdout.write(`${pct(h)}  ${k}\n`);
process.stdout.write('\nSelf time by file (or native/GC):\n');
for (const [k, h] of tally((n) => short(n.callFrame.url) || n.callFrame.functionName)) process.stdout.write(`${pct(h)}  ${k}\n`);

// Inclusive time of every function of the project's own code (src/), summed over its call sites.
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const inclusive = new Map<number, number>();
function total(n: ProfileNode): number {
  const known = inclusive.get(n.id);
  if (known !== undefined) return known;
  const t = (n.hitCount ?? 0) + (n.children ?? []).reduce((s, c) => s + total(byId.get(c)!), 0);
  inclusive.set(n.id, t);
  return t;
}
const own = new Map<string, number>();
function walk(n: ProfileNode, onStack: Set<string>): void {
  const k = label(n.callFrame);
  const mine = /\/src\//.test(n.callFrame.url) && !onStack.has(k);
  if (mine) own.set(k, (own.get(k) ?? 0) + total(n));
  const next = mine ? new Set([...onStack, k]) : onStack;
  for (const c of n.children ?? []) walk(byId.get(c)!, next);
}
walk(profile.nodes[0]!, new Set());
process.stdout.write('\nInclusive time of src/ functions:\n');
for (const [k, h] of [...own.entries()].sort((a, b) => b[1] - a[1]).slice(0, top)) process.stdout.write(`${pct(h)}  ${k}\n`);
