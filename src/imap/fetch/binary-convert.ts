// A body part with every Content-Transfer-Encoding undone, recursively (URLFETCH BINARY, RFC 5524
// §3.1): a leaf's body decoded; an embedded message or multipart rebuilt from its children's
// converted forms, each decoded leaf's Content-Transfer-Encoding field rewritten to "binary" so the
// result stays a readable MIME entity. The structure of the result goes with it (sizes and line
// counts of the converted bytes) for BODYPARTSTRUCTURE.
//
// The converted bytes are never assembled: they are a list of segments (stored ranges, decoded or
// not, and rewritten header blocks), measured by one pass over the store (sizes, line breaks, NULs)
// and then streamed from it (./literal-stream.ts).
import type { MimePart } from '../../store/types.js';
import { decodeTransferChunks } from '../../mime/transfer-stream.js';
import { headerFieldSpans } from '../../mime/headers.js';
import { readAll, windowOf } from '../../store/byte-sources.js';
import { BytesGoneError } from '../../store/api/byte-source.js';
import { reopen, windowBounds, type MessageRef, type PlannedBytes } from './literal-stream.js';

const KNOWN_ENCODINGS = new Set(['7bit', '8bit', 'binary', 'base64', 'quoted-printable']);
/** Encodings whose decoding changes the bytes: their parts' headers then say "binary". */
const DECODED_ENCODINGS = new Set(['base64', 'quoted-printable']);

/** A part whose Content-Transfer-Encoding is unknown: it cannot be decoded (RFC 3516 UNKNOWN-CTE). */
export class UnknownTransferEncoding extends Error {
  constructor(readonly encoding: string) {
    super(`Unknown Content-Transfer-Encoding ${encoding.slice(0, 40)}`);
  }
}

/** A piece of converted bytes: a stored range (decoded from `decode` when set) or bytes made here. */
type Segment = { start: number; end: number; decode?: string } | { data: Buffer };

/** What the measuring pass learnt of a segment. */
interface Measure {
  size: number;
  /** Line breaks (LF): BODYPARTSTRUCTURE of converted data counts these, as Dovecot does. */
  lines: number;
  nul: boolean;
}

type Measures = Map<Segment, Measure>;

interface Converted {
  segments: Segment[];
  /** The structure of the converted bytes, once every segment is measured. */
  structure(measures: Measures): MimePart;
}

/** Converted bytes, ready to be sent: their size, whether a NUL is among them, and their structure. */
export interface ConvertedPart {
  bytes: PlannedBytes;
  nul: boolean;
  structure: MimePart;
}

function range(start: number, end: number, decode?: string): Segment {
  return decode ? { start, end, decode } : { start, end };
}

function total(segments: readonly Segment[], measures: Measures): Measure {
  const sum: Measure = { size: 0, lines: 0, nul: false };
  for (const seg of segments) {
    const m = measures.get(seg)!;
    sum.size += m.size;
    sum.lines += m.lines;
    sum.nul ||= m.nul;
  }
  return sum;
}

/**
 * Line breaks in `b`. BODYPARTSTRUCTURE of converted data counts line breaks only, as Dovecot does
 * (imaptest's urlauth-binary expects 0 lines for a decoded "hello world" with none), where the
 * stored structure also counts an unterminated last line.
 */
function lineBreaks(b: Buffer): number {
  let n = 0;
  for (let i = b.indexOf(10); i >= 0; i = b.indexOf(10, i + 1)) n++;
  return n;
}

