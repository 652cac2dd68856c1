// Computes the parsed summary of a message once, at ingest: structure with offsets, envelope (RFC 3501
// address forms), decoded JMAP addresses, threading ids, sent date and day, preview, sort keys and
// the decoded text the search index needs. parseMessage never throws: on any failure it returns a
// minimal, valid description of the bytes.
import type { MimePart, ParsedMessage, RawHeader } from './types.js';
import { parseStructure } from './structure.js';
import { headerValue } from './headers.js';
import { decodeTextPieces, decodeTextPrefix, decodeTransfer, decodeWords, quotedPrintablePieces } from './decode.js';
import { bufferBytes, type MessageBytes } from './bytes.js';
import { HtmlTextStream } from './html-text.js';
import { addressSearchText, parseMessageIds, toEmailAddresses } from './addresses.js';
import { parseMessageDate } from './date.js';
import { sortKeys } from './sort-keys.js';

/** Decoded text for the search index (one column each). */
export interface SearchText {
  subject: string;
  from: string;
  to: string;
  cc: string;
  bcc: string;
  /** All header fields, decoded, one "name: value" per line. */
  headers: string;
  /** Decoded text of the text/* parts (HTML stripped). */
  body: string;
}

export interface MessageAnalysis {
  parsed: ParsedMessage;
  search: SearchText;
}

const MAX_INDEXED_TEXT = 1 << 20;

/**
 * `source` may be a message held in memory or one read by position (MessageBytes, see ./bytes.ts):
 * the analysis is the same, and read that way only header blocks, the text the search index and
 * preview need and bodies that must be decoded to be measured are ever in memory.
 */
export function parseMessage(source: Buffer | MessageBytes): MessageAnalysis {
  const bytes = Buffer.isBuffer(source) ? bufferBytes(source) : source;
  try {
    return analyse(bytes);
  } catch {
    return fallback(bytes);
  }
}

/** A text part's body with its transfer encoding undone, read only as far as it is iterated. */
function decodedBody(bytes: MessageBytes, part: MimePart): Buffer | Iterable<Buffer> {
  const encoding = part.encoding.toLowerCase().trim();
  if (encoding === 'quoted-printable') return quotedPrintablePieces(bytes, part.bodyStart, part.end, TEXT_READ);
  // base64 is decoded whole: how a decoder skips stray characters makes a cut anywhere but the end inexact.
  if (encoding === 'base64') return decodeTransfer(bytes.slice(part.bodyStart, part.end), encoding);
  return bytes.pieces(part.bodyStart, part.end, TEXT_READ);
}

/** Encoded bytes of a text body read at a time. */
const TEXT_READ = 64 * 1024;

function analyse(bytes: MessageBytes): MessageAnalysis {
  const s = parseStructure(bytes);
  const h = s.headers;
  const sent = parseMessageDate(headerValue(h, 'date'));
  // The search body is the first MAX_INDEXED_TEXT characters of the text parts joined by '\n', and
  // the preview comes from the first non-blank one: a plain-text part is decoded only as far as
  // those need (decodeTextPrefix), so a huge text body costs its first MiB, not its whole size.
  const texts: string[] = [];
  let joined = 0;
  let preview: string | null = null;
  let hasAttachment = false;
  walkLeaves(s.body, (part) => {
    const isAttachment = part.disposition?.type === 'attachment' ||
      (part.type !== 'text' && part.type !== 'multipart' && !(part.type === 'message' && part.subtype === 'delivery-status'));
    if (isAttachment && !(part.type === 'message' && part.message)) hasAttachment = true;
    if (part.type === 'text' && part.disposition?.type !== 'attachment') {
      const need = MAX_INDEXED_TEXT - (joined + texts.length);
      if (need <= 0 && preview !== null) return;
      const decoded = decodedBody(bytes, part);
      let text: string;
      if (part.subtype === 'html') {
        // Markup is removed as the HTML is decoded, so only as much is decoded as the text needs.
        const html = new HtmlTextStream();
        const probe = new PreviewProbe();
        text = '';
        const complete = decodeTextPieces(decoded, part.params.charset, (piece) => {
          text += html.write(piece);
          return text.length >= need && (preview !== null || probe.settled(text));
        });
        if (complete) text += html.end();
        if (preview === null) preview = previewOf(text, complete);
      } else {
        const probe = new PreviewProbe();
        const prefix = decodeTextPrefix(decoded, part.params.charset, (t) => t.length >= need && (preview !== null || probe.settled(t)));
        text = prefix.text;
        if (preview === null) preview = previewOf(text, prefix.complete);
      }
      if (preview === '') preview = null;
      joined += text.length;
      texts.push(text.length > need ? copyOf(text.slice(0, Math.max(need, 0))) : text);
    }
  });
  const rawSubject = headerValue(h, 'subject');
  const parsed: ParsedMessage = {
    envelope: s.envelope,
    body: s.body,
    headers: h,
    subject: rawSubject === null ? null : decodeWords(rawSubject),
    from: toEmailAddresses(headerValue(h, 'from')),
    sender: toEmailAddresses(headerValue(h, 'sender')),
    replyTo: toEmailAddresses(headerValue(h, 'reply-to')),
    to: toEmailAddresses(headerValue(h, 'to')),
    cc: toEmailAddresses(headerValue(h, 'cc')),
    bcc: toEmailAddresses(headerValue(h, 'bcc')),
    messageId: parseMessageIds(headerValue(h, 'message-id')),
    inReplyTo: parseMessageIds(headerValue(h, 'in-reply-to')),
    references: parseMessageIds(headerValue(h, 'references')),
    sentAt: sent ? sent.instant : null,
    sentDay: sent ? sent.day : null,
    preview: preview ?? '',
    hasAttachment,
    degraded: s.degraded,
    sort: sortKeys(s.envelope),
  };
  return {
    parsed,
    search: {
      subject: parsed.subject ?? '',
      from: addressSearchText(headerValue(h, 'from')),
      to: addressSearchText(headerValue(h, 'to')),
      cc: addressSearchText(headerValue(h, 'cc')),
      bcc: addressSearchText(headerValue(h, 'bcc')),
      headers: headersText(h),
      body: texts.join('\n').slice(0, MAX_INDEXED_TEXT),
    },
  };
}

