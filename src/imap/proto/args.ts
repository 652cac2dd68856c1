// A cursor over a command's tokens with typed accessors. Each accessor throws ImapSyntaxError, which
// the session answers with a tagged BAD naming what was expected.
import { ImapSyntaxError } from './errors.js';
import type { Token } from './tokens.js';
import { parseSequenceSet, type SequenceSet } from './sequence.js';
import { strictUtf8 } from './utf8.js';

export class Args {
  private pos = 0;
  constructor(private readonly tokens: Token[]) {}

  get remaining(): number {
    return this.tokens.length - this.pos;
  }

  peek(): Token | undefined {
    return this.tokens[this.pos];
  }

  /** Peeks at an atom's upper-cased value. */
  peekAtom(): string | undefined {
    const t = this.tokens[this.pos];
    return t?.type === 'atom' ? t.value.toUpperCase() : undefined;
  }

  next(what = 'argument'): Token {
    const t = this.tokens[this.pos];
    if (!t) throw new ImapSyntaxError(`Missing ${what}`);
    this.pos++;
    return t;
  }

  atom(what = 'atom'): string {
    const t = this.next(what);
    if (t.type !== 'atom') throw new ImapSyntaxError(`Expected ${what}`);
    return t.value;
  }

  /** atom or string, as text (UTF-8). */
  astring(what = 'string'): string {
    const t = this.next(what);
    if (t.type === 'list' || t.type === 'spooled') throw new ImapSyntaxError(`Expected ${what}`);
    if (t.type === 'atom') return t.value;
    return t.value.toString('utf8');
  }

  /**
   * astring as text that must be valid UTF-8 (mailbox names, LIST patterns): BAD otherwise, where
   * astring() would turn the bad bytes into U+FFFD and so store or match a different name.
   */
  strictAstring(what = 'string'): string {
    const t = this.next(what);
    if (t.type === 'list' || t.type === 'spooled') throw new ImapSyntaxError(`Expected ${what}`);
    if (t.type === 'atom') return t.value;
    return strictUtf8(t.value, what);
  }

  /** astring as raw bytes (APPEND message data). */
  bytes(what = 'string'): Buffer {
    const t = this.next(what);
    if (t.type === 'list' || t.type === 'spooled') throw new ImapSyntaxError(`Expected ${what}`);
    if (t.type === 'atom') return Buffer.from(t.value, 'utf8');
    return t.value;
  }

  /** A string that is only accepted as quoted or literal (not atom), e.g. search strings allow atoms too. */
  list(what = 'list'): Token[] {
    const t = this.next(what);
    if (t.type !== 'list') throw new ImapSyntaxError(`Expected ${what}`);
    return t.items;
  }

  number(what = 'number', max = 4294967295): number {
    const s = this.atom(what);
    if (!/^\d{1,20}$/.test(s)) throw new ImapSyntaxError(`Expected ${what}`);
    const n = Number(s);
    if (!Number.isSafeInteger(n) || n > max) throw new ImapSyntaxError(`${what} out of range`);
    return n;
  }

  sequenceSet(what = 'sequence set'): SequenceSet {
    return parseSequenceSet(this.atom(what));
  }

  end(): void {
    if (this.pos < this.tokens.length) throw new ImapSyntaxError('Unexpected extra arguments');
  }
}

/** Text of an atom or string token. */
export function tokenText(t: Token): string {
  if (t.type === 'list' || t.type === 'spooled') throw new ImapSyntaxError('Unexpected list');
  return t.type === 'atom' ? t.value : t.value.toString('utf8');
}