/** The body of `part` converted (what BINARY[part] of RFC 3516 gives, applied to the whole subtree). */
async function convertBody(ref: MessageRef, part: MimePart): Promise<Converted> {
  if (part.type === 'multipart') {
    const segments: Segment[] = [];
    const children: Converted[] = [];
    let cursor = part.bodyStart;
    for (const child of part.children) {
      segments.push(range(cursor, child.headerStart));
      const c = await convertMessage(ref, child);
      for (const seg of c.segments) segments.push(seg);
      children.push(c);
      cursor = child.end;
    }
    segments.push(range(cursor, part.end));
    return {
      segments,
      structure: (m) => ({ ...part, children: children.map((c) => c.structure(m)), size: total(segments, m).size }),
    };
  }
  if (part.message) {
    const embedded = part.message;
    const inner = await convertMessage(ref, embedded.body);
    return {
      segments: inner.segments,
      structure: (m) => {
        const t = total(inner.segments, m);
        return { ...part, message: { ...embedded, body: inner.structure(m) }, size: t.size, lines: t.lines };
      },
    };
  }
  const encoding = part.encoding.toLowerCase();
  if (!KNOWN_ENCODINGS.has(encoding)) throw new UnknownTransferEncoding(encoding);
  const segments = [range(part.bodyStart, part.end, DECODED_ENCODINGS.has(encoding) ? encoding : undefined)];
  return {
    segments,
    structure: (m) => {
      const t = total(segments, m);
      return { ...part, size: t.size, decodedSize: t.size, lines: part.lines === null ? null : t.lines };
    },
  };
}

/**
 * A part's header block and converted body (a whole message: its root part); a decoded leaf's
 * Content-Transfer-Encoding now says binary (its header block is read for that, alone).
 */
async function convertMessage(ref: MessageRef, part: MimePart): Promise<Converted> {
  const body = await convertBody(ref, part);
  let header: Segment = range(part.headerStart, part.bodyStart);
  if (part.type !== 'multipart' && !part.message && DECODED_ENCODINGS.has(part.encoding.toLowerCase())) {
    header = { data: rewriteEncodingField((await readAll(await reopen(ref, part.headerStart, part.bodyStart))).toString('latin1')) };
  }
  return { segments: [header, ...body.segments], structure: body.structure };
}

function rewriteEncodingField(bin: string): Buffer {
  const { fields } = headerFieldSpans(bin, 0, bin.length);
  let out = '';
  let cursor = 0;
  for (const f of fields) {
    if (f.name.toLowerCase() !== 'content-transfer-encoding') continue;
    out += bin.slice(cursor, f.start) + `${f.name}: binary\r\n`;
    cursor = f.end;
  }
  return Buffer.from(out + bin.slice(cursor), 'latin1');
}

/** A segment's bytes as they are sent: stored, decoded, or made here. */
async function* segmentChunks(ref: MessageRef, seg: Segment): AsyncGenerator<Buffer> {
  if ('data' in seg) {
    if (seg.data.length > 0) yield seg.data;
    return;
  }
  if (seg.end <= seg.start) return;
  const source = await reopen(ref, seg.start, seg.end);
  yield* seg.decode ? decodeTransferChunks(source.chunks(), seg.decode) : source.chunks();
}

async function measure(ref: MessageRef, seg: Segment): Promise<Measure> {
  const m: Measure = { size: 0, lines: 0, nul: false };
  for await (const chunk of segmentChunks(ref, seg)) {
    m.size += chunk.length;
    m.lines += lineBreaks(chunk);
    m.nul ||= chunk.includes(0);
  }
  // A stored range must come out whole: fewer bytes mean the message changed under the reader.
  if (!('data' in seg) && !seg.decode && m.size !== Math.max(0, seg.end - seg.start)) throw new BytesGoneError(ref.emailId);
  return m;
}

/**
 * The converted body of `part` (`whole`: the part with its header block, for a whole message),
 * clipped to `partial`. Throws UnknownTransferEncoding for a part that cannot be decoded.
 */
export async function convertPart(ref: MessageRef, part: MimePart, whole: boolean, partial?: { start: number; length?: number }): Promise<ConvertedPart> {
  const converted = whole ? await convertMessage(ref, part) : await convertBody(ref, part);
  const segments = converted.segments;
  const measures: Measures = new Map();
  for (const seg of segments) measures.set(seg, await measure(ref, seg));
  const all = total(segments, measures);
  const w = windowBounds(all.size, partial);
  const chunks = async function* (): AsyncGenerator<Buffer> {
    for (const seg of segments) yield* segmentChunks(ref, seg);
  };
  const bytes: PlannedBytes = { size: w.end - w.start, chunks: () => windowOf(chunks(), w.start, w.end) };
  let nul = all.nul;
  if (partial && nul) {
    nul = false;
    for await (const chunk of bytes.chunks()) if ((nul = chunk.includes(0))) break;
  }
  return { bytes, nul, structure: converted.structure(measures) };
}
