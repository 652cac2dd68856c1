// Builds the JMAP Email object (RFC 8621 §4.1) from the store's EmailMeta and parsed cache, with
// exactly the requested properties; body values are read beforehand (./body-values.ts), only when asked for.
import type { EmailMeta, MimePart, ParsedMessage } from '../../store/types.js';
import type { Json, JsonObject } from '../core/types.js';
import { utcDate } from '../methods/args.js';
import { bodyLists, headerValue, toBodyPart } from './body-structure.js';
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

export function emailView(
  meta: EmailMeta,
  properties: readonly string[],
  bodyProperties: readonly string[],
  /** The bodyValues property as read for this email (./body-values.ts); null when not asked for. */
  bodyValues: JsonObject | null,
): JsonObject {
  const out: JsonObject = { id: meta.id };
  const parsed = meta.parsed;
  const lists = parsed && properties.some((p) => ['textBody', 'htmlBody', 'attachments'].includes(p)) ? bodyLists(parsed.body) : undefined;
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
        if (p === 'bodyValues') {
          if (parsed) out[p] = bodyValues ?? {};
        } else if (parsed) out[p] = parsedProperty(p, meta.id, parsed, lists, bodyProperties);
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
    default: {
      const convenience = CONVENIENCE_HEADERS[p];
      if (convenience !== undefined) return headerValue(parsed.headers, convenience.name, convenience.form, false);
      const hp = parseHeaderProperty(p);
      return hp ? headerValue(parsed.headers, hp.name, hp.form, hp.all) : null;
    }
  }
}
