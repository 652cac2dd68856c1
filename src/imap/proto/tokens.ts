// Turns a framed command (text segments and literals) into a token tree: atoms, strings, literals
// and parenthesised lists. Fetch attributes such as `BODY[HEADER.FIELDS (A B)]<0.10>` stay one atom
// (the brackets may hold spaces and parentheses); the FETCH command parses that atom itself.
import type { LiteralSink, Segment } from './framer.js';
import { ImapSyntaxError } from './errors.js';
import { strictUtf8 } from './utf8.js';

export type Token =
  | { type: 'atom'; value: string }
  | { type: 'string'; value: Buffer; literal: boolean; binary?: boolean }
  /** A literal that went to a spool file as it arrived (APPEND message data). */
  | { type: 'spooled'; message: LiteralSink; size: number; binary: boolean }
  | { type: 'list'; items: Token[] };

const BRACKET_ATOMS = /^(BODY|BODY\.PEEK|BINARY|BINARY\.PEEK|BINARY\.SIZE)$/i;
// atom-specials: ( ) { SP CTL " — a leading `\` is allowed for flags (\Seen). `%` and `*` (list wildcards) are allowed here and checked by
// the commands that do not take patterns. `]` is allowed too: some mailbox names use it.
function isAtomChar(c: number): boolean {
  return c > 0x20 && c !== 0x7f && c !== 0x28 && c !== 0x29 && c !== 0x7b && c !== 0x22;
}

export const MAX_LIST_DEPTH = 32;

function atomText(d: Buffer, start: number, end: number): string {
  for (let k = start; k < end; k++) if (d[k]! >= 0x80) return strictUtf8(d.subarray(start, end), 'atom');
  return d.toString('latin1', start, end);
}

export function tokenize(segments: Segment[], utf8 = true): Token[] {
  const root: Token[] = [];
  const stack: Token[][] = [root];
  const push = (t: Token): void => {
    stack[stack.length - 1]!.push(t);
  };
  for (const seg of segments) {
    if (seg.kind === 'literal') {
      push({ type: 'string', value: seg.data, literal: true, binary: seg.binary });
      continue;
    }
    if (seg.kind === 'spooled') {
      push({ type: 'spooled', message: seg.message, size: seg.size, binary: seg.binary });
      continue;
    }
    const d = seg.data;
    let i = 0;
    while (i < d.length) {
      const c = d[i]!;
      if (c === 0x20) {
        i++;
        continue;
      }
      if (c === 0x28) {
        if (stack.length > MAX_LIST_DEPTH) throw new ImapSyntaxError('Lists nested too deeply');
        const list: Token = { type: 'list', items: [] };
        push(list);
        stack.push(list.items);
        i++;
        continue;
      }
      if (c === 0x29) {
        if (stack.length === 1) throw new ImapSyntaxError('Unexpected ")"');
        stack.pop();
        i++;
        continue;
      }
      if (c === 0x22) {
        const out: number[] = [];
        i++;
        let closed = false;
        while (i < d.length) {
          const q = d[i]!;
          if (q === 0x5c) {
            const n = d[i + 1];
            if (n !== 0x22 && n !== 0x5c) throw new ImapSyntaxError('Invalid escape in quoted string');
            out.push(n);
            i += 2;
            continue;
          }
          if (q === 0x22) {
            closed = true;
            i++;
            break;
          }
          if (q === 0x00 || q === 0x0d || q === 0x0a) throw new ImapSyntaxError('Invalid character in quoted string');
          if (q >= 0x80 && !utf8) throw new ImapSyntaxError('8-bit character in quoted string');
          out.push(q);
          i++;
        }
        if (!closed) throw new ImapSyntaxError('Unterminated quoted string');
        push({ type: 'string', value: Buffer.from(out), literal: false });
        continue;
      }
      if (c === 0x7b || (c === 0x7e && d[i + 1] === 0x7b)) {
        // A literal announcement can only end a text segment; the framer already removed those.
        throw new ImapSyntaxError('Invalid literal');
      }
      if (!isAtomChar(c)) throw new ImapSyntaxError(`Invalid character 0x${c.toString(16)}`);
      const start = i;
      while (i < d.length && isAtomChar(d[i]!)) {
        if (d[i] === 0x5b && BRACKET_ATOMS.test(d.toString('latin1', start, i))) {
          const close = d.indexOf(0x5d, i);
          if (close < 0) throw new ImapSyntaxError('Missing "]"');
          i = close + 1;
          continue;
        }
        i++;
      }
      // A `(` straight after `<...>` is never valid, but `BODY[...]<0.10>` must end at a non-atom char.
      // Atoms become text here: 8-bit bytes in them must be valid UTF-8, or the text would carry
      // U+FFFD where the client sent something else (a mailbox name stored lossily).
      push({ type: 'atom', value: atomText(d, start, i) });
    }
  }
  if (stack.length !== 1) throw new ImapSyntaxError('Missing ")"');
  return root;
}
