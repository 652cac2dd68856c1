// The :regex match type (draft-ietf-sieve-regex: POSIX extended regular expressions). A script's
// pattern never reaches the JavaScript RegExp engine, whose backtracking makes `(a+)+$` or `a*a*a*b`
// take exponential or high-polynomial time. Patterns compile instead to a Thompson NFA run by a Pike
// VM: time is linear in subject length × program size, whatever the pattern. Bounds: a pattern of at
// most MAX_PATTERN characters compiling to at most MAX_PROGRAM instructions, subjects cut at
// MAX_SUBJECT characters, and no backreferences (an NFA cannot express them). Semantics are
// leftmost-first (Perl-like), not POSIX leftmost-longest: the match/no-match answer is the same, only
// which alternative fills a capture can differ.
import { own } from './own.js';

export const MAX_PATTERN = 1024;
export const MAX_PROGRAM = 2000;
/** Longer subjects (a header value, a body line) are matched on their first MAX_SUBJECT characters. */
export const MAX_SUBJECT = 16384;
const MAX_REPEAT = 255;

type Ast =
  | { t: 'empty' }
  | { t: 'char'; c: number }
  | { t: 'any' }
  | { t: 'class'; ranges: Array<[number, number]>; negate: boolean }
  | { t: 'bol' }
  | { t: 'eol' }
  | { t: 'group'; index: number | null; node: Ast }
  | { t: 'cat'; items: Ast[] }
  | { t: 'alt'; left: Ast; right: Ast }
  | { t: 'repeat'; node: Ast; min: number; max: number };

type Inst =
  | { op: 'char'; c: number }
  | { op: 'any' }
  | { op: 'class'; ranges: Array<[number, number]>; negate: boolean }
  | { op: 'split'; x: number; y: number }
  | { op: 'jmp'; x: number }
  | { op: 'save'; n: number }
  | { op: 'bol' }
  | { op: 'eol' }
  | { op: 'match' };

export class RegexError extends Error {}

const CLASSES: Record<string, Array<[number, number]>> = {
  alpha: [[65, 90], [97, 122]],
  digit: [[48, 57]],
  alnum: [[48, 57], [65, 90], [97, 122]],
  upper: [[65, 90]],
  lower: [[97, 122]],
  space: [[9, 13], [32, 32]],
  blank: [[9, 9], [32, 32]],
  punct: [[33, 47], [58, 64], [91, 96], [123, 126]],
  print: [[32, 126]],
  graph: [[33, 126]],
  cntrl: [[0, 31], [127, 127]],
  xdigit: [[48, 57], [65, 70], [97, 102]],
};
const ESCAPES: Record<string, { ranges: Array<[number, number]>; negate: boolean }> = {
  d: { ranges: CLASSES.digit!, negate: false },
  D: { ranges: CLASSES.digit!, negate: true },
  w: { ranges: [...CLASSES.alnum!, [95, 95]], negate: false },
  W: { ranges: [...CLASSES.alnum!, [95, 95]], negate: true },
  s: { ranges: CLASSES.space!, negate: false },
  S: { ranges: CLASSES.space!, negate: true },
};

class Parser {
  private pos = 0;
  groups = 0;
  constructor(private readonly src: string) {}

  parse(): Ast {
    const node = this.alternation();
    if (this.pos < this.src.length) throw new RegexError(`unmatched ")" at ${this.pos + 1}`);
    return node;
  }

  private peek(): string | undefined {
    return this.src[this.pos];
  }

  private alternation(): Ast {
    let node = this.concatenation();
    while (this.peek() === '|') {
      this.pos++;
      node = { t: 'alt', left: node, right: this.concatenation() };
    }
    return node;
  }

  private concatenation(): Ast {
    const items: Ast[] = [];
    while (this.pos < this.src.length && this.peek() !== '|' && this.peek() !== ')') items.push(this.repetition());
    return items.length === 1 ? items[0]! : { t: 'cat', items };
  }

  private repetition(): Ast {
    let node = this.atom();
    for (;;) {
      const c = this.peek();
      let min: number;
      let max: number;
      if (c === '*') [min, max] = [0, -1];
      else if (c === '+') [min, max] = [1, -1];
      else if (c === '?') [min, max] = [0, 1];
      else if (c === '{' && /^\{\d+(,\d*)?\}/.test(this.src.slice(this.pos))) {
        const m = /^\{(\d+)(,(\d*))?\}/.exec(this.src.slice(this.pos))!;
        min = Number(m[1]);
        max = m[2] === undefined ? min : m[3] === '' ? -1 : Number(m[3]);
        if (min > MAX_REPEAT || max > MAX_REPEAT) throw new RegexError(`repetition count above ${MAX_REPEAT}`);
        if (max !== -1 && max < min) throw new RegexError('repetition {n,m} with m < n');
        this.pos += m[0].length - 1;
      } else return node;
      this.pos++;
      if (node.t === 'bol' || node.t === 'eol') throw new RegexError('quantifier after an anchor');
      node = { t: 'repeat', node, min, max };
    }
  }

