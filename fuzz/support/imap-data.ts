// A strict reader of IMAP response data (RFC 3501 §4, §9): NIL, numbers, quoted strings, literals
// and parenthesised lists with exactly one space between items. It refuses whatever a client's
// parser could read differently from what the server meant: an unbalanced list, a quoted string
// with CR, LF, NUL or a stray backslash, 8-bit bytes outside UTF8=ACCEPT, invalid UTF-8 inside it,
// a literal whose count is wrong.
import { isUtf8 } from 'node:buffer';
import { InvariantViolation } from './invariant.js';

export type Datum =
  | { t: 'nil' }
  | { t: 'num'; v: number }
  | { t: 'str'; v: Buffer }
  | { t: 'list'; v: Datum[] };

class Reader {
  i = 0;
  constructor(
    readonly b: Buffer,
    readonly utf8: boolean,
  ) {}

  fail(why: string): never {
    const around = this.b.subarray(Math.max(0, this.i - 40), this.i + 40).toString('latin1');
    throw new InvariantViolation(`malformed IMAP data at byte ${this.i}: ${why} (near ${JSON.stringify(around)})`);
  }

  datum(depth: number): Datum {
    const c = this.b[this.i];
    if (c === undefined) this.fail('unexpected end');
    if (c === 0x28) return this.list(depth);
    if (c === 0x22) return this.quoted();
    if (c === 0x7b) return this.literal();
    const m = /^(NIL|\d+)(?=[ )]|$)/.exec(this.b.toString('latin1', this.i, this.i + 21));
    if (!m) this.fail('expected NIL, a number, a string or a list');
    this.i += m[1]!.length;
    if (m[1] === 'NIL') return { t: 'nil' };
    const n = Number(m[1]);
    if (!Number.isSafeInteger(n)) this.fail('number out of range');
    return { t: 'num', v: n };
  }

  list(depth: number): Datum {
    if (depth > 200) this.fail('lists nested more than 200 deep');
    this.i++;
    const items: Datum[] = [];
    if (this.b[this.i] === 0x29) this.fail('empty list (the grammar has none here)');
    for (;;) {
      const item = this.datum(depth + 1);
      items.push(item);
      const c = this.b[this.i];
      if (c === 0x29) {
        this.i++;
        return { t: 'list', v: items };
      }
      // `1*body` and `1*address` put lists side by side without a space.
      if (c === 0x28 && item.t === 'list') continue;
      if (c !== 0x20) this.fail('expected one space or ")" after a list item');
      this.i++;
      if (this.b[this.i] === 0x20 || this.b[this.i] === 0x29) this.fail('space not followed by an item');
    }
  }

  quoted(): Datum {
    const start = ++this.i;
    const out: number[] = [];
    for (;;) {
      const c = this.b[this.i];
      if (c === undefined) this.fail('unterminated quoted string');
      if (c === 0x22) break;
      if (c === 0x0d || c === 0x0a || c === 0x00) this.fail('CR, LF or NUL in a quoted string');
      if (c >= 0x80 && !this.utf8) this.fail('8-bit byte in a quoted string without UTF8=ACCEPT');
      if (c === 0x5c) {
        const n = this.b[this.i + 1];
        if (n !== 0x22 && n !== 0x5c) this.fail('backslash that escapes neither " nor \\');
        out.push(n);
        this.i += 2;
        continue;
      }
      out.push(c);
      this.i++;
    }
    const value = Buffer.from(out);
    if (this.utf8 && !isUtf8(this.b.subarray(start, this.i))) this.fail('quoted string is not valid UTF-8');
    this.i++;
    return { t: 'str', v: value };
  }

  literal(): Datum {
    const m = /^\{(\d{1,10})\}\r\n/.exec(this.b.toString('latin1', this.i, this.i + 14));
    if (!m) this.fail('malformed literal announcement');
    const n = Number(m[1]);
    const start = this.i + m[0].length;
    if (start + n > this.b.length) this.fail(`literal of ${n} bytes runs past the end`);
    this.i = start + n;
    return { t: 'str', v: this.b.subarray(start, start + n) };
  }
}

/** Reads exactly one datum spanning all of `wire`. */
export function readImapData(wire: Buffer, utf8: boolean): Datum {
  const r = new Reader(wire, utf8);
  const d = r.datum(0);
  if (r.i !== wire.length) r.fail('data after the end of the value');
  return d;
}
