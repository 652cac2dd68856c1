// Reply matching with $variables and $! list directives, following imaptest's test-exec.c
// (test_imap_match_args, test_imap_match_list, test_expand_input).
import type { Arg } from './args.js';

export const NO_MATCH_ALL = Number.MAX_SAFE_INTEGER;

export class Variables {
  readonly values = new Map<string, string>();
  /** Names bound while matching one expected line, reverted when the line does not match. */
  added: string[] = [];
  /** Maps initial sequence numbers to current ones ($1, $2 … in scripts); 0 = expunged. */
  seqmap: number[] = [];

  relativeSeq(n: number): string {
    if (n === 0) return '<zero seq>';
    if (n > this.seqmap.length) return '<out of range>';
    const v = this.seqmap[n - 1]!;
    return v === 0 ? '<expunged>' : String(v);
  }

  expunged(seq: number): void {
    if (seq > this.seqmap.length) return;
    for (let i = seq - 1; i < this.seqmap.length; i++) {
      const v = this.seqmap[i]!;
      if (v === seq) this.seqmap[i] = 0;
      else if (v > seq) this.seqmap[i] = v - 1;
    }
  }

  revert(): void {
    for (const k of this.added) this.values.delete(k);
    this.added = [];
  }
}

const isVarChar = (c: string | undefined): boolean => c !== undefined && /[A-Za-z0-9_]/.test(c);

/** Expands variables in a command line; throws on an uninitialised one. */
export function expandAll(vars: Variables, line: string): string {
  let out = '';
  let i = 0;
  while (i < line.length) {
    const c = line[i]!;
    if (c !== '$' || i === line.length - 1) {
      out += c;
      i++;
      continue;
    }
    i++;
    if (line[i] === '$') {
      out += '$';
      i++;
      continue;
    }
    let name: string;
    if (line[i] === '{') {
      const close = line.indexOf('}', i);
      if (close < 0) throw new Error('Missing }');
      name = line.slice(i + 1, close);
      i = close + 1;
    } else {
      let j = i;
      while (isVarChar(line[j])) j++;
      name = line.slice(i, j);
      i = j;
    }
    if (/^\d+$/.test(name)) out += vars.relativeSeq(Number(name));
    else {
      const v = vars.values.get(name);
      if (v === undefined) throw new Error(`Uninitialized variable: ${name}`);
      out += v;
    }
  }
  return out;
}

/**
 * Matches a pattern string against input, binding unknown variables. Returns the expanded pattern
 * (to compare with input) and whether comparison is case-insensitive, or undefined on mismatch.
 */
function expandInput(vars: Variables, pattern: string, input: string): { out: string; icase: boolean } | undefined {
  let icase = true;
  let out = '';
  let p = 0;
  let q = 0;
  while (p < pattern.length) {
    if (pattern[p] !== '$' || pattern[p + 1] === '$') {
      if (pattern[p] === '$') p++;
      if ((pattern[p] ?? '').toUpperCase() !== (input[q] ?? '').toUpperCase()) return undefined;
      out += pattern[p];
      p++;
      q++;
      continue;
    }
    p++;
    let name: string;
    if (pattern[p] === '{') {
      const close = pattern.indexOf('}', p + 1);
      if (close < 0) return { out: '', icase };
      name = pattern.slice(p + 1, close);
      p = close + 1;
    } else {
      let j = p;
      while (isVarChar(pattern[j])) j++;
      name = pattern.slice(p, j);
      p = j;
    }
    let value: string | undefined;
    if (/^\d+$/.test(name)) value = vars.relativeSeq(Number(name));
    else if (name.startsWith('case:')) {
      icase = false;
      value = name.slice(5);
    } else {
      value = name === '' ? undefined : vars.values.get(name);
      if (value === undefined) {
        // Bind to the input up to the first character that the rest of the pattern starts with.
        let stopChar: string | undefined = pattern[p];
        if (stopChar === '$' && pattern[p + 1] !== '$') {
          const rest = expandInput(vars, pattern.slice(p), input.slice(q));
          stopChar = rest?.out[0];
        } else if (stopChar === '$') stopChar = '$';
        let e = q;
        if (stopChar === undefined) e = input.length;
        else while (e < input.length && input[e]!.toUpperCase() !== stopChar.toUpperCase()) e++;
        value = input.slice(q, e);
        // $modseqN binds like any variable: these scripts come from imaptest's release-2.3 branch (the
        // reference score was measured with it), where modseq variables had no ordering rule;
        // esearch-condstore even binds $modseq3 before $modseq2 and expects $modseq2 > $modseq3.
        if (name !== '') {
          vars.values.set(name, value);
          vars.added.push(name);
        }
      }
    }
    out += value;
    for (const ch of value) {
      if (input[q] !== ch) return undefined;
      q++;
    }
  }
  return { out, icase };
}

