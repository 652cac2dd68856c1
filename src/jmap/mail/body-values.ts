// RFC 8621 §4.1.4 EmailBodyValue: a text part transfer-decoded, charset-decoded, CRLF → LF, cut at
// maxBodyValueBytes. Only the parts' own bytes are read, never the whole message, in ranges of at most
// 256 KiB; with a maxBodyValueBytes only as far as the value needs: a first window of twice
// maxBodyValueBytes, then more while decoding what was read gave too little text (base64,
// quoted-printable escapes and wide charsets make more bytes than text). Without a limit the whole
// part is read: its value is the whole text, which the JSON response carries anyway.
import type { MessageReader, MimePart, ParsedMessage } from '../../store/types.js';
import type { JsonObject } from '../core/types.js';
import { BytesGoneError } from '../../store/api/byte-source.js';
import type { BlobSource } from './blob-source.js';
import { bodyLists, leafParts } from './body-structure.js';
import { decodeCharset, decodeTransfer, encodingProblemIn } from '../../mime/decode.js';
import { truncateBodyValue } from './truncate.js';

/** Bytes [start, end) of the message (at most READ_STEP of them), or null when it is gone. */
export type PartReader = (start: number, end: number) => Promise<Buffer | null>;

/** A stored email, read a byte range at a time. */
export function storedPartReader(store: MessageReader, account: string, emailId: string): PartReader {
  return (start, end) => store.readMessage(account, emailId, { start, end });
}

/** Any blob a client may name (Email/parse), read a byte range at a time; null once it went away. */
export function blobPartReader(blob: BlobSource): PartReader {
  return async (start, end) => {
    const pieces: Buffer[] = [];
    try {
      for await (const piece of blob.slices(start, end)) pieces.push(piece);
    } catch (err) {
      if (err instanceof BytesGoneError) return null;
      throw err;
    }
    return Buffer.concat(pieces);
  };
}

/** The largest range read at once (the stores' chunk size). */
const READ_STEP = 256 * 1024;

export interface BodyValueOptions {
  fetchTextBodyValues: boolean;
  fetchHTMLBodyValues: boolean;
  fetchAllBodyValues: boolean;
  /** 0 = no truncation. */
  maxBodyValueBytes: number;
}

export function needsBodyValues(properties: readonly string[], opts: BodyValueOptions): boolean {
  return properties.includes('bodyValues') && (opts.fetchAllBodyValues || opts.fetchHTMLBodyValues || opts.fetchTextBodyValues);
}

/** The bodyValues property: partId → EmailBodyValue of each text part the options ask for. */
export async function readBodyValues(parsed: ParsedMessage, opts: BodyValueOptions, read: PartReader): Promise<JsonObject> {
  const lists = bodyLists(parsed.body);
  const wanted = new Set<MimePart>();
  if (opts.fetchAllBodyValues) for (const part of leafParts(parsed.body)) if (part.type === 'text') wanted.add(part);
  if (opts.fetchTextBodyValues) for (const part of lists.textBody) if (part.type === 'text') wanted.add(part);
  if (opts.fetchHTMLBodyValues) for (const part of lists.htmlBody) if (part.type === 'text') wanted.add(part);
  const values: JsonObject = {};
  for (const part of wanted) {
    const value = await readPartText(part, read, opts.maxBodyValueBytes);
    if (value !== null) values[part.partId] = value;
  }
  return values;
}

const MIN_WINDOW = 16 * 1024;
/**
 * Text decoded beyond maxBytes before a window's value is trusted: the end of a window may cut an
 * escape, a base64 group or a multi-byte character, which garbles at most the last few characters.
 */
const MARGIN = 64;

/** One part's EmailBodyValue, or null when the email went away. */
export async function readPartText(part: MimePart, read: PartReader, maxBytes: number): Promise<JsonObject | null> {
  const pieces: Buffer[] = [];
  let at = part.bodyStart;
  for (let step = maxBytes > 0 ? Math.min(READ_STEP, Math.max(MIN_WINDOW, 2 * maxBytes)) : READ_STEP; ; step = READ_STEP) {
    const end = Math.min(part.end, at + step);
    const piece = await read(at, end);
    if (piece === null) return null;
    pieces.push(piece);
    at += piece.length;
    // A short read is the end of what is stored: decode what there is, as a whole read would.
    if (at >= part.end || piece.length < end - (at - piece.length)) return wholeValue(part, Buffer.concat(pieces), maxBytes);
    if (maxBytes <= 0) continue;
    const raw = Buffer.concat(pieces);
    pieces.splice(0, pieces.length, raw);
    const decoded = decodeTransfer(raw, part.encoding);
    const text = decodeCharset(decoded, part.params.charset).text.replace(/\r\n/g, '\n');
    if (Buffer.byteLength(text) < maxBytes + MARGIN) continue;
    const { value } = truncateBodyValue(text, maxBytes, isHtml(part));
    // Judged on the value sent: the garbled end of the window is not part of it.
    return { value, isEncodingProblem: encodingProblemIn(value, decoded, part.params.charset), isTruncated: true };
  }
}

/** The value from the part's whole body (as every value was computed before windows). */
function wholeValue(part: MimePart, body: Buffer, maxBytes: number): JsonObject {
  const decoded = decodeTransfer(body, part.encoding);
  const { text: crlf, isEncodingProblem } = decodeCharset(decoded, part.params.charset);
  const text = crlf.replace(/\r\n/g, '\n');
  const { value, truncated } = maxBytes > 0 ? truncateBodyValue(text, maxBytes, isHtml(part)) : { value: text, truncated: false };
  return { value, isEncodingProblem, isTruncated: truncated };
}

function isHtml(part: MimePart): boolean {
  return part.type === 'text' && part.subtype === 'html';
}
