// Content-Transfer-Encoding and charset decoding, lenient: bad input yields best-effort text, never
// an exception (a malformed message must still be stored and searchable). Transfer encodings go
// through libqp and libbase64, every charset (UTF-7 included) through iconv-lite; RFC 2047/2231
// header words through libmime.
import { Libmime } from 'libmime';
import * as libqp from 'libqp';
import * as libbase64 from 'libbase64';
import iconv from 'iconv-lite';
import type { MessageBytes } from './bytes.js';

const libmime = new Libmime();

export function decodeTransfer(body: Buffer, encoding: string): Buffer {
  switch (encoding.toLowerCase().trim()) {
    case 'base64':
      return libbase64.decode(body.toString('latin1'));
    case 'quoted-printable':
      return decodeQuotedPrintable(body);
    default:
      return body;
  }
}

export function decodeQuotedPrintable(body: Buffer): Buffer {
  return libqp.decode(body);
}

export interface DecodedText {
  text: string;
  /** RFC 8621 §4.1.4: the charset is unknown, or the bytes are not valid in it. */
  isEncodingProblem: boolean;
}

/** Names mail uses for UTF-7 that iconv-lite does not know by them. */
const ALIASES: Record<string, string> = {
  'unicode-1-1-utf-7': 'utf-7',
  'x-unicode-2-0-utf-7': 'utf-7',
};

/** The iconv-lite name of a MIME charset label, or null when iconv-lite has no decoder for it. */
export function charsetName(charset: string | null | undefined): string | null {
  const key = charset ?? '';
  const known = charsetNames.get(key);
  if (known !== undefined) return known;
  const label = key.trim().replace(/^"|"$/g, '').toLowerCase() || 'us-ascii';
  // US-ASCII is read as UTF-8: 8-bit bytes in "ASCII" mail are far more often UTF-8 than anything.
  const name = label === 'us-ascii' || label === 'ascii' || label === 'ansi_x3.4-1968' ? 'utf-8' : (ALIASES[label] ?? label);
  const found = iconv.encodingExists(name) ? name : null;
  // Labels come from mail, so anyone can make new ones: only the first few hundred are remembered.
  if (charsetNames.size < MAX_REMEMBERED_CHARSETS) charsetNames.set(key, found);
  return found;
}

/**
 * charsetName per label as written in mail: every text part asked iconv-lite (which normalises the
 * name and looks its codec up each time) about the same few labels.
 */
const charsetNames = new Map<string, string | null>();
const MAX_REMEMBERED_CHARSETS = 256;

const REPLACEMENT = '\uFFFD';
const UTF8_REPLACEMENT = Buffer.from(REPLACEMENT, 'utf8');

/**
 * Bytes → text in the part's charset. An unknown charset is read as UTF-8 and flagged; bytes that
 * are invalid in the charset become U+FFFD and are flagged too.
 */
export function decodeCharset(bytes: Buffer, charset: string | null | undefined): DecodedText {
  const name = charsetName(charset);
  const text = iconv.decode(bytes, name ?? 'utf-8', { stripBOM: true });
  return { text, isEncodingProblem: encodingProblemIn(text, bytes, charset) };
}

/**
 * decodeCharset's isEncodingProblem for `text` decoded from `bytes` (or from a part of them that
 * `text` was cut from): an unknown charset, or U+FFFD that the bytes did not spell out themselves.
 */
export function encodingProblemIn(text: string, bytes: Buffer, charset: string | null | undefined): boolean {
  const name = charsetName(charset);
  return name === null || (text.includes(REPLACEMENT) && !(name === 'utf-8' && bytes.includes(UTF8_REPLACEMENT)));
}

/** decodeCharset's text alone, for search and previews. */
export function decodeText(bytes: Buffer, charset: string | null | undefined): string {
  return decodeCharset(bytes, charset).text;
}

/** A Buffer's consecutive pieces of at most `size` bytes. */
function* piecesOf(bytes: Buffer, size: number): Generator<Buffer> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

