// Sequence sets (RFC 3501 §9 sequence-set, RFC 5182 `$`). Numbers are 1..2^32-1; `*` is the largest
// number in use. Ranges are resolved against the mailbox when the command runs, not when parsed.
import { ImapSyntaxError } from './errors.js';

export const MAX_UINT32 = 4294967295;

/** `-1` stands for `*`. */
export interface SeqRange {
  from: number;
  to: number;
}

export type SequenceSet = { kind: 'ranges'; ranges: SeqRange[] } | { kind: 'saved' };

const STAR = -1;

function parseNumber(s: string): number {
  if (s === '*') return STAR;
  if (!/^[1-9]\d{0,9}$/.test(s)) throw new ImapSyntaxError(`Invalid sequence number "${s.slice(0, 20)}"`);
  const n = Number(s);
  if (n > MAX_UINT32) throw new ImapSyntaxError(`Sequence number out of range "${s}"`);
  return n;
}

export function isSequenceSet(s: string): boolean {
  return s === '$' || /^(\d+|\*)(:(\d+|\*))?(,(\d+|\*)(:(\d+|\*))?)*$/.test(s);
}

export function parseSequenceSet(s: string): SequenceSet {
  if (s === '$') return { kind: 'saved' };
  if (s.length === 0) throw new ImapSyntaxError('Empty sequence set');
  const ranges: SeqRange[] = [];
  for (const part of s.split(',')) {
    const colon = part.indexOf(':');
    if (colon < 0) {
      const n = parseNumber(part);
      ranges.push({ from: n, to: n });
    } else {
      ranges.push({ from: parseNumber(part.slice(0, colon)), to: parseNumber(part.slice(colon + 1)) });
    }
  }
  return { kind: 'ranges', ranges };
}

/**
 * Resolves ranges to a membership test over numbers 1..max (`*` = max). An empty mailbox makes `*`
 * match nothing.
 */
export function rangesContain(ranges: SeqRange[], n: number, max: number): boolean {
  for (const r of ranges) {
    const a = r.from === STAR ? max : r.from;
    const b = r.to === STAR ? max : r.to;
    const lo = Math.min(a, b);
    const hi = Math.max(a, b);
    if (n >= lo && n <= hi) return true;
  }
  return false;
}

/** Sequence numbers 1..count selected by the ranges, ascending, each once. */
export function resolveSequenceNumbers(ranges: SeqRange[], count: number): number[] {
  if (count === 0) return [];
  const marks = new Uint8Array(count + 1);
  for (const r of ranges) {
    const a = r.from === STAR ? count : r.from;
    const b = r.to === STAR ? count : r.to;
    const lo = Math.max(1, Math.min(a, b));
    const hi = Math.min(count, Math.max(a, b));
    for (let i = lo; i <= hi; i++) marks[i] = 1;
  }
  const out: number[] = [];
  for (let i = 1; i <= count; i++) if (marks[i]) out.push(i);
  return out;
}

/**
 * Compact sequence set in the order given: ascending consecutive runs become ranges (1:3,5,7:8), any
 * other order is kept as written (SORT results: 5,1:2).
 */
export function formatSequenceSet(nums: readonly number[]): string {
  const parts: string[] = [];
  let i = 0;
  while (i < nums.length) {
    let j = i;
    while (j + 1 < nums.length && nums[j + 1] === nums[j]! + 1) j++;
    parts.push(i === j ? String(nums[i]) : `${nums[i]}:${nums[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/** Expands ranges without a count (UID sets in responses from clients, e.g. QRESYNC known UIDs). */
export function expandBounded(ranges: SeqRange[], max: number, limit = 1_000_000): number[] {
  const out = new Set<number>();
  for (const r of ranges) {
    const a = r.from === STAR ? max : r.from;
    const b = r.to === STAR ? max : r.to;
    const lo = Math.min(a, b);
    const hi = Math.min(Math.max(a, b), max);
    for (let i = lo; i <= hi && out.size < limit; i++) out.add(i);
  }
  return [...out].sort((x, y) => x - y);
}