  private atom(): Ast {
    const c = this.src[this.pos++]!;
    switch (c) {
      case '(': {
        let index: number | null = ++this.groups;
        if (this.src.startsWith('?:', this.pos)) {
          this.pos += 2;
          this.groups--;
          index = null;
        } else if (this.peek() === '?') {
          throw new RegexError('lookaround and other (? constructs are not supported');
        }
        const node = this.alternation();
        if (this.peek() !== ')') throw new RegexError('missing ")"');
        this.pos++;
        return { t: 'group', index, node };
      }
      case '.':
        return { t: 'any' };
      case '^':
        return { t: 'bol' };
      case '$':
        return { t: 'eol' };
      case '[':
        return this.bracket();
      case '*':
      case '+':
      case '?':
        throw new RegexError(`"${c}" has nothing to repeat`);
      case '\\': {
        const e = this.src[this.pos++];
        if (e === undefined) throw new RegexError('trailing backslash');
        if (/[1-9]/.test(e) || e === 'k') throw new RegexError('backreferences are not supported');
        const cls = own(ESCAPES, e);
        if (cls) return { t: 'class', ...cls };
        if (e === 'n') return { t: 'char', c: 10 };
        if (e === 't') return { t: 'char', c: 9 };
        if (e === 'r') return { t: 'char', c: 13 };
        return { t: 'char', c: e.codePointAt(0)! };
      }
      default: {
        const cp = this.src.codePointAt(this.pos - 1)!;
        if (cp > 0xffff) this.pos++;
        return { t: 'char', c: cp };
      }
    }
  }

  private bracket(): Ast {
    const ranges: Array<[number, number]> = [];
    let negate = false;
    if (this.peek() === '^') {
      negate = true;
      this.pos++;
    }
    let first = true;
    for (;;) {
      if (this.pos >= this.src.length) throw new RegexError('missing "]"');
      const c = this.peek()!;
      if (c === ']' && !first) {
        this.pos++;
        return { t: 'class', ranges, negate };
      }
      first = false;
      if (this.src.startsWith('[:', this.pos)) {
        const end = this.src.indexOf(':]', this.pos + 2);
        const name = end < 0 ? '' : this.src.slice(this.pos + 2, end);
        const cls = own(CLASSES, name);
        if (!cls) throw new RegexError(`unknown character class [:${name}:]`);
        ranges.push(...cls);
        this.pos = end + 2;
        continue;
      }
      let lo = this.src.codePointAt(this.pos)!;
      this.pos += lo > 0xffff ? 2 : 1;
      if (lo === 92 && this.pos < this.src.length) {
        lo = this.src.codePointAt(this.pos)!;
        this.pos += lo > 0xffff ? 2 : 1;
      }
      let hi = lo;
      if (this.peek() === '-' && this.src[this.pos + 1] !== undefined && this.src[this.pos + 1] !== ']') {
        this.pos++;
        hi = this.src.codePointAt(this.pos)!;
        this.pos += hi > 0xffff ? 2 : 1;
        if (hi < lo) throw new RegexError('range out of order in [ ]');
      }
      ranges.push([lo, hi]);
    }
  }
}

export interface CompiledRegex {
  program: Inst[];
  groups: number;
  caseInsensitive: boolean;
}

class Emitter {
  readonly program: Inst[] = [];
  private push(inst: Inst): number {
    if (this.program.length >= MAX_PROGRAM) throw new RegexError(`pattern too complex (more than ${MAX_PROGRAM} instructions)`);
    this.program.push(inst);
    return this.program.length - 1;
  }

  emit(node: Ast): void {
    switch (node.t) {
      case 'empty':
        return;
      case 'char':
        this.push({ op: 'char', c: node.c });
        return;
      case 'any':
        this.push({ op: 'any' });
        return;
      case 'class':
        this.push({ op: 'class', ranges: node.ranges, negate: node.negate });
        return;
      case 'bol':
        this.push({ op: 'bol' });
        return;
      case 'eol':
        this.push({ op: 'eol' });
        return;
      case 'group':
        if (node.index !== null && node.index <= 9) this.push({ op: 'save', n: node.index * 2 });
        this.emit(node.node);
        if (node.index !== null && node.index <= 9) this.push({ op: 'save', n: node.index * 2 + 1 });
        return;
      case 'cat':
        for (const item of node.items) this.emit(item);
        return;
      case 'alt': {
        const split = this.push({ op: 'split', x: 0, y: 0 });
        this.emit(node.left);
        const jmp = this.push({ op: 'jmp', x: 0 });
        const right = this.program.length;
        this.emit(node.right);
        this.program[split] = { op: 'split', x: split + 1, y: right };
        this.program[jmp] = { op: 'jmp', x: this.program.length };
        return;
      }
      case 'repeat': {
        for (let i = 0; i < node.min; i++) this.emit(node.node);
        if (node.max === -1) {
          const split = this.push({ op: 'split', x: 0, y: 0 });
          this.emit(node.node);
          this.push({ op: 'jmp', x: split });
          this.program[split] = { op: 'split', x: split + 1, y: this.program.length };
        } else {
          const splits: number[] = [];
          for (let i = node.min; i < node.max; i++) {
            splits.push(this.push({ op: 'split', x: 0, y: 0 }));
            this.emit(node.node);
          }
          for (const s of splits) this.program[s] = { op: 'split', x: s + 1, y: this.program.length };
        }
        return;
      }
    }
  }
}

