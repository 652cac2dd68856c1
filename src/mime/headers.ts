// Header block parsing over raw bytes. Works on a latin1 view of the buffer so that string indexes
// are byte offsets; values are turned into text (UTF-8 when valid, else latin1) only when read.
import type { RawHeader } from './types.js';
import { bufferBytes, type MessageBytes } from './bytes.js';

export interface HeaderBlock {
  headers: RawHeader[];
  /** Offset of the first body byte. */
  bodyStart: number;
}

/** One header field of a latin1 view: its raw name and value, and where its lines are. */
export interface HeaderFieldSpan {
  name: string;
  /** The value as written, its lines joined with CRLF. */
  value: string;
  /** Offset of the field's first byte. */
  start: number;
  /** Offset just past its last line's line break. */
  end: number;
}

/**
 * The header fields of the block starting at `start` (up to the first empty line or `end`), with
 * their byte spans, so a caller can cut one out exactly. Lines that are not `name: value` (or
 * continuation lines) are skipped: a malformed header never stops parsing.
 */
export function headerFieldSpans(bin: string, start: number, end: number): { fields: HeaderFieldSpan[]; bodyStart: number } {
  const fields: HeaderFieldSpan[] = [];
  let pos = start;
  let current: HeaderFieldSpan | null = null;
  while (pos < end) {
    let nl = bin.indexOf('\n', pos);
    if (nl < 0 || nl >= end) nl = end;
    const lineEnd = nl > pos && bin.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
    const line = bin.slice(pos, lineEnd);
    const next = nl < end ? nl + 1 : end;
    if (line.length === 0) {
      if (current) fields.push(current);
      return { fields, bodyStart: next };
    }
    const first = line.charCodeAt(0);
    if (pos === start && !/^[\x21-\x39\x3b-\x7e]+[ \t]*:/.test(line)) {
      // The first line is not a header field: the part has no header block at all.
      return { fields, bodyStart: start };
    }
    if ((first === 32 || first === 9) && current) {
      current.value += '\r\n' + line;
      current.end = next;
    } else {
      if (current) fields.push(current);
      current = null;
      const colon = line.indexOf(':');
      if (colon > 0 && /^[\x21-\x39\x3b-\x7e]+$/.test(line.slice(0, colon).trimEnd())) {
        current = { name: line.slice(0, colon).trimEnd(), value: line.slice(colon + 1), start: pos, end: next };
      }
    }
    pos = next;
  }
  if (current) fields.push(current);
  return { fields, bodyStart: end };
}

/** The header block starting at `start` (see headerFieldSpans), its fields decoded to text. */
export function parseHeaderBlock(bin: string, start: number, end: number): HeaderBlock {
  const { fields, bodyStart } = headerFieldSpans(bin, start, end);
  return { headers: fields.map(finish), bodyStart };
}

/**
 * parseHeaderBlock over the bytes themselves: only the header block (through the empty line that
 * ends it) is turned into a latin1 string, so parsing a part's headers never copies its body.
 */
export function parseHeaderBlockOf(source: Buffer | MessageBytes, start: number, end: number): HeaderBlock {
  const bytes = Buffer.isBuffer(source) ? bufferBytes(source) : source;
  const stop = headerBlockEnd(bytes, start, end);
  const block = parseHeaderBlock(bytes.latin1(start, stop), 0, stop - start);
  return { headers: block.headers, bodyStart: start + block.bodyStart };
}

/**
 * Where headerFieldSpans stops reading the block at `start`: just past its empty line, else `end`;
 * `start` itself when the first line is not a header field (no block at all). Cut there, the block
 * holds the very lines and line ends headerFieldSpans reads in the whole range.
 */
function headerBlockEnd(bytes: MessageBytes, start: number, end: number): number {
  for (let pos = start; pos < end; ) {
    let nl = bytes.indexOf(10, pos, end);
    if (nl < 0) nl = end;
    const lineEnd = nl > pos && bytes.at(nl - 1) === 13 ? nl - 1 : nl;
    const next = nl < end ? nl + 1 : end;
    if (lineEnd === pos) return next;
    if (pos === start && !startsWithFieldName(bytes, pos, lineEnd)) return start;
    pos = next;
  }
  return end;
}

/** Whether bytes[start, end) starts as headerFieldSpans' first-line test wants: `name [ \t]*:`. */
function startsWithFieldName(bytes: MessageBytes, start: number, end: number): boolean {
  let i = start;
  while (i < end && isFieldNameByte(bytes.at(i))) i++;
  if (i === start) return false;
  while (i < end && (bytes.at(i) === 32 || bytes.at(i) === 9)) i++;
  return i < end && bytes.at(i) === 58;
}

function isFieldNameByte(b: number): boolean {
  return b >= 0x21 && b <= 0x7e && b !== 0x3a;
}

function finish(h: { name: string; value: string }): RawHeader {
  return { name: binToText(h.name), value: binToText(h.value) };
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** latin1 view → text: UTF-8 when the bytes are valid UTF-8 (8-bit headers), else latin1. */
export function binToText(bin: string): string {
  // eslint-disable-next-line no-control-regex
  if (!/[^\x00-\x7f]/.test(bin)) return bin;
  try {
    return utf8.decode(Buffer.from(bin, 'latin1'));
  } catch {
    return bin;
  }
}

/** Unfolds and trims a raw header value. */
export function unfold(value: string): string {
  return value.replace(/\r?\n(?=[ \t])/g, '').trim();
}

/** Last occurrence wins for Content-* fields; first for the others (RFC 5322 allows one). */
export function headerValue(headers: RawHeader[], name: string): string | null {
  const lower = name.toLowerCase();
  for (const h of headers) if (h.name.toLowerCase() === lower) return unfold(h.value);
  return null;
}

export function headerValues(headers: RawHeader[], name: string): string[] {
  const lower = name.toLowerCase();
  return headers.filter((h) => h.name.toLowerCase() === lower).map((h) => unfold(h.value));
}
