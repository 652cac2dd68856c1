// IMAP argument parser for the conformance runner: parses both script lines and server responses
// into the same shape, so they compare like for like. Strings are latin1 "binary strings" (one char
// per byte). Like Dovecot's test parser, atoms take any character but SP, parentheses and CRLF; a
// `[` inside an atom runs to its `]` (so `BODY[HEADER.FIELDS (A)]` and `[UIDNEXT 5]` stay one atom).

export type Arg =
  | { t: 'atom'; v: string }
  | { t: 'string'; v: string; literal?: boolean }
  | { t: 'nil' }
  | { t: 'list'; items: Arg[] };

export class ArgParseError extends Error {
  override readonly name = 'ArgParseError';
}

export function parseArgs(input: string): Arg[] {
  const root: Arg[] = [];
  const stack: Arg[][] = [root];
  let i = 0;
  const push = (a: Arg): void => {
    stack[stack.length - 1]!.push(a);
  };
  while (i < input.length) {
    const c = input[i]!;
    if (c === ' ' || c === '\r' || c === '\n') {
      i++;
      continue;
    }
    if (c === '(') {
      const l: Arg = { t: 'list', items: [] };
      push(l);
      stack.push(l.items);
      i++;
      continue;
    }
    if (c === ')') {
      if (stack.length === 1) throw new ArgParseError(`unbalanced ) in ${input.slice(0, 80)}`);
      stack.pop();
      i++;
      continue;
    }
    if (c === '"') {
      let v = '';
      i++;
      while (i < input.length && input[i] !== '"') {
        if (input[i] === '\\' && i + 1 < input.length) i++;
        v += input[i];
        i++;
      }
      if (input[i] !== '"') throw new ArgParseError(`unterminated string in ${input.slice(0, 80)}`);
      i++;
      push({ t: 'string', v });
      continue;
    }
    const lit = /^~?\{(\d+)\+?\}\r\n/.exec(input.slice(i, i + 30));
    if (lit) {
      const n = Number(lit[1]);
      const start = i + lit[0].length;
      if (start + n > input.length) throw new ArgParseError('literal runs past the end');
      push({ t: 'string', v: input.slice(start, start + n), literal: true });
      i = start + n;
      continue;
    }
    const start = i;
    while (i < input.length) {
      const ch = input[i]!;
      if (ch === ' ' || ch === '(' || ch === ')' || ch === '\r' || ch === '\n') break;
      if (ch === '[') {
        const close = findClose(input, i);
        if (close > 0) {
          i = close + 1;
          continue;
        }
      }
      i++;
    }
    const v = input.slice(start, i);
    push(v.toUpperCase() === 'NIL' ? { t: 'nil' } : { t: 'atom', v });
  }
  if (stack.length !== 1) throw new ArgParseError(`unbalanced ( in ${input.slice(0, 80)}`);
  return root;
}

/** Index of the `]` closing the `[` at `open` on the same line, or -1. */
function findClose(s: string, open: number): number {
  let depth = 0;
  for (let k = open; k < s.length; k++) {
    const ch = s[k];
    if (ch === '\r' || ch === '\n') return -1;
    if (ch === '[') depth++;
    else if (ch === ']') {
      depth--;
      if (depth === 0) return k;
    }
  }
  return -1;
}

export function argText(a: Arg): string | undefined {
  if (a.t === 'atom' || a.t === 'string') return a.v;
  return undefined;
}

export function argsToString(args: Arg[]): string {
  return args
    .map((a) => {
      if (a.t === 'nil') return 'NIL';
      if (a.t === 'atom') return a.v;
      if (a.t === 'string') return a.literal ? `{${a.v.length}}${a.v.length > 60 ? a.v.slice(0, 60) + '…' : a.v}` : JSON.stringify(a.v);
      return `(${argsToString(a.items)})`;
    })
    .join(' ');
}
