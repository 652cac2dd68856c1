// Builds the JMAP Email object (RFC 8621 §4.1) from the store's EmailMeta and parsed cache, with
// exactly the requested properties; message bytes are read only when body values are asked for.
import type { EmailMeta, MimePart, ParsedMessage } from '../../store/types.js';
import type { Json, JsonObject } from '../core/types.js';
import { utcDate } from '../methods/args.js';
import { bodyLists, headerValue, leafParts, toBodyPart } from './body-structure.js';
import { decodeCharset, decodeTransfer } from '../../mime/decode.js';
import { truncateBodyValue } from './truncate.js';
import { asDate, parseHeaderProperty, type HeaderForm } from './header-forms.js';

export const METADATA_PROPERTIES = ['id', 'blobId', 'threadId', 'mailboxIds', 'keywords', 'size', 'receivedAt'];
export const HEADER_PROPERTIES = [
  'headers', 'messageId', 'inReplyTo', 'references', 'sender', 'from', 'to', 'cc', 'bcc', 'replyTo', 'subject', 'sentAt',
];
export const BODY_PROPERTIES = ['bodyStructure', 'bodyValues', 'textBody', 'htmlBody', 'attachments', 'hasAttachment', 'preview'];
export const DEFAULT_EMAIL_PROPERTIES = [
  'id', 'blobId', 'threadId', 'mailboxIds', 'keywords', 'size', 'receivedAt', 'messageId', 'inReplyTo', 'references', 'sender', 'from',
  'to', 'cc', 'bcc', 'replyTo', 'subject', 'sentAt', 'hasAttachment', 'preview', 'bodyValues', 'textBody', 'htmlBody', 'attachments',
];

export function isEmailProperty(p: string): boolean {
  return METADATA_PROPERTIES.includes(p) || HEADER_PROPERTIES.includes(p) || BODY_PROPERTIES.includes(p) || parseHeaderProperty(p) !== undefined;
}

export function needsParsed(properties: readonly string[]): boolean {
  return properties.some((p) => !METADATA_PROPERTIES.includes(p));
}

export interface BodyValueOptions {
  fetchTextBodyValues: boolean;
  fetchHTMLBodyValues: boolean;
  fetchAllBodyValues: boolean;
  /** 0 = no truncation. */
  maxBodyValueBytes: number;
}

export function needsBytes(properties: readonly string[], opts: BodyValueOptions): boolean {
  return properties.includes('bodyValues') && (opts.fetchAllBodyValues || opts.fetchHTMLBodyValues || opts.fetchTextBodyValues);
}

/**
 * RFC 8621 §4.1.3: each convenience property "is identical to the value of" one header:X:asForm, so
 * it is computed by that form (NFC text, decoded names) rather than from the store's search cache.
 */
export const CONVENIENCE_HEADERS: Readonly<Record<string, { name: string; form: HeaderForm }>> = {
  messageId: { name: 'Message-ID', form: 'MessageIds' },
  inReplyTo: { name: 'In-Reply-To', form: 'MessageIds' },
  references: { name: 'References', form: 'MessageIds' },
  sender: { name: 'Sender', form: 'Addresses' },
  from: { name: 'From', form: 'Addresses' },
  to: { name: 'To', form: 'Addresses' },
  cc: { name: 'Cc', form: 'Addresses' },
  bcc: { name: 'Bcc', form: 'Addresses' },
  replyTo: { name: 'Reply-To', form: 'Addresses' },
  subject: { name: 'Subject', form: 'Text' },
  sentAt: { name: 'Date', form: 'Date' },
};

function trueMap(keys: readonly string[]): JsonObject {
  return Object.fromEntries(keys.map((k) => [k, true]));
}

function sentAtOf(parsed: ParsedMessage): Json {
  const raw = parsed.headers.filter((h) => h.name.toLowerCase() === 'date').pop();
  return (raw ? asDate(raw.value) : null) ?? (parsed.sentAt ? utcDate(parsed.sentAt) : null);
}

