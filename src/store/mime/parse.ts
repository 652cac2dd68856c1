// Computes the parsed cache of a message once, at delivery: structure with offsets, envelope,
// decoded addresses, threading ids, preview and the decoded text the search index needs.
// parseMessage never throws: on any failure it returns a minimal, valid description of the bytes.
import type { MimePart, ParsedMessage, RawHeader } from '../types.js';
import { parseStructure } from './structure.js';
import { headerValue } from './headers.js';
import { decodeCharset, decodeTransfer, decodeWords, htmlToText } from './decode.js';
import { parseMessageIds, toEmailAddresses } from './addresses.js';
import { baseSubject } from './subject.js';

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

/** Sort keys derived at delivery. */
export interface SortFields {
  baseSubject: string;
  fromLocal: string;
  toLocal: string;
  ccLocal: string;
  displayFrom: string;
  displayTo: string;
}

export interface MessageAnalysis {
  parsed: ParsedMessage;
  search: SearchText;
  sort: SortFields;
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
  const dateRaw = headerValue(h, 'date');
  const sent = dateRaw ? Date.parse(dateRaw.replace(/\s*\([^)]*\)\s*$/, '')) : NaN;
  const texts: string[] = [];
  let preview = '';
  let hasAttachment = false;
  walkLeaves(s.body, (part) => {
    const isAttachment = part.disposition?.type === 'attachment' ||
      (part.type !== 'text' && part.type !== 'multipart' && !(part.type === 'message' && part.subtype === 'delivery-status'));
    if (isAttachment && !(part.type === 'message' && part.message)) hasAttachment = true;
    if (part.type === 'text' && part.disposition?.type !== 'attachment') {
      const raw = bytes.subarray(part.bodyStart, part.end);
      let text = decodeCharset(decodeTransfer(raw, part.encoding), part.params.charset);
      if (part.subtype === 'html') text = htmlToText(text);
      if (!preview && text.trim()) preview = text.replace(/\s+/g, ' ').trim().slice(0, 256);
      texts.push(text);
    }
  });
  const decodedSubject = headerValue(h, 'subject');
  const from = toEmailAddresses(headerValue(h, 'from'));
  const to = toEmailAddresses(headerValue(h, 'to'));
  const cc = toEmailAddresses(headerValue(h, 'cc'));
  const parsed: ParsedMessage = {
    envelope: s.envelope,
    body: s.body,
    headers: h,
    subject: decodedSubject === null ? null : decodeWords(decodedSubject),
    from,
    sender: toEmailAddresses(headerValue(h, 'sender')),
    replyTo: toEmailAddresses(headerValue(h, 'reply-to')),
    to,
    cc,
    bcc: toEmailAddresses(headerValue(h, 'bcc')),
    messageId: parseMessageIds(headerValue(h, 'message-id')),
    inReplyTo: parseMessageIds(headerValue(h, 'in-reply-to')),
    references: parseMessageIds(headerValue(h, 'references')),
    sentAt: Number.isFinite(sent) ? new Date(sent) : null,
    preview,
    hasAttachment,
    degraded: s.degraded,
  };
  return {
    parsed,
    search: {
      subject: parsed.subject ?? '',
      from: decodedField(h, 'from'),
      to: decodedField(h, 'to'),
      cc: decodedField(h, 'cc'),
      bcc: decodedField(h, 'bcc'),
      headers: headersText(h),
      body: texts.join('\n').slice(0, MAX_INDEXED_TEXT),
    },
    sort: {
      baseSubject: baseSubject(decodedSubject),
      fromLocal: localPart(from),
      toLocal: localPart(to),
      ccLocal: localPart(cc),
      displayFrom: display(from),
      displayTo: display(to),
    },
  };
}

function decodedField(h: RawHeader[], name: string): string {
  const v = headerValue(h, name);
  return v === null ? '' : decodeWords(v);
}

export function headersText(h: RawHeader[]): string {
  return h.map((x) => `${x.name}: ${decodeWords(x.value.replace(/\r?\n[ \t]/g, ' ').trim())}`).join('\n');
}

function localPart(list: { email: string }[] | null): string {
  const a = list?.[0]?.email ?? '';
  const at = a.lastIndexOf('@');
  return (at >= 0 ? a.slice(0, at) : a).toLowerCase();
}

function display(list: { name: string | null; email: string }[] | null): string {
  const a = list?.[0];
  return ((a?.name || a?.email) ?? '').toLowerCase();
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
      cc: null, bcc: null, messageId: null, inReplyTo: null, references: null, sentAt: null,
      preview: '', hasAttachment: false, degraded: true,
    },
    search: { subject: '', from: '', to: '', cc: '', bcc: '', headers: '', body: bytes.toString('latin1').slice(0, MAX_INDEXED_TEXT) },
    sort: { baseSubject: '', fromLocal: '', toLocal: '', ccLocal: '', displayFrom: '', displayTo: '' },
  };
}
