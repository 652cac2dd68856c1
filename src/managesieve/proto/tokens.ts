// The ManageSieve line grammar (RFC 5804 §4): atoms (command names), numbers, quoted strings and
// literals `{n+}` / `{n}` CRLF <n octets>. A command may span several lines when it carries literals,
// so a line is scanned on its own: its tokens, and the literal it announces at its end, if any. The
// session then reads the literal's octets and scans the next line as the continuation. Pure: bytes in,
// tokens or the reason they are refused out, so the session and the fuzzer share it.

export type Token =
  | { kind: 'atom'; value: string }
  | { kind: 'number'; value: number }
  /** A quoted string or a literal; `discarded` = a literal too large to keep, of this many octets. */
  | { kind: 'string'; value: Buffer; discarded?: number };

export interface LiteralAnnouncement {
  size: number;
  /** `{n}` without `+`: RFC 5804 clients send `{n+}`; `{n}` is taken the same way (no continuation). */
  synchronizing: boolean;
}

export type LineScan = { ok: true; tokens: Token[]; literal?: LiteralAnnouncement } | { ok: false; message: string };

/** RFC 5804 §4: number = 1*DIGIT, at most 4294967295. */
const MAX_NUMBER = 4294967295;

const SP = 0x20;
const DQUOTE = 0x22;
const BACKSLASH = 0x5c;

function isAtomChar(b: number): boolean {
  return (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b === 0x2d || b === 0x5f;
}

function isDigit(b: number): boolean {
  return b >= 0x30 && b <= 0x39;
}

export function scanLine(line: Buffer): LineScan {
  const tokens: Token[] = [];
  let i = 0;
  while (i < line.length) {
    const b = line[i]!;
    if (b === SP) {
      i++;
      continue;
    }
    if (b === DQUOTE) {
      const parts: number[] = [];
      let j = i + 1;
      for (;;) {
        if (j >= line.length) return { ok: false, message: 'Unterminated quoted string' };
        const c = line[j]!;
        if (c === DQUOTE) break;
        if (c === BACKSLASH) {
          const n = line[j + 1];
          // RFC 5804 §4: only DQUOTE and backslash may be escaped.
          if (n !== DQUOTE && n !== BACKSLASH) return { ok: false, message: 'Invalid escape in quoted string' };
          parts.push(n);
          j += 2;
          continue;
        }
        if (c === 0x00 || c === 0x0d || c === 0x0a) return { ok: false, message: 'Invalid character in quoted string' };
        parts.push(c);
        j++;
      }
      tokens.push({ kind: 'string', value: Buffer.from(parts) });
      i = j + 1;
      continue;
    }
    if (b === 0x7b /* { */) {
      const m = /^\{([0-9]{1,10})(\+?)\}$/.exec(line.subarray(i).toString('latin1'));
      if (!m) return { ok: false, message: 'Invalid literal: a literal {n+} ends its line' };
      const size = Number(m[1]);
      if (size > MAX_NUMBER) return { ok: false, message: 'Literal size out of range' };
      return { ok: true, tokens, literal: { size, synchronizing: m[2] !== '+' } };
    }
    if (isDigit(b)) {
      let j = i;
      while (j < line.length && isDigit(line[j]!)) j++;
      if (j < line.length && line[j] !== SP) return { ok: false, message: 'Invalid number' };
      const digits = line.subarray(i, j).toString('latin1');
      const value = Number(digits);
      if (digits.length > 10 || value > MAX_NUMBER) return { ok: false, message: 'Number out of range' };
      tokens.push({ kind: 'number', value });
      i = j;
      continue;
    }
    if (isAtomChar(b)) {
      let j = i;
      while (j < line.length && isAtomChar(line[j]!)) j++;
      if (j < line.length && line[j] !== SP) return { ok: false, message: 'Invalid characters in command' };
      tokens.push({ kind: 'atom', value: line.subarray(i, j).toString('latin1').toUpperCase() });
      i = j;
      continue;
    }
    return { ok: false, message: 'Invalid characters in command' };
  }
  return { ok: true, tokens };
}

/** A string argument as UTF-8 text; undefined when its octets are not UTF-8 (RFC 5804 strings are). */
export function utf8(token: Token | undefined): string | undefined {
  if (token?.kind !== 'string' || token.discarded !== undefined) return undefined;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(token.value);
  } catch {
    return undefined;
  }
}

/**
 * RFC 5804 §1.6: a script name is a non-empty UTF-8 string without control characters (U+0000–U+001F,
 * U+007F–U+009F) or line/paragraph separators (U+2028, U+2029).
 */
export function isValidScriptName(name: string): boolean {
  return name.length > 0 && Buffer.byteLength(name, 'utf8') <= 1024 && !/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(name);
}