/**
 * The text of `bytes` in `charset` (as decodeText gives it), decoded 64 KiB at a time and stopped as
 * soon as `enough(textSoFar)` holds: the result is then a prefix of decodeText's, exactly, since
 * iconv-lite's streaming decoders carry partial sequences across writes. `complete` says whether
 * every byte was decoded. A 40 MB text body then costs the text a reader needs, not 40 MB of string.
 */
export function decodeTextPrefix(
  bytes: Buffer | Iterable<Buffer>,
  charset: string | null | undefined,
  enough: (text: string) => boolean,
): { text: string; complete: boolean } {
  let text = '';
  const complete = decodeTextPieces(bytes, charset, (piece) => enough((text += piece)));
  return { text, complete };
}

/**
 * Decodes `bytes` in `charset` 64 KiB at a time, handing each piece of text to `piece`; stops early
 * when `piece` answers true while bytes remain. Returns whether every byte was decoded. The pieces
 * joined are exactly decodeText's text (or a prefix of it when stopped). `bytes` may also come as
 * consecutive non-empty pieces read as they are needed (a body not held whole, see ./bytes.ts).
 */
export function decodeTextPieces(bytes: Buffer | Iterable<Buffer>, charset: string | null | undefined, piece: (text: string) => boolean): boolean {
  const source = Buffer.isBuffer(bytes) ? piecesOf(bytes, TEXT_CHUNK) : bytes;
  const decoder = iconv.getDecoder(charsetName(charset) ?? 'utf-8', { stripBOM: true });
  const it = source[Symbol.iterator]();
  try {
    for (let chunk = it.next(); !chunk.done; ) {
      const stop = piece(decoder.write(chunk.value));
      // One piece ahead: whether bytes remain decides between "stopped early" and "complete".
      chunk = it.next();
      if (stop && !chunk.done) return false;
    }
  } finally {
    it.return?.();
  }
  piece(decoder.end() ?? '');
  return true;
}

/**
 * A quoted-printable body, decoded in pieces of about `size` encoded bytes: each piece ends with a
 * line that is not a soft line break (after trailing blanks, which decoding drops, no `=` before the
 * line end), so no soft break or =XX escape spans two pieces and the pieces joined are exactly
 * decodeQuotedPrintable of the whole. Empty pieces are skipped.
 */
export function* quotedPrintablePieces(bytes: MessageBytes, start: number, end: number, size: number): Generator<Buffer> {
  for (let at = start; at < end; ) {
    const cut = at + size >= end ? end : hardLineEnd(bytes, at + size, end);
    const piece = decodeQuotedPrintable(bytes.slice(at, cut));
    if (piece.length > 0) yield piece;
    at = cut;
  }
}

/** Just past the first line end at or after `from` that is not a quoted-printable soft break; `end` if none. */
function hardLineEnd(bytes: MessageBytes, from: number, end: number): number {
  for (let pos = from; ; ) {
    const nl = bytes.indexOf(10, pos, end);
    if (nl < 0) return end;
    let k = nl - 1;
    if (k >= from && bytes.at(k) === 13) k--;
    while (k >= from && (bytes.at(k) === 32 || bytes.at(k) === 9)) k--;
    // A line we cannot see the start of (k reached `from`) may be a soft break: look further.
    if (k >= from && bytes.at(k) !== 61) return nl + 1;
    pos = nl + 1;
  }
}

const TEXT_CHUNK = 64 * 1024;

/** RFC 2047 encoded words → text; undecodable words are left as written. */
export function decodeWords(value: string): string {
  try {
    return libmime.decodeWords(value);
  } catch {
    return value;
  }
}

export interface ParsedHeaderValue {
  value: string;
  params: Record<string, string>;
}

/** `type/sub; a=b; c*0=…` with RFC 2231 continuations and charsets decoded; names lowercased. */
export function parseStructuredValue(raw: string): ParsedHeaderValue {
  try {
    const parsed = libmime.parseHeaderValue(raw) as { value: string; params: Record<string, string> };
    const params: Record<string, string> = {};
    for (const [k, v] of Object.entries(parsed.params ?? {})) {
      params[k.toLowerCase()] = decodeWords(String(v));
    }
    return { value: String(parsed.value ?? '').trim(), params };
  } catch {
    return { value: raw.split(';')[0]!.trim(), params: {} };
  }
}

export { htmlToText } from './html-text.js';
