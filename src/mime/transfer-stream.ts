// Content-Transfer-Encoding undone a chunk at a time (IMAP BINARY of a big attachment, read from the
// store in chunks): the decoded pieces joined are exactly what decodeTransfer gives for the whole
// body, so a part need never be held whole to be decoded. libbase64's and libqp's Decoder streams
// gather their whole input before decoding, hence these small decoders carrying state across chunks.
import { decodeQuotedPrintable } from './decode.js';

/** Decodes a body pushed in consecutive chunks; `end()` gives what the last chunk left pending. */
export interface TransferDecoder {
  push(chunk: Buffer): Buffer;
  end(): Buffer;
}

const EMPTY = Buffer.alloc(0);

/** Characters Node's base64 decoder reads (the URL-safe alphabet included); the rest it skips. */
const NOT_BASE64 = /[^A-Za-z0-9+/\-_]+/g;

/**
 * base64 as libbase64.decode reads it: the text splits at every `=` into segments, each decoded on
 * its own by Node's lenient decoder (other characters skipped, a short last group giving the whole
 * bytes it holds). Fewer than four pending characters are carried into the next chunk.
 */
function base64Decoder(): TransferDecoder {
  let carry = '';
  const segment = (text: string): Buffer => {
    const chars = carry + text.replace(NOT_BASE64, '');
    const whole = chars.length - (chars.length % 4);
    carry = chars.slice(whole);
    return whole > 0 ? Buffer.from(chars.slice(0, whole), 'base64') : EMPTY;
  };
  const closeSegment = (): Buffer => {
    const rest = carry.length > 1 ? Buffer.from(carry, 'base64') : EMPTY;
    carry = '';
    return rest;
  };
  return {
    push(chunk) {
      const text = chunk.toString('latin1');
      const out: Buffer[] = [];
      let at = 0;
      for (let pad = text.indexOf('=', at); pad >= 0; pad = text.indexOf('=', at)) {
        out.push(segment(text.slice(at, pad)), closeSegment());
        at = pad + 1;
      }
      out.push(segment(text.slice(at)));
      return Buffer.concat(out);
    },
    end: closeSegment,
  };
}

const EQUALS = 0x3d;
const SPACE = 0x20;
const TAB = 0x09;
const CR = 0x0d;
const LF = 0x0a;

/**
 * Where `bytes` may be cut so that quoted-printable decoding of the two sides alone gives the
 * decoding of the whole: the three bytes before the cut hold no `=`, CR or LF (no =XX escape and no
 * soft break spans the cut, and no `=` left before a soft break removed earlier is joined to bytes
 * beyond it), and the last is no blank (libqp drops blanks before a line end or the end of its
 * input). -1 if nowhere.
 */
function qpCut(bytes: Buffer): number {
  const special = (b: number): boolean => b === EQUALS || b === CR || b === LF;
  for (let p = bytes.length; p >= 3; p--) {
    const last = bytes[p - 1]!;
    if (last === SPACE || last === TAB || special(last)) continue;
    if (special(bytes[p - 2]!) || special(bytes[p - 3]!)) continue;
    return p;
  }
  return -1;
}

/**
 * quoted-printable as libqp.decode reads it, cut where no escape, soft break or trailing blank spans
 * the cut (qpCut); the uncut tail waits for the next chunk. Only a body with no three ordinary bytes
 * in a row (nothing but `=`, line ends and blanks) is carried whole, however long.
 */
function quotedPrintableDecoder(): TransferDecoder {
  const decode = decodeQuotedPrintable;
  let carry: Buffer = EMPTY;
  return {
    push(chunk) {
      const bytes = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk;
      const cut = qpCut(bytes);
      if (cut <= 0) {
        carry = bytes;
        return EMPTY;
      }
      // Copied: the tail outlives the chunk it came from, which may be a view of a larger buffer.
      carry = Buffer.from(bytes.subarray(cut));
      return decode(bytes.subarray(0, cut));
    },
    end() {
      const rest = carry;
      carry = EMPTY;
      return rest.length > 0 ? decode(rest) : EMPTY;
    },
  };
}

/** A chunk decoder for `encoding`, agreeing with decodeTransfer (other encodings pass bytes through). */
export function transferDecoder(encoding: string): TransferDecoder {
  switch (encoding.toLowerCase().trim()) {
    case 'base64':
      return base64Decoder();
    case 'quoted-printable':
      return quotedPrintableDecoder();
    default:
      return { push: (chunk) => chunk, end: () => EMPTY };
  }
}

/** `chunks` decoded by `decoder` as they come, skipping empty pieces. */
export async function* decodeChunks(chunks: AsyncIterable<Buffer>, decoder: TransferDecoder): AsyncGenerator<Buffer> {
  for await (const chunk of chunks) {
    const piece = decoder.push(chunk);
    if (piece.length > 0) yield piece;
  }
  const rest = decoder.end();
  if (rest.length > 0) yield rest;
}