const PREVIEW_LENGTH = 256;

/**
 * The JMAP preview of a text: whitespace runs collapsed, trimmed, its first 256 characters ('' for a
 * blank text). For a prefix of a longer text (`complete` false) the preview is read from growing
 * windows of it, and null means the prefix cannot tell yet (blank or too short so far): collapsing a
 * prefix gives a prefix of the collapsed whole, so 257 collapsed characters settle the first 256.
 */
function previewOf(text: string, complete: boolean): string | null {
  // The first window is twice the preview: running text settles it there. Collapsing whitespace
  // costs per run, and a 4 KiB first window made previewOf a third of parsing a plain-text message.
  for (let window = 2 * PREVIEW_LENGTH; ; window *= 4) {
    if (window >= text.length) {
      const all = text.replace(/\s+/g, ' ').trimStart();
      if (complete) return all.trimEnd().slice(0, PREVIEW_LENGTH);
      return all.length > PREVIEW_LENGTH ? all.slice(0, PREVIEW_LENGTH) : null;
    }
    const head = text.slice(0, window).replace(/\s+/g, ' ').trimStart();
    if (head.length > PREVIEW_LENGTH) return head.slice(0, PREVIEW_LENGTH);
  }
}

/**
 * Whether a growing text's prefix settles its preview (previewOf(text, false) !== null), reading
 * each character once however often it is asked. It counts non-space characters only: more than
 * 256 of them collapse to more than 256 characters, so a yes is always right, and a text where
 * whitespace runs would have made up the difference is merely decoded a little further.
 */
class PreviewProbe {
  private pos = 0;
  private count = 0;
  private readonly word = /\S+/g;

  settled(text: string): boolean {
    this.word.lastIndex = this.pos;
    while (this.count <= PREVIEW_LENGTH) {
      const m = this.word.exec(text);
      if (!m) {
        this.pos = text.length;
        break;
      }
      this.count += m[0].length;
      this.pos = this.word.lastIndex;
    }
    return this.count > PREVIEW_LENGTH;
  }
}

/** A flat copy of `s`: a slice of a huge string would keep the whole of it alive. */
function copyOf(s: string): string {
  return Buffer.from(s, 'utf16le').toString('utf16le');
}

function headersText(h: RawHeader[]): string {
  return h.map((x) => `${x.name}: ${decodeWords(x.value.replace(/\r?\n[ \t]/g, ' ').trim())}`).join('\n');
}

function walkLeaves(part: MimePart, visit: (p: MimePart) => void): void {
  if (part.children.length) for (const c of part.children) walkLeaves(c, visit);
  else {
    visit(part);
    if (part.message) walkLeaves(part.message.body, visit);
  }
}

/** A message nothing could be made of: one text/plain body covering every byte. */
function fallback(bytes: MessageBytes): MessageAnalysis {
  const envelope = {
    date: null, subject: null, from: null, sender: null, replyTo: null, to: null, cc: null, bcc: null,
    inReplyTo: null, messageId: null,
  };
  const body: MimePart = {
    partId: '1', headerStart: 0, bodyStart: 0, end: bytes.length, type: 'text', subtype: 'plain',
    params: { charset: 'us-ascii' }, contentId: null, description: null, encoding: '7bit',
    size: bytes.length, lines: bytes.count(10, 0, bytes.length) + 1, md5: null, disposition: null,
    language: null, location: null, headers: [], children: [], message: null,
  };
  return {
    parsed: {
      envelope, body, headers: [], subject: null, from: null, sender: null, replyTo: null, to: null,
      cc: null, bcc: null, messageId: null, inReplyTo: null, references: null, sentAt: null, sentDay: null,
      preview: '', hasAttachment: false, degraded: true, sort: sortKeys(envelope),
    },
    search: { subject: '', from: '', to: '', cc: '', bcc: '', headers: '', body: bytes.latin1(0, Math.min(bytes.length, MAX_INDEXED_TEXT)) },
  };
}
