// MIME structure walker over raw bytes, recording byte offsets for every part. Never throws on bad
// input: missing boundaries, unterminated multiparts and absurd nesting degrade to simpler shapes
// and set `degraded`. It reads the Buffer itself (Buffer.indexOf for lines and boundaries) and turns
// only header blocks into strings: a latin1 copy of the whole message would cost its full size again
// for every big message being delivered. It reads through MessageBytes (./bytes.ts), so the store
// can parse a message from its file a window at a time instead of holding it whole.
import type { Envelope, MimePart, RawHeader } from './types.js';
import { headerValue, parseHeaderBlockOf } from './headers.js';
import { parseStructuredValue, decodeTransfer } from './decode.js';
import { toEnvelopeAddresses } from './addresses.js';
import { bufferBytes, type MessageBytes } from './bytes.js';

/**
 * Bounds on the structure, applied while parsing (as Dovecot's max_nested_mime_parts and
 * max_total_mime_parts are) so every reader gets a structure of sane size: a multipart or embedded
 * message nested deeper than MAX_DEPTH is one text/plain part holding its raw body, and once
 * MAX_PARTS parts are counted the rest of the enclosing multipart is one such part.
 */
export const MAX_DEPTH = 40;
export const MAX_PARTS = 2000;

interface WalkState {
  bytes: MessageBytes;
  degraded: boolean;
  parts: number;
}

export interface Structure {
  headers: RawHeader[];
  envelope: Envelope;
  body: MimePart;
  degraded: boolean;
}

/** Parses a whole message (or an embedded message/rfc822 body between start and end). */
export function parseStructure(source: Buffer | MessageBytes): Structure {
  const bytes = Buffer.isBuffer(source) ? bufferBytes(source) : source;
  const state: WalkState = { bytes, degraded: false, parts: 0 };
  const { headers, envelope, body } = parseMessageAt(state, 0, bytes.length, '', 0);
  return { headers, envelope, body, degraded: state.degraded };
}

function parseMessageAt(
  state: WalkState,
  start: number,
  end: number,
  prefix: string,
  depth: number,
): { headers: RawHeader[]; envelope: Envelope; body: MimePart } {
  const block = parseHeaderBlockOf(state.bytes, start, end);
  const envelope = buildEnvelope(block.headers);
  const body = parsePart(state, start, block.bodyStart, end, block.headers, prefix, depth, 'message');
  return { headers: block.headers, envelope, body };
}

function buildEnvelope(headers: RawHeader[]): Envelope {
  const from = toEnvelopeAddresses(headerValue(headers, 'from'));
  const sender = toEnvelopeAddresses(headerValue(headers, 'sender')) ?? from;
  const replyTo = toEnvelopeAddresses(headerValue(headers, 'reply-to')) ?? from;
  return {
    date: headerValue(headers, 'date'),
    subject: headerValue(headers, 'subject'),
    from,
    sender,
    replyTo,
    to: toEnvelopeAddresses(headerValue(headers, 'to')),
    cc: toEnvelopeAddresses(headerValue(headers, 'cc')),
    bcc: toEnvelopeAddresses(headerValue(headers, 'bcc')),
    inReplyTo: headerValue(headers, 'in-reply-to'),
    messageId: headerValue(headers, 'message-id'),
  };
}

/**
 * @param context 'message' when this is the body of a message (numbered prefix.1 if a leaf),
 *                'child' when it is a multipart child (numbered `prefix` itself).
 */
