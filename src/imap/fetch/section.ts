// Extracts BODY[section] / BINARY[section] bytes from a message using the part offsets of the store's
// parsed cache (RFC 3501 §6.4.5 section rules, RFC 3516 decoding).
import type { MimePart } from '../../store/types.js';
import { decodeTransfer } from '../../mime/decode.js';
import { ImapNoError } from '../proto/errors.js';
import type { SectionSpec } from './items.js';

/** The part a section number names, or null when it does not exist. */
export function findPart(root: MimePart, numbers: number[]): MimePart | null {
  let cur: MimePart | null = null;
  for (const n of numbers) {
    let container: MimePart;
    if (cur === null) container = root;
    else if (cur.type === 'multipart') container = cur;
    else if (cur.message) container = cur.message.body;
    else return null;
    if (container.type === 'multipart') {
      const child = container.children[n - 1];
      if (!child) return null;
      cur = child;
    } else {
      // A non-multipart message body is its own part 1.
      if (n !== 1) return null;
      cur = container;
    }
  }
  return cur;
}

/** Header lines of raw[start,end) whose names are (or are not) in `fields`, plus the blank line. */
function filterHeaders(raw: Buffer, start: number, end: number, fields: string[], not: boolean): Buffer {
  const want = new Set(fields.map((f) => f.toLowerCase()));
  const bin = raw.toString('latin1', start, end);
  const lines = bin.split(/(?<=\n)/);
  const out: string[] = [];
  let keep = false;
  for (const line of lines) {
    if (line === '\r\n' || line === '\n') break;
    if (line[0] === ' ' || line[0] === '\t') {
      if (keep) out.push(line);
      continue;
    }
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon).trim().toLowerCase() : '';
    keep = colon > 0 && want.has(name) !== not;
    if (keep) out.push(line.endsWith('\n') ? line : line + '\r\n');
  }
  out.push('\r\n');
  return Buffer.from(out.join(''), 'latin1');
}

/**
 * Bytes of a section; null when the part does not exist (the response then carries an empty
 * string, as RFC 3501 prefers to an error for non-existent parts).
 */
export function sectionBytes(raw: Buffer, root: MimePart, spec: SectionSpec, binary: boolean): Buffer | null {
  // The "message" the HEADER/TEXT specifiers apply to: the top level, or an embedded message/rfc822.
  let part: MimePart | null = root;
  if (spec.part.length > 0) {
    part = findPart(root, spec.part);
    if (!part) return null;
  }
  const text = spec.text;
  if (spec.part.length === 0) {
    if (!text) return raw;
    const headerEnd = root.bodyStart;
    if (text === 'HEADER') return raw.subarray(root.headerStart, headerEnd);
    if (text === 'TEXT') return raw.subarray(root.bodyStart, root.end);
    if (text === 'HEADER.FIELDS' || text === 'HEADER.FIELDS.NOT') return filterHeaders(raw, root.headerStart, headerEnd, spec.fields ?? [], text === 'HEADER.FIELDS.NOT');
    return null;
  }
  if (!text) {
    const body = raw.subarray(part.bodyStart, part.end);
    if (!binary || part.type === 'multipart' || part.message) return body;
    const enc = part.encoding.toLowerCase();
    if (!['7bit', '8bit', 'binary', 'base64', 'quoted-printable'].includes(enc)) {
      throw new ImapNoError('Unknown Content-Transfer-Encoding', 'UNKNOWN-CTE');
    }
    return decodeTransfer(body, enc);
  }
  if (text === 'MIME') return raw.subarray(part.headerStart, part.bodyStart);
  // HEADER/TEXT of a part apply to an embedded message only.
  if (!part.message) return null;
  const inner = part.message.body;
  if (text === 'HEADER') return raw.subarray(inner.headerStart, inner.bodyStart);
  if (text === 'TEXT') return raw.subarray(inner.bodyStart, inner.end);
  return filterHeaders(raw, inner.headerStart, inner.bodyStart, spec.fields ?? [], text === 'HEADER.FIELDS.NOT');
}
