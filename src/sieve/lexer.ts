// The lexical layer of RFC 5228 §8.1: identifiers, tags, numbers with K/M/G quantifiers, quoted and
// multi-line strings, the punctuation of the grammar, and both comment forms. Every token keeps its
// line and column; a malformed token raises SieveSyntaxError at the place it starts.
import { SieveSyntaxError, type Position } from './ast.js';
import { own } from './own.js';

export type Token =
  | ({ type: 'identifier'; value: string } & Position)
  | ({ type: 'tag'; value: string } & Position)
  | ({ type: 'number'; value: number } & Position)
  | ({ type: 'string'; value: string } & Position)
  | ({ type: 'punct'; value: '[' | ']' | '(' | ')' | ',' | ';' | '{' | '}' } & Position)
  | ({ type: 'eof' } & Position);

/** Numbers above this are refused: a 2^53 quantity has no meaning in a filter and loses precision. */
const MAX_NUMBER = 2 ** 53 - 1;
const QUANTIFIERS: Record<string, number> = { k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

const isAlpha = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isIdentChar = (c: number): boolean => isAlpha(c) || isDigit(c) || c === 95;

export class Lexer {
  private pos = 0;
  private line = 1;
  /** Offset of the first character of the current line, for columns. */
  private lineStart = 0;

  constructor(private readonly text: string) {}

  private here(): Position {
    return { line: this.line, column: this.pos - this.lineStart + 1 };
  }

  private fail(at: Position, message: string): never {
    throw new SieveSyntaxError(at.line, at.column, message);
  }

  /** Consumes one line ending (CRLF, or a bare LF that scripts written on Unix carry). */
  private newline(): void {
    if (this.text.charCodeAt(this.pos) === 13) this.pos++;
    this.pos++;
    this.line++;
    this.lineStart = this.pos;
  }

  private skipSpaceAndComments(): void {
    const t = this.text;
    for (;;) {
      const c = t.charCodeAt(this.pos);
      if (c === 32 || c === 9) {
        this.pos++;
      } else if (c === 10 || (c === 13 && t.charCodeAt(this.pos + 1) === 10)) {
        this.newline();
      } else if (c === 35) {
        // hash-comment: to the end of the line
        while (this.pos < t.length && t.charCodeAt(this.pos) !== 10) this.pos++;
      } else if (c === 47 && t.charCodeAt(this.pos + 1) === 42) {
        const start = this.here();
        this.pos += 2;
        for (;;) {
          if (this.pos >= t.length) this.fail(start, 'unterminated /* comment');
          const d = t.charCodeAt(this.pos);
          if (d === 42 && t.charCodeAt(this.pos + 1) === 47) {
            this.pos += 2;
            break;
          }
          if (d === 10) this.newline();
          else this.pos++;
        }
      } else {
        return;
      }
    }
  }

  next(): Token {
    this.skipSpaceAndComments();
    const t = this.text;
    const at = this.here();
    if (this.pos >= t.length) return { type: 'eof', ...at };
    const c = t.charCodeAt(this.pos);
    if (isAlpha(c) || c === 95) {
      const start = this.pos;
      while (this.pos < t.length && isIdentChar(t.charCodeAt(this.pos))) this.pos++;
      const word = t.slice(start, this.pos);
      if (word.toLowerCase() === 'text' && t.charCodeAt(this.pos) === 58) {
        this.pos++;
        return { type: 'string', value: this.multiline(at), ...at };
      }
      return { type: 'identifier', value: word.toLowerCase(), ...at };
    }
    if (c === 58) {
      this.pos++;
      const start = this.pos;
      const first = t.charCodeAt(this.pos);
      if (!(isAlpha(first) || first === 95)) this.fail(at, 'a tag is ":" followed by a name');
      while (this.pos < t.length && isIdentChar(t.charCodeAt(this.pos))) this.pos++;
      return { type: 'tag', value: t.slice(start, this.pos).toLowerCase(), ...at };
    }
    if (isDigit(c)) {
      const start = this.pos;
      while (this.pos < t.length && isDigit(t.charCodeAt(this.pos))) this.pos++;
      let value = Number(t.slice(start, this.pos));
      const q = own(QUANTIFIERS, t.charAt(this.pos).toLowerCase());
      if (q !== undefined) {
        value *= q;
        this.pos++;
      }
      if (this.pos < t.length && isIdentChar(t.charCodeAt(this.pos))) this.fail(at, 'malformed number');
      if (!Number.isSafeInteger(value) || value > MAX_NUMBER) this.fail(at, 'number too large');
      return { type: 'number', value, ...at };
    }
    if (c === 34) return { type: 'string', value: this.quoted(at), ...at };
    const ch = t.charAt(this.pos);
    if ('[](),;{}'.includes(ch)) {
      this.pos++;
      return { type: 'punct', value: ch as '[' | ']' | '(' | ')' | ',' | ';' | '{' | '}', ...at };
    }
    this.fail(at, `unexpected character ${JSON.stringify(ch)}`);
  }

  /** quoted-string: `\"` and `\\` are the escapes; any other `\x` is read as `x` (§2.4.2). */
  private quoted(at: Position): string {
    const t = this.text;
    this.pos++;
    let out = '';
    let runStart = this.pos;
    for (;;) {
      if (this.pos >= t.length) this.fail(at, 'unterminated string');
      const c = t.charCodeAt(this.pos);
      if (c === 34) {
        out += t.slice(runStart, this.pos);
        this.pos++;
        return out;
      }
      if (c === 92) {
        out += t.slice(runStart, this.pos);
        this.pos++;
        if (this.pos >= t.length) this.fail(at, 'unterminated string');
        if (t.charCodeAt(this.pos) === 10 || t.charCodeAt(this.pos) === 13) {
          runStart = this.pos;
          continue;
        }
        out += t.charAt(this.pos);
        this.pos++;
        runStart = this.pos;
        continue;
      }
      if (c === 10) {
        this.pos++;
        this.line++;
        this.lineStart = this.pos;
        continue;
      }
      this.pos++;
    }
  }

  /**
   * multi-line: `text:` then blanks and an optional hash comment up to the line end, then lines up to
   * one holding a lone "."; a leading ".." stands for "." (dot-stuffing). The value keeps CRLF line
   * endings, whatever the script used.
   */
  private multiline(at: Position): string {
    const t = this.text;
    while (t.charCodeAt(this.pos) === 32 || t.charCodeAt(this.pos) === 9) this.pos++;
    if (t.charCodeAt(this.pos) === 35) {
      while (this.pos < t.length && t.charCodeAt(this.pos) !== 10) this.pos++;
    }
    const c = t.charCodeAt(this.pos);
    if (!(c === 10 || (c === 13 && t.charCodeAt(this.pos + 1) === 10))) this.fail(at, '"text:" must be followed by a line break');
    this.newline();
    const lines: string[] = [];
    for (;;) {
      if (this.pos >= t.length) this.fail(at, 'unterminated multi-line string: missing a line with a single "."');
      let nl = t.indexOf('\n', this.pos);
      if (nl < 0) nl = t.length;
      const end = nl > this.pos && t.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      const line = t.slice(this.pos, end);
      this.pos = nl;
      if (this.pos < t.length) {
        this.pos++;
        this.line++;
        this.lineStart = this.pos;
      }
      if (line === '.') return lines.map((l) => l + '\r\n').join('');
      lines.push(line.startsWith('.') ? line.slice(1) : line);
    }
  }
}
