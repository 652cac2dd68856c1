// decodeTransfer (./decode.ts) a chunk at a time: a base64 or quoted-printable part of a large message
// is decoded as it is read, never held whole. The output is byte-identical to decodeTransfer's on the
// same bytes, however they are split: each decoder holds back only what a later chunk may change.
import * as libqp from 'libqp';

/** A part body's bytes with its Content-Transfer-Encoding undone, as decodeTransfer would. */
export function decodeTransferChunks(chunks: AsyncIterable<Buffer>, encoding: string): AsyncIterable<Buffer> {
  switch (encoding.toLowerCase().trim()) {
    case 'base64':
      return decodeBase64Chunks(chunks);
    case 'quoted-printable':
      return decodeQuotedPrintableChunks(chunks);
    default:
      return chunks;
  }
}

/** The base64 alphabets (standard and URL-safe) Node's decoder reads; every other byte is skipped. */
// eslint-disable-next-line no-control-regex
const NOT_BASE64 = /[^A-Za-z0-9+/\-_=]+/g;

/**
 * libbase64 decodes the text between '=' signs as separate segments, and Node's decoder skips bytes
 * outside the alphabet: so whole 4-character groups of a segment decode on their own, and only the
 * last 0-3 characters of a chunk wait for the next one (or for the segment's end).
 */
async function* decodeBase64Chunks(chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  let pending = '';
  for await (const chunk of chunks) {
    const segments = (pending + chunk.toString('latin1').replace(NOT_BASE64, '')).split('=');
    pending = segments.pop()!;
    const done = segments.map((s) => Buffer.from(s, 'base64'));
    const whole = pending.length - (pending.length % 4);
    done.push(Buffer.from(pending.slice(0, whole), 'base64'));
    pending = pending.slice(whole);
    const out = Buffer.concat(done);
    if (out.length > 0) yield out;
  }
  const last = Buffer.from(pending, 'base64');
  if (last.length > 0) yield last;
}

/**
 * libqp's decode strips blanks before line ends, joins soft-broken lines and only then reads =XX
 * escapes (one may span a soft break), so the text before a cut decodes the same alone when it ends
 * at a hard line break (a line not ending in '=' once blanks are trimmed), in three bytes that are
 * none of '=', blank, CR, LF (no escape, soft break or trailing blank run reaches over the cut),
 * right after an escape '=' hex hex: '=' is never a hex digit, so no earlier escape can take that '=',
 * it starts an escape however the text before it reads, and its last byte ends no blank run or soft
 * break; or right after a soft break with no escape open before it (see qpSafeCut). Only the text
 * after the last such point waits for the next chunk. Text of 8-bit characters (Cyrillic, CJK) or a
 * QP-encoded binary part is escapes and soft breaks only, with no hard line break for as long as a
 * paragraph or the whole part: without the escape rule all of it was held; and without the soft
 * break rule, so was a body of short lines each soft-broken ("ab=" CRLF, again and again).
 */
async function* decodeQuotedPrintableChunks(chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  let pending: Buffer = Buffer.alloc(0);
  for await (const chunk of chunks) {
    const scanned = pending.length;
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    // A point's safety depends only on the bytes before it: points already refused stay refused.
    const cut = qpSafeCut(pending, scanned);
    if (cut > 0) {
      const out = libqp.decode(pending.subarray(0, cut));
      pending = pending.subarray(cut);
      if (out.length > 0) yield out;
    }
  }
  if (pending.length > 0) yield libqp.decode(pending);
}

function isHexDigit(byte: number | undefined): boolean {
  return byte !== undefined && ((byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x46) || (byte >= 0x61 && byte <= 0x66));
}

function qpPlain(byte: number | undefined): boolean {
  return byte !== undefined && byte !== 0x3d && byte !== 0x20 && byte !== 0x09 && byte !== 0x0d && byte !== 0x0a;
}

/** Where the line break ending just before `lineEnd` starts, blanks and CRs before the LF included. */
function lineBreakStart(bytes: Buffer, lineEnd: number): number {
  let end = lineEnd - 1;
  while (end > 0 && (bytes[end - 1] === 0x20 || bytes[end - 1] === 0x09 || bytes[end - 1] === 0x0d)) end--;
  return end;
}

/**
 * The index of the last byte before `pos` that decoding keeps, soft breaks ('=', blanks and CRs, LF)
 * skipped; -1 when there is none. Taken as soft breaks here are also a few breaks libqp keeps
 * ('=' CR CR LF): the kept LF after them would only make a cut safer than this says.
 */
function lastKept(bytes: Buffer, pos: number): number {
  let at = pos;
  while (at > 0 && bytes[at - 1] === 0x0a) {
    const start = lineBreakStart(bytes, at);
    if (bytes[start - 1] !== 0x3d) break;
    at = start - 1;
  }
  return at - 1;
}

/** The last safe cut in `bytes` after offset `after` (0: none). */
function qpSafeCut(bytes: Buffer, after: number): number {
  for (let cut = bytes.length; cut > after; cut--) {
    if (bytes[cut - 1] === 0x0a) {
      const end = lineBreakStart(bytes, cut);
      if (bytes[end - 1] !== 0x3d) return cut;
      // A soft break: safe unless the text before it, soft breaks removed (decoding drops them),
      // ends in an escape still open ('=', or '=' hex), which the text after the cut may close.
      // The bytes before `bytes` start at a safe cut, so running out of text is safe. Every cut
      // back to the last kept byte has that same text before it: a refused run is refused whole.
      const last = lastKept(bytes, cut);
      if (last < 0) return cut;
      const before = lastKept(bytes, last);
      if (bytes[last] !== 0x3d && !(before >= 0 && bytes[before] === 0x3d && isHexDigit(bytes[last]))) return cut;
      cut = last + 2;
    } else if (cut >= 3 && qpPlain(bytes[cut - 1]) && qpPlain(bytes[cut - 2]) && qpPlain(bytes[cut - 3])) {
      return cut;
    } else if (cut >= 3 && bytes[cut - 3] === 0x3d && isHexDigit(bytes[cut - 2]) && isHexDigit(bytes[cut - 1])) {
      return cut;
    }
  }
  return 0;
}