export function compileRegex(pattern: string, caseInsensitive: boolean): CompiledRegex {
  if (pattern.length > MAX_PATTERN) throw new RegexError(`pattern longer than ${MAX_PATTERN} characters`);
  const parser = new Parser(pattern);
  const ast = parser.parse();
  const emitter = new Emitter();
  emitter.emit(ast);
  emitter.program.push({ op: 'match' });
  return { program: emitter.program, groups: Math.min(parser.groups, 9), caseInsensitive };
}

/** Null when the pattern compiles, else why not (for the validator). */
export function checkRegex(pattern: string): string | null {
  try {
    compileRegex(pattern, false);
    return null;
  } catch (err) {
    if (err instanceof RegexError) return err.message;
    throw err;
  }
}

const fold = (c: number): number => (c >= 65 && c <= 90 ? c + 32 : c);

function inClass(ranges: Array<[number, number]>, c: number, caseInsensitive: boolean): boolean {
  for (const [lo, hi] of ranges) {
    if (c >= lo && c <= hi) return true;
    if (caseInsensitive) {
      const other = c >= 65 && c <= 90 ? c + 32 : c >= 97 && c <= 122 ? c - 32 : c;
      if (other >= lo && other <= hi) return true;
    }
  }
  return false;
}

interface Thread {
  pc: number;
  caps: number[];
}

/**
 * Searches `subject` (cut at MAX_SUBJECT) for the pattern. Returns the captures (index 0 = whole
 * match, then groups 1..9; "" for a group that did not take part) or null. `cost` receives the work
 * done (positions × instructions visited), which the executor charges to its step budget.
 */
export function execRegex(re: CompiledRegex, input: string, cost?: (units: number) => void): string[] | null {
  const subject = input.length > MAX_SUBJECT ? input.slice(0, MAX_SUBJECT) : input;
  const prog = re.program;
  const slots = (re.groups + 1) * 2;
  let current: Thread[] = [];
  let next: Thread[] = [];
  const seen = new Int32Array(prog.length).fill(-1);
  let generation = 0;
  let matched: number[] | null = null;
  let work = 0;

  const add = (list: Thread[], pc: number, caps: number[], pos: number): void => {
    const stack: Array<{ pc: number; caps: number[] }> = [{ pc, caps }];
    while (stack.length > 0) {
      const { pc: at, caps: c } = stack.pop()!;
      if (seen[at] === generation) continue;
      seen[at] = generation;
      work++;
      const inst = prog[at]!;
      switch (inst.op) {
        case 'jmp':
          stack.push({ pc: inst.x, caps: c });
          break;
        case 'split':
          // y pushed first so x (the preferred branch) is explored first.
          stack.push({ pc: inst.y, caps: c });
          stack.push({ pc: inst.x, caps: c });
          break;
        case 'save': {
          const copy = c.slice();
          if (inst.n < slots) copy[inst.n] = pos;
          stack.push({ pc: at + 1, caps: copy });
          break;
        }
        case 'bol':
          if (pos === 0) stack.push({ pc: at + 1, caps: c });
          break;
        case 'eol':
          if (pos === subject.length) stack.push({ pc: at + 1, caps: c });
          break;
        default:
          list.push({ pc: at, caps: c });
      }
    }
  };

  // One generation per position: threads for position p are added (by the step at p-1 and by the
  // start thread at p) under the same generation, so each instruction enters a list once.
  generation++;
  for (let pos = 0; pos <= subject.length; pos++) {
    if (matched === null) {
      const caps = new Array<number>(slots).fill(-1);
      caps[0] = pos;
      // The start thread has the lowest priority: threads that started earlier come first.
      add(current, 0, caps, pos);
    }
    if (current.length === 0) break;
    const c = pos < subject.length ? subject.codePointAt(pos)! : -1;
    const width = c > 0xffff ? 2 : 1;
    generation++;
    for (const t of current) {
      const inst = prog[t.pc]!;
      work++;
      if (inst.op === 'match') {
        matched = t.caps.slice();
        matched[1] = pos;
        break; // lower-priority threads are cut off
      }
      if (c < 0) continue;
      let ok = false;
      if (inst.op === 'char') ok = re.caseInsensitive ? fold(inst.c) === fold(c) : inst.c === c;
      else if (inst.op === 'any') ok = true;
      else if (inst.op === 'class') ok = inClass(inst.ranges, c, re.caseInsensitive) !== inst.negate;
      if (ok) add(next, t.pc + 1, t.caps, pos + width);
    }
    [current, next] = [next, []];
    if (width === 2) pos++;
  }
  cost?.(work);
  if (matched === null) return null;
  const out: string[] = [];
  for (let g = 0; g <= re.groups; g++) {
    const s = matched[g * 2]!;
    const e = matched[g * 2 + 1]!;
    out.push(s >= 0 && e >= 0 ? subject.slice(s, e) : '');
  }
  return out;
}