/**
 * The EmailBodyValue of one part (RFC 8621 §4.1.4): transfer-decoded, charset-decoded, every CRLF
 * replaced by LF, then truncated as asked; maxBodyValueBytes counts octets of that LF form.
 */
export function partText(part: MimePart, message: Buffer, maxBytes: number): JsonObject {
  const decoded = decodeTransfer(message.subarray(part.bodyStart, part.end), part.encoding);
  const { text: crlf, isEncodingProblem } = decodeCharset(decoded, part.params.charset);
  const text = crlf.replace(/\r\n/g, '\n');
  const html = part.type === 'text' && part.subtype === 'html';
  const { value, truncated } = maxBytes > 0 ? truncateBodyValue(text, maxBytes, html) : { value: text, truncated: false };
  return { value, isEncodingProblem, isTruncated: truncated };
}

export function emailView(
  meta: EmailMeta,
  properties: readonly string[],
  bodyProperties: readonly string[],
  opts: BodyValueOptions,
  message: Buffer | null,
): JsonObject {
  const out: JsonObject = { id: meta.id };
  const parsed = meta.parsed;
  const lists = parsed && properties.some((p) => ['textBody', 'htmlBody', 'attachments', 'bodyValues'].includes(p)) ? bodyLists(parsed.body) : undefined;
  for (const p of properties) {
    switch (p) {
      case 'id':
        break;
      case 'blobId':
        out.blobId = meta.blobId;
        break;
      case 'threadId':
        out.threadId = meta.threadId;
        break;
      case 'mailboxIds':
        out.mailboxIds = trueMap(meta.mailboxIds);
        break;
      case 'keywords':
        out.keywords = trueMap(meta.keywords);
        break;
      case 'size':
        out.size = meta.size;
        break;
      case 'receivedAt':
        out.receivedAt = utcDate(meta.receivedAt);
        break;
      default:
        if (parsed) out[p] = parsedProperty(p, meta.id, parsed, lists, bodyProperties, opts, message);
    }
  }
  return out;
}

function parsedProperty(
  p: string,
  emailId: string,
  parsed: ParsedMessage,
  lists: ReturnType<typeof bodyLists> | undefined,
  bodyProperties: readonly string[],
  opts: BodyValueOptions,
  message: Buffer | null,
): Json {
  const parts = (list: MimePart[]): Json => list.map((part) => toBodyPart(part, emailId, bodyProperties));
  switch (p) {
    case 'headers':
      return parsed.headers.map((h) => ({ name: h.name, value: h.value }));
    case 'sentAt':
      return sentAtOf(parsed);
    case 'hasAttachment':
      return parsed.hasAttachment;
    case 'preview':
      return parsed.preview;
    case 'bodyStructure':
      return toBodyPart(parsed.body, emailId, bodyProperties.includes('subParts') ? bodyProperties : [...bodyProperties, 'subParts']);
    case 'textBody':
      return parts(lists?.textBody ?? []);
    case 'htmlBody':
      return parts(lists?.htmlBody ?? []);
    case 'attachments':
      return parts(lists?.attachments ?? []);
    case 'bodyValues': {
      const values: JsonObject = {};
      if (message === null || lists === undefined) return values;
      const wanted = new Set<MimePart>();
      if (opts.fetchAllBodyValues) for (const part of leafParts(parsed.body)) if (part.type === 'text') wanted.add(part);
      if (opts.fetchTextBodyValues) for (const part of lists.textBody) if (part.type === 'text') wanted.add(part);
      if (opts.fetchHTMLBodyValues) for (const part of lists.htmlBody) if (part.type === 'text') wanted.add(part);
      for (const part of wanted) values[part.partId] = partText(part, message, opts.maxBodyValueBytes);
      return values;
    }
    default: {
      const convenience = CONVENIENCE_HEADERS[p];
      if (convenience !== undefined) return headerValue(parsed.headers, convenience.name, convenience.form, false);
      const hp = parseHeaderProperty(p);
      return hp ? headerValue(parsed.headers, hp.name, hp.form, hp.all) : null;
    }
  }
}