function parsePart(
  state: WalkState,
  headerStart: number,
  bodyStart: number,
  end: number,
  headers: RawHeader[],
  prefix: string,
  depth: number,
  context: 'message' | 'child',
  defaultType = 'text/plain',
): MimePart {
  state.parts++;
  const ct = parseStructuredValue(headerValue(headers, 'content-type') ?? defaultType);
  let [type, subtype] = ct.value.toLowerCase().split('/', 2).map((s) => s.trim()) as [string, string | undefined];
  if (!type || !subtype || !/^[a-z0-9!#$&^_.+-]+$/.test(type + subtype)) {
    if (headerValue(headers, 'content-type') !== null) state.degraded = true;
    [type, subtype] = defaultType.split('/') as [string, string];
    ct.params = type === 'text' ? { charset: 'us-ascii' } : {};
  }
  if (type === 'text' && !ct.params.charset && headerValue(headers, 'content-type') === null) {
    ct.params.charset = 'us-ascii';
  }
  const dispRaw = headerValue(headers, 'content-disposition');
  const disp = dispRaw ? parseStructuredValue(dispRaw) : null;
  const lang = headerValue(headers, 'content-language');
  const part: MimePart = {
    partId: '',
    headerStart,
    bodyStart,
    end,
    type,
    subtype,
    params: ct.params,
    contentId: headerValue(headers, 'content-id'),
    // Raw, as BODYSTRUCTURE sends it (RFC 3501); JMAP reads the part's headers itself.
    description: headerValue(headers, 'content-description'),
    encoding: (headerValue(headers, 'content-transfer-encoding') ?? '7bit').toLowerCase().trim() || '7bit',
    size: end - bodyStart,
    lines: null,
    md5: headerValue(headers, 'content-md5'),
    disposition: disp && disp.value ? { type: disp.value.toLowerCase(), params: disp.params } : null,
    language: lang ? lang.split(/[\s,]+/).filter(Boolean) : null,
    location: headerValue(headers, 'content-location'),
    headers,
    children: [],
    message: null,
  };
  const tooDeep = depth >= MAX_DEPTH || state.parts >= MAX_PARTS;
  if (type === 'multipart' && !tooDeep) {
    part.partId = prefix;
    const boundary = ct.params.boundary;
    const ranges = boundary ? splitMultipart(state.bytes, bodyStart, end, boundary) : [];
    if (ranges.length === 0) {
      // A multipart without a usable boundary: expose its body as one text/plain part.
      state.degraded = true;
      const childId = prefix ? `${prefix}.1` : '1';
      part.children.push(leafLike(state, bodyStart, bodyStart, end, childId));
    } else {
      const childDefault = subtype === 'digest' ? 'message/rfc822' : 'text/plain';
      for (const [i, [s, e]] of ranges.entries()) {
        const childId = prefix ? `${prefix}.${i + 1}` : String(i + 1);
        if (state.parts >= MAX_PARTS) {
          // Dovecot's max_total_mime_parts: past the bound the rest of this multipart (its
          // remaining delimiters included) is one opaque part, so the structure stays small and
          // every section number it lists can be fetched.
          state.degraded = true;
          part.children.push(leafLike(state, s, s, ranges[ranges.length - 1]![1], childId));
          break;
        }
        const block = parseHeaderBlockOf(state.bytes, s, e);
        part.children.push(parsePart(state, s, block.bodyStart, e, block.headers, childId, depth + 1, 'child', childDefault));
      }
    }
    return part;
  }
  const embedded = type === 'message' && (subtype === 'rfc822' || subtype === 'global');
  // Past the bounds an embedded message is opaque text too: left as MESSAGE/RFC822 without its
  // envelope and body, BODYSTRUCTURE would break the grammar clients parse it by (RFC 3501 §9).
  if (type === 'multipart' || (embedded && tooDeep)) {
    state.degraded = true;
    part.type = 'text';
    part.subtype = 'plain';
    part.params = { charset: 'us-ascii' };
  }
  part.partId = context === 'message' ? (prefix ? `${prefix}.1` : '1') : prefix;
  if (embedded && !tooDeep) {
    const inner = parseMessageAt(state, bodyStart, end, part.partId, depth + 1);
    part.message = { envelope: inner.envelope, body: inner.body };
  }
  if (part.type === 'text' || part.message) part.lines = countLines(state.bytes, bodyStart, end);
  part.decodedSize = transferDecodedSize(state, bodyStart, end, part.encoding);
  return part;
}

/** Bytes the body holds once base64/quoted-printable is undone; other encodings are identity. */
function transferDecodedSize(state: WalkState, bodyStart: number, end: number, encoding: string): number {
  if (encoding === 'base64') {
    const size = plainBase64Size(state.bytes, bodyStart, end);
    if (size !== null) return size;
  }
  if (encoding !== 'base64' && encoding !== 'quoted-printable') return end - bodyStart;
  try {
    return decodeTransfer(state.bytes.slice(bodyStart, end), encoding).length;
  } catch {
    return end - bodyStart;
  }
}

/** How much of a body plainBase64Size looks at in one string, so a big body is never one string. */
const BASE64_STEP = 64 * 1024;

/**
 * The decoded size of a well-formed base64 body, counted without decoding it (a 40 MB attachment
 * would otherwise be decoded, 30 MB more, only to be measured): lines of alphabet characters
 * (RFC 2045 §6.8), then at most the final padding; n alphabet characters decode to floor(3n/4)
 * bytes. Anything else (stray characters, padding in the middle, spaces) returns null and the body
 * is decoded to be measured, since how decoders skip such bytes is theirs to define. The body is
 * read in BASE64_STEP pieces: the alphabet run, then from the first other character on only
 * padding and line ends.
 */
function plainBase64Size(bytes: MessageBytes, start: number, end: number): number | null {
  let alphabet = 0;
  let inPadding = false;
  for (let at = start; at < end; at += BASE64_STEP) {
    const piece = bytes.latin1(at, Math.min(end, at + BASE64_STEP));
    let rest = piece;
    if (!inPadding) {
      const stop = piece.search(/[^A-Za-z0-9+/\r\n]/);
      const run = stop < 0 ? piece.length : stop;
      alphabet += run - countChar(piece, '\r', run) - countChar(piece, '\n', run);
      if (stop < 0) continue;
      inPadding = true;
      rest = piece.slice(stop);
    }
    if (/[^=\r\n]/.test(rest)) return null;
  }
  return Math.floor((alphabet * 3) / 4);
}

function countChar(s: string, c: string, stop: number): number {
  let n = 0;
  for (let i = s.indexOf(c); i >= 0 && i < stop; i = s.indexOf(c, i + 1)) n++;
  return n;
}

function leafLike(state: WalkState, headerStart: number, bodyStart: number, end: number, partId: string): MimePart {
  return {
    partId,
    headerStart,
    bodyStart,
    end,
    type: 'text',
    subtype: 'plain',
    params: { charset: 'us-ascii' },
    contentId: null,
    description: null,
    encoding: '7bit',
    size: end - bodyStart,
    lines: countLines(state.bytes, bodyStart, end),
    md5: null,
    disposition: null,
    language: null,
    location: null,
    headers: [],
    children: [],
    message: null,
  };
}

function countLines(bytes: MessageBytes, start: number, end: number): number {
  if (end <= start) return 0;
  return bytes.count(10, start, end) + (bytes.at(end - 1) !== 10 ? 1 : 0);
}

/**
 * Finds the parts of a multipart body. Each part runs from just after its delimiter line to just
 * before the CRLF that precedes the next delimiter (RFC 2046 §5.1.1). A missing close delimiter
 * ends the last part at the container end. The delimiter is matched as its latin1 bytes, so a
 * boundary with a character past U+00FF matches nothing (it cannot be written in the raw bytes).
 */
function splitMultipart(bytes: MessageBytes, start: number, end: number, boundary: string): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  if (/[^\x00-\xff]/.test(boundary)) return ranges;
  const delim = Buffer.from('--' + boundary, 'latin1');
  let partStart = -1;
  let pos = start;
  while (pos < end) {
    const at = bytes.indexOf(delim, pos, end);
    if (at < 0) break;
    const atLineStart = at === start || bytes.at(at - 1) === 10;
    if (!atLineStart) {
      pos = at + delim.length;
      continue;
    }
    let nl = bytes.indexOf(10, at, end);
    if (nl < 0) nl = end;
    // latin1, as the line was read before: trim() then drops exactly the same characters.
    const after = bytes.latin1(at + delim.length, Math.max(at + delim.length, nl)).replace(/\r$/, '');
    const closing = after.startsWith('--');
    if (!closing && after.trim() !== '') {
      pos = at + delim.length; // a longer boundary that merely starts with ours
      continue;
    }
    if (partStart >= 0) {
      let partEnd = at;
      if (partEnd > partStart && bytes.at(partEnd - 1) === 10) partEnd--;
      if (partEnd > partStart && bytes.at(partEnd - 1) === 13) partEnd--;
      ranges.push([partStart, Math.max(partStart, partEnd)]);
    }
    if (closing) return ranges;
    partStart = nl < end ? nl + 1 : end;
    pos = partStart;
  }
  if (partStart >= 0) ranges.push([partStart, end]);
  return ranges;
}
