// Comparators (RFC 4790: i;octet, i;ascii-casemap, i;ascii-numeric) and match types (RFC 5228 §2.7.1
// :is/:contains/:matches, RFC 5231 :value/:count, the regex draft's :regex). A successful :matches or
// :regex yields the match variables of RFC 5229 §3.2 (${0} the whole value, ${1}… each wildcard or
// group).
import type { Node } from './compiled.js';
import { compileRegex, execRegex, RegexError, type CompiledRegex } from './regex.js';
import { SieveRuntimeError } from './errors.js';

export type ComparatorName = 'i;octet' | 'i;ascii-casemap' | 'i;ascii-numeric';
export type MatchType =
  | { kind: 'is' | 'contains' | 'matches' | 'regex' }
  | { kind: 'value' | 'count'; relation: 'gt' | 'ge' | 'lt' | 'le' | 'eq' | 'ne' };

export interface MatchSpec {
  comparator: ComparatorName;
  type: MatchType;
}

/** Reads the :comparator and match-type tags of a test (defaults: i;ascii-casemap, :is). */
export function matchSpecOf(node: Node, expand: (s: string) => string): MatchSpec {
  const c = node.tags.get('comparator');
  const comparator = (c !== undefined && c !== true && c.kind === 'strings' ? expand(c.values[0]!) : 'i;ascii-casemap') as ComparatorName;
  if (comparator !== 'i;octet' && comparator !== 'i;ascii-casemap' && comparator !== 'i;ascii-numeric') {
    throw new SieveRuntimeError(`unknown comparator "${comparator}"`);
  }
  for (const kind of ['value', 'count'] as const) {
    const v = node.tags.get(kind);
    if (v !== undefined && v !== true && v.kind === 'strings') {
      const relation = expand(v.values[0]!).toLowerCase();
      if (!['gt', 'ge', 'lt', 'le', 'eq', 'ne'].includes(relation)) throw new SieveRuntimeError(`bad relation "${relation}"`);
      return { comparator, type: { kind, relation: relation as 'gt' } };
    }
  }
  for (const kind of ['contains', 'matches', 'regex'] as const) {
    if (node.tags.has(kind)) {
      if (comparator === 'i;ascii-numeric') throw new SieveRuntimeError(`:${kind} cannot be used with i;ascii-numeric`);
      return { comparator, type: { kind } };
    }
  }
  return { comparator, type: { kind: 'is' } };
}

/** ASCII-only case folding: i;ascii-casemap leaves every non-ASCII character alone. */
function asciiLower(s: string): string {
  return /[A-Z]/.test(s) ? s.replace(/[A-Z]+/g, (m) => m.toLowerCase()) : s;
}

/** i;ascii-numeric: the leading digits as a number; no leading digit is "positive infinity". */
function numeric(s: string): bigint | null {
  const m = /^[0-9]+/.exec(s);
  return m ? BigInt(m[0]) : null;
}

/** -1, 0, 1 under the comparator. */
export function compare(a: string, b: string, comparator: ComparatorName): number {
  if (comparator === 'i;ascii-numeric') {
    const x = numeric(a);
    const y = numeric(b);
    if (x === null || y === null) return x === y ? 0 : x === null ? 1 : -1;
    return x < y ? -1 : x > y ? 1 : 0;
  }
  const [x, y] = comparator === 'i;ascii-casemap' ? [asciiLower(a), asciiLower(b)] : [a, b];
  return x < y ? -1 : x > y ? 1 : 0;
}

function relate(cmp: number, relation: string): boolean {
  switch (relation) {
    case 'gt':
      return cmp > 0;
    case 'ge':
      return cmp >= 0;
    case 'lt':
      return cmp < 0;
    case 'le':
      return cmp <= 0;
    case 'eq':
      return cmp === 0;
    default:
      return cmp !== 0;
  }
}

/**
 * Wildcard match (`*` any run, `?` one character, `\` quotes the next one) with captures, in
 * O(value × pattern): only the most recent `*` is ever backtracked, which finds a match whenever one
 * exists. Earlier stars keep the shortest run that lets the rest match, as RFC 5229's examples show.
 */
