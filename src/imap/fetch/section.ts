// Where BODY[section] / BINARY[section] bytes lie in a message, from the part offsets of the store's
// parsed cache (RFC 3501 §6.4.5 section rules, RFC 3516 decoding), so they can be read as a range.
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

/** What HEADER.FIELDS(.NOT) keeps of a header block, decided a line at a time. */
class FieldFilter {
  private keep = false;
  /** The blank line ending the header block was seen: nothing after it counts. */
  done = false;
  private readonly want: Set<string>;

  constructor(
    fields: string[],
    private readonly not: boolean,
  ) {
    this.want = new Set(fields.map((f) => f.toLowerCase()));
  }

  /** What one line (latin1, with its "\n" when it has one) contributes to the filtered block. */
  take(line: string): string {
    if (line === '\r\n' || line === '\n') {
      this.done = true;
      return '';
    }
    if (line[0] === ' ' || line[0] === '\t') return this.keep ? line : '';
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon).trim().toLowerCase() : '';
    this.keep = colon > 0 && this.want.has(name) !== this.not;
    if (!this.keep) return '';
    return line.endsWith('\n') ? line : line + '\r\n';
  }
}

/** Header lines of raw[start,end) whose names are (or are not) in `fields`, plus the blank line. */
function filterHeaders(raw: Buffer, start: number, end: number, fields: string[], not: boolean): Buffer {
  const filter = new FieldFilter(fields, not);
  const out: string[] = [];
  for (const line of raw.toString('latin1', start, end).split(/(?<=\n)/)) {
    out.push(filter.take(line));
    if (filter.done) break;
  }
  out.push('\r\n');
  return Buffer.from(out.join(''), 'latin1');
}

/**
 * filterHeaders of a header block read in chunks, byte-identical however it is cut: only the line
 * being read is held (a huge header block is never in memory whole).
 */
export async function* filterHeaderChunks(chunks: AsyncIterable<Buffer>, fields: string[], not: boolean): AsyncGenerator<Buffer> {
  const filter = new FieldFilter(fields, not);
  let carry = '';
  for await (const chunk of chunks) {
    const text = carry + chunk.toString('latin1');
    let from = 0;
    let out = '';
    for (let nl = text.indexOf('\n'); nl >= 0 && !filter.done; nl = text.indexOf('\n', from)) {
      out += filter.take(text.slice(from, nl + 1));
      from = nl + 1;
    }
    if (out !== '') yield Buffer.from(out, 'latin1');
    if (filter.done) break;
    carry = text.slice(from);
  }
  if (!filter.done && carry !== '') {
    const last = filter.take(carry);
    if (last !== '') yield Buffer.from(last, 'latin1');
  }
  yield Buffer.from('\r\n', 'latin1');
}

/**
 * Where a section's bytes lie in the stored message, found from the part offsets alone (nothing is
 * read): a byte range, decoded from `decode` for BINARY of a base64 or quoted-printable leaf, or a
 * header block to be filtered (HEADER.FIELDS). `none` when the part does not exist.
 */
export type SectionPlan =
  | { kind: 'none' }
  | { kind: 'range'; start: number; end: number; decode?: string }
  | { kind: 'fields'; start: number; end: number; fields: string[]; not: boolean };

/** Throws UNKNOWN-CTE for BINARY of a leaf whose Content-Transfer-Encoding cannot be undone. */
export function sectionPlan(root: MimePart, spec: SectionSpec, binary: boolean, size: number): SectionPlan {
  const range = (start: number, end: number): SectionPlan => ({ kind: 'range', start, end });
  const fields = (m: MimePart): SectionPlan => ({ kind: 'fields', start: m.headerStart, end: m.bodyStart, fields: spec.fields ?? [], not: spec.text === 'HEADER.FIELDS.NOT' });
  const text = spec.text;
  if (spec.part.length === 0) {
    if (!text) return range(0, size);
    if (text === 'HEADER') return range(root.headerStart, root.bodyStart);
    if (text === 'TEXT') return range(root.bodyStart, root.end);
    if (text === 'HEADER.FIELDS' || text === 'HEADER.FIELDS.NOT') return fields(root);
    return { kind: 'none' };
  }
  // The "message" the HEADER/TEXT specifiers apply to: the top level, or an embedded message/rfc822.
  const part = findPart(root, spec.part);
  if (!part) return { kind: 'none' };
  if (!text) {
    if (!binary || part.type === 'multipart' || part.message) return range(part.bodyStart, part.end);
    const enc = part.encoding.toLowerCase();
    if (!['7bit', '8bit', 'binary', 'base64', 'quoted-printable'].includes(enc)) {
      throw new ImapNoError('Unknown Content-Transfer-Encoding', 'UNKNOWN-CTE');
    }
    return enc === 'base64' || enc === 'quoted-printable' ? { kind: 'range', start: part.bodyStart, end: part.end, decode: enc } : range(part.bodyStart, part.end);
  }
  if (text === 'MIME') return range(part.headerStart, part.bodyStart);
  // HEADER/TEXT of a part apply to an embedded message only.
  if (!part.message) return { kind: 'none' };
  const inner = part.message.body;
  if (text === 'HEADER') return range(inner.headerStart, inner.bodyStart);
  if (text === 'TEXT') return range(inner.bodyStart, inner.end);
  return fields(inner);
}

/** HEADER.FIELDS(.NOT) of a plan: the header block `header` (its bytes, read alone) filtered. */
export function filterPlannedHeader(plan: Extract<SectionPlan, { kind: 'fields' }>, header: Buffer): Buffer {
  return filterHeaders(header, 0, header.length, plan.fields, plan.not);
}

/**
 * Bytes of a section of a message held in memory, by its plan: what FETCH streams, for checks of
 * the plans against the parsed sizes (fuzz/targets/mime.fuzz.ts); null when the part does not exist.
 */
export function sectionBytes(raw: Buffer, root: MimePart, spec: SectionSpec, binary: boolean): Buffer | null {
  const plan = sectionPlan(root, spec, binary, raw.length);
  if (plan.kind === 'none') return null;
  if (plan.kind === 'fields') return filterHeaders(raw, plan.start, plan.end, plan.fields, plan.not);
  const bytes = raw.subarray(plan.start, plan.end);
  return plan.decode ? decodeTransfer(bytes, plan.decode) : bytes;
}