/**
 * Text of an atom or string. imaptest compares C strings, so a value ends at its first NUL byte
 * (append-binary relies on this); the runner does the same to score like the reference tool.
 */
function astringOf(a: Arg | undefined): string | undefined {
  if (!a) return undefined;
  if (a.t === 'atom' || a.t === 'string') {
    const nul = a.v.indexOf('\0');
    return nul < 0 ? a.v : a.v.slice(0, nul);
  }
  return undefined;
}

/** Number of leading elements matched, or NO_MATCH_ALL when everything matched. */
export function matchArgs(vars: Variables, match: Arg[], args: Arg[], max: number, prefix: boolean): number {
  let ret = 0;
  let mi = 0;
  let ai = 0;
  for (; mi < match.length && max > 0; mi++, ai++, max--) {
    const m = match[mi]!;
    const a = args[ai];
    switch (m.t) {
      case 'nil':
        if (!a || a.t !== 'nil') return ret;
        break;
      case 'atom':
      case 'string': {
        if (m.v === '$' && a?.t === 'list') break;
        if (m.v === '$]') {
          while (args[ai]?.t === 'atom' && !(args[ai] as { v: string }).v.includes(']')) ai++;
          break;
        }
        const astr = astringOf(a);
        if (astr === undefined) return ret;
        const nul = m.v.indexOf('\0');
        const r = expandInput(vars, nul < 0 ? m.v : m.v.slice(0, nul), astr);
        if (!r) return ret;
        const last = mi === match.length - 1;
        const cmpA = r.icase ? astr.toUpperCase() : astr;
        const cmpM = r.icase ? r.out.toUpperCase() : r.out;
        if (prefix && last) {
          if (!cmpA.startsWith(cmpM)) return ret;
        } else if (cmpA !== cmpM) return ret;
        break;
      }
      case 'list': {
        if (!a || a.t !== 'list') return ret;
        const sub = matchList(vars, m.items, a.items);
        if (sub !== NO_MATCH_ALL) return ret + sub;
        break;
      }
    }
    ret++;
  }
  if (prefix || ai >= args.length || max === 0) return NO_MATCH_ALL;
  return ret;
}

function matchList(vars: Variables, match: Arg[], args: Arg[]): number {
  let unordered = false;
  let chain = 1;
  let noextra = -1;
  const ignores: string[] = [];
  const bans: string[] = [];
  let k = 0;
  for (; k < match.length; k++) {
    const m = match[k]!;
    if (m.t !== 'atom' || !m.v.startsWith('$!')) break;
    const d = m.v.slice(2);
    if (d.startsWith('unordered')) {
      unordered = true;
      if (noextra === -1) noextra = 0;
      if (d[9] === '=') chain = Number(d.slice(10));
    } else if (d === 'ordered') unordered = false;
    else if (d === 'extra') noextra = 0;
    else if (d === 'noextra') noextra = 1;
    else if (d.startsWith('ignore=')) ignores.push(d.slice(7));
    else if (d.startsWith('ban=')) bans.push(d.slice(4));
  }
  if (noextra === -1) noextra = 1;
  const rest = match.slice(k);
  if (!unordered) return matchArgs(vars, rest, args, NO_MATCH_ALL, false);
  if (args.length % chain !== 0) return 0;
  const matched = new Array<boolean>(args.length).fill(false);
  let ret = 0;
  for (let mi = 0; mi < rest.length; mi += chain, ret++) {
    let i = 0;
    for (; i < args.length; i += chain) {
      if (matchArgs(vars, rest.slice(mi, mi + chain), args.slice(i), chain, false) === NO_MATCH_ALL) {
        matched[i] = true;
        break;
      }
    }
    if (i >= args.length) return ret;
  }
  if (noextra > 0) {
    for (let i = 0; i < args.length; i += chain) {
      if (matched[i]) continue;
      const s = astringOf(args[i]);
      if (s === undefined) continue;
      if (!ignores.some((x) => x.toLowerCase() === s.toLowerCase())) return ret;
    }
  } else if (bans.length > 0) {
    for (let i = 0; i < args.length; i += chain) {
      if (matched[i]) continue;
      const s = astringOf(args[i]);
      if (s === undefined) continue;
      if (bans.some((x) => x.toLowerCase() === s.toLowerCase())) return ret;
    }
  }
  return NO_MATCH_ALL;
}
