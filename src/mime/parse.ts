// Computes the parsed summary of a message once, at ingest: structure with offsets, envelope (RFC 3501
// address forms), decoded JMAP addresses, threading ids, sent date and day, preview, sort keys and
// the decoded text the search index needs. parseMessage never throws: on any failure it returns a
// minimal, valid description of the bytes.
import type { MimePart, ParsedMessage, RawHeader } from './types.js';
import { parseStructure } from './structure.js';
import { headerValue } from './headers.js';
import { decodeText, decodeTransfer, decodeWords, htmlToText } from './decode.js';
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

export function parseMessage(bytes: Buffer): MessageAnalysis {
  try {
    return analyse(bytes);
  } catch {
    return fallback(bytes);
  }
}

function analyse(bytes: Buffer): MessageAnalysis {
  const s = parseStructure(bytes);
  const h = s.headers;
  const sent = parseMessageDate(headerValue(h, 'date'));
  const texts: string[] = [];
  let preview = '';
  let hasAttachment = false;
  walkLeaves(s.body, (part) => {
    const isAttachment = part.disposition?.type === 'attachment' ||
      (part.type !== 'text' && part.type !== 'multipart' && !(part.type === 'message' && part.subtype === 'delivery-status'));
    if (isAttachment && !(part.type === 'message' && part.message)) hasAttachment = true;
    if (part.type === 'text' && part.disposition?.type !== 'attachment') {
      const raw = bytes.subarray(part.bodyStart, part.end);
      let text = decodeText(decodeTransfer(raw, part.encoding), part.params.charset);
      if (part.subtype === 'html') text = htmlToText(text);
      if (!preview && text.trim()) preview = text.replace(/\s+/g, ' ').trim().slice(0, 256);
      texts.push(text);
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
    preview,
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
function fallback(bytes: Buffer): MessageAnalysis {
  const envelope = {
    date: null, subject: null, from: null, sender: null, replyTo: null, to: null, cc: null, bcc: null,
    inReplyTo: null, messageId: null,
  };
  const body: MimePart = {
    partId: '1', headerStart: 0, bodyStart: 0, end: bytes.length, type: 'text', subtype: 'plain',
    params: { charset: 'us-ascii' }, contentId: null, description: null, encoding: '7bit',
    size: bytes.length, lines: bytes.toString('latin1').split('\n').length, md5: null, disposition: null,
    language: null, location: null, headers: [], children: [], message: null,
  };
  return {
    parsed: {
      envelope, body, headers: [], subject: null, from: null, sender: null, replyTo: null, to: null,
      cc: null, bcc: null, messageId: null, inReplyTo: null, references: null, sentAt: null, sentDay: null,
      preview: '', hasAttachment: false, degraded: true, sort: sortKeys(envelope),
    },
    search: { subject: '', from: '', to: '', cc: '', bcc: '', headers: '', body: bytes.toString('latin1').slice(0, MAX_INDEXED_TEXT) },
  };
}
