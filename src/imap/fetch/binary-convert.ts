// A body part with every Content-Transfer-Encoding undone, recursively (URLFETCH BINARY, RFC 5524
// §3.1): a leaf's body decoded; an embedded message or multipart rebuilt from its children's
// converted forms, each decoded leaf's Content-Transfer-Encoding field rewritten to "binary" so the
// result stays a readable MIME entity. The structure of the result goes with it (sizes and line
// counts of the converted bytes) for BODYPARTSTRUCTURE.
import type { MimePart } from '../../store/types.js';
import { decodeTransfer } from '../../mime/decode.js';
import { headerFieldSpans } from '../../mime/headers.js';

const KNOWN_ENCODINGS = new Set(['7bit', '8bit', 'binary', 'base64', 'quoted-printable']);
/** Encodings whose decoding changes the bytes: their parts' headers then say "binary". */
const DECODED_ENCODINGS = new Set(['base64', 'quoted-printable']);

/** A part whose Content-Transfer-Encoding is unknown: it cannot be decoded (RFC 3516 UNKNOWN-CTE). */
export class UnknownTransferEncoding extends Error {
  constructor(readonly encoding: string) {
    super(`Unknown Content-Transfer-Encoding ${encoding.slice(0, 40)}`);
  }
}

export interface ConvertedPart {
  bytes: Buffer;
  /** The part as it describes the converted bytes (offsets are not meaningful, sizes and lines are). */
  structure: MimePart;
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
export function convertBody(raw: Buffer, part: MimePart): ConvertedPart {
  if (part.type === 'multipart') {
    const chunks: Buffer[] = [];
    const children: MimePart[] = [];
    let cursor = part.bodyStart;
    for (const child of part.children) {
      chunks.push(raw.subarray(cursor, child.headerStart));
      const c = convertMessage(raw, child);
      chunks.push(c.bytes);
      children.push(c.structure);
      cursor = child.end;
    }
    chunks.push(raw.subarray(cursor, part.end));
    const bytes = Buffer.concat(chunks);
    return { bytes, structure: { ...part, children, size: bytes.length } };
  }
  if (part.message) {
    const inner = convertMessage(raw, part.message.body);
    const bytes = inner.bytes;
    return {
      bytes,
      structure: { ...part, message: { ...part.message, body: inner.structure }, size: bytes.length, lines: lineBreaks(bytes) },
    };
  }
  const encoding = part.encoding.toLowerCase();
  if (!KNOWN_ENCODINGS.has(encoding)) throw new UnknownTransferEncoding(encoding);
  const bytes = decodeTransfer(raw.subarray(part.bodyStart, part.end), encoding);
  return { bytes, structure: { ...part, size: bytes.length, decodedSize: bytes.length, lines: part.lines === null ? null : lineBreaks(bytes) } };
}

/**
 * A part's header block and converted body (a whole message: its root part); a decoded leaf's
 * Content-Transfer-Encoding now says binary.
 */
export function convertMessage(raw: Buffer, part: MimePart): ConvertedPart {
  const body = convertBody(raw, part);
  let header = raw.subarray(part.headerStart, part.bodyStart);
  if (part.type !== 'multipart' && !part.message && DECODED_ENCODINGS.has(part.encoding.toLowerCase())) {
    header = rewriteEncodingField(raw, part);
  }
  return { bytes: Buffer.concat([header, body.bytes]), structure: body.structure };
}

function rewriteEncodingField(raw: Buffer, part: MimePart): Buffer {
  const bin = raw.toString('latin1', part.headerStart, part.bodyStart);
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