export function wildcard(value: string, pattern: string, caseInsensitive: boolean): string[] | null {
  const tokens: Array<{ kind: 'star' | 'one' | 'char'; c?: string }> = [];
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\' && i + 1 < pattern.length) tokens.push({ kind: 'char', c: pattern[++i]! });
    else if (c === '*') tokens.push({ kind: 'star' });
    else if (c === '?') tokens.push({ kind: 'one' });
    else tokens.push({ kind: 'char', c });
  }
  const v = Array.from(value);
  const eq = (a: string, b: string): boolean => (caseInsensitive ? asciiLower(a) === asciiLower(b) : a === b);
  // Capture i belongs to the i-th wildcard token: [start, end) in v.
  const wildIndex: number[] = [];
  let wildcards = 0;
  tokens.forEach((t, i) => {
    if (t.kind !== 'char') wildIndex[i] = wildcards++;
  });
  const caps: Array<[number, number]> = [];
  let ti = 0;
  let vi = 0;
  let starT = -1;
  let starV = 0;
  let capsAtStar: Array<[number, number]> = [];
  while (vi < v.length) {
    const t = tokens[ti];
    if (t && t.kind === 'star') {
      starT = ti;
      starV = vi;
      caps[wildIndex[ti]!] = [vi, vi];
      capsAtStar = caps.slice();
      ti++;
    } else if (t && (t.kind === 'one' || eq(t.c!, v[vi]!))) {
      if (t.kind === 'one') caps[wildIndex[ti]!] = [vi, vi + 1];
      ti++;
      vi++;
    } else if (starT >= 0) {
      starV++;
      vi = starV;
      ti = starT + 1;
      caps.length = 0;
      caps.push(...capsAtStar);
      caps[wildIndex[starT]!] = [capsAtStar[wildIndex[starT]!]![0], starV];
    } else {
      return null;
    }
  }
  while (ti < tokens.length && tokens[ti]!.kind === 'star') {
    caps[wildIndex[ti]!] = [vi, vi];
    ti++;
  }
  if (ti < tokens.length) return null;
  const out = [value];
  for (let i = 0; i < wildcards; i++) {
    const [s, e] = caps[i]!;
    out.push(v.slice(s, e).join(''));
  }
  return out;
}

export interface MatchContext {
  /** Charged for the work a regex does, against the execution's step budget. */
  charge(units: number): void;
  regexCache: Map<string, CompiledRegex>;
}

/**
 * Does any value match any key? For :count the values are counted. Returns the match variables of
 * the first match (for :matches/:regex), [] for other match types, or null when nothing matched.
 */
export function matchAny(values: string[], keys: string[], spec: MatchSpec, ctx: MatchContext): string[] | null {
  const { comparator, type } = spec;
  if (type.kind === 'count') {
    const count = String(values.length);
    return keys.some((k) => relate(compare(count, k, comparator), type.relation)) ? [] : null;
  }
  for (const value of values) {
    for (const key of keys) {
      ctx.charge(1 + ((value.length + key.length) >> 10));
      switch (type.kind) {
        case 'is':
          if (compare(value, key, comparator) === 0) return [];
          break;
        case 'contains':
          if (comparator === 'i;octet' ? value.includes(key) : asciiLower(value).includes(asciiLower(key))) return [];
          break;
        case 'value':
          if (relate(compare(value, key, comparator), type.relation)) return [];
          break;
        case 'matches': {
          ctx.charge((value.length * (key.length + 1)) >> 10);
          const caps = wildcard(value, key, comparator === 'i;ascii-casemap');
          if (caps) return caps;
          break;
        }
        case 'regex': {
          const re = regexFor(key, comparator === 'i;ascii-casemap', ctx);
          const caps = execRegex(re, value, (units) => ctx.charge(units >> 8));
          if (caps) return caps;
          break;
        }
      }
    }
  }
  return null;
}

function regexFor(pattern: string, caseInsensitive: boolean, ctx: MatchContext): CompiledRegex {
  const key = `${caseInsensitive ? 'i' : 's'}:${pattern}`;
  let re = ctx.regexCache.get(key);
  if (!re) {
    try {
      re = compileRegex(pattern, caseInsensitive);
    } catch (err) {
      if (err instanceof RegexError) throw new SieveRuntimeError(`bad :regex pattern: ${err.message}`);
      throw err;
    }
    if (ctx.regexCache.size < 64) ctx.regexCache.set(key, re);
  }
  return re;
}
