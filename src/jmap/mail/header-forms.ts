// The parsed forms of header fields (RFC 8621 §4.1.2): Raw, Text, Addresses, GroupedAddresses,
// MessageIds, Date, URLs. Each takes the raw field value (after the colon, still folded) and
// returns JSON, or null where the RFC says a value that does not parse is null.
import type { Json } from '../core/types.js';
import type { EmailAddress, EmailAddressGroup } from '../../mime/types.js';
import { decodeWords } from '../../mime/decode.js';
import { toAddressGroups } from '../../mime/addresses.js';
import { formatWithOffset, parseMessageDate } from '../../mime/date.js';

export type HeaderForm = 'Raw' | 'Text' | 'Addresses' | 'GroupedAddresses' | 'MessageIds' | 'Date' | 'URLs';

export type { EmailAddress, EmailAddressGroup };

const ADDRESS_HEADERS = new Set([
  'from', 'sender', 'reply-to', 'to', 'cc', 'bcc',
  'resent-from', 'resent-sender', 'resent-reply-to', 'resent-to', 'resent-cc', 'resent-bcc',
]);
const MESSAGE_ID_HEADERS = new Set(['message-id', 'in-reply-to', 'references', 'resent-message-id']);
const DATE_HEADERS = new Set(['date', 'resent-date']);
const URL_HEADERS = new Set(['list-help', 'list-unsubscribe', 'list-subscribe', 'list-post', 'list-owner', 'list-archive']);
const TEXT_HEADERS = new Set(['subject', 'comments', 'keywords', 'list-id']);

/** Whether RFC 8621 allows `form` on header `name` (unknown headers take any form). */
export function formAllowed(name: string, form: HeaderForm): boolean {
  const n = name.toLowerCase();
  if (form === 'Raw') return true;
  const known = ADDRESS_HEADERS.has(n) || MESSAGE_ID_HEADERS.has(n) || DATE_HEADERS.has(n) || URL_HEADERS.has(n) || TEXT_HEADERS.has(n);
  if (!known) return true;
  switch (form) {
    case 'Text':
      return TEXT_HEADERS.has(n);
    case 'Addresses':
    case 'GroupedAddresses':
      return ADDRESS_HEADERS.has(n);
    case 'MessageIds':
      return MESSAGE_ID_HEADERS.has(n);
    case 'Date':
      return DATE_HEADERS.has(n);
    case 'URLs':
      return URL_HEADERS.has(n);
  }
}

function unfold(raw: string): string {
  return raw.replace(/\r?\n(?=[ \t])/g, '');
}

/** RFC 8621 §4.1.2.2 step 6: "The resulting unicode converted to NFC form" (also for address names, decoded by the same rules). */
function nfc(s: string): string {
  return s.normalize('NFC');
}

/** RFC 8621 §4.1.2.2: unfolded, encoded words decoded (control characters they spell dropped), NFC. */
export function asText(raw: string): string {
  return nfc(decodeWords(unfold(raw)).replace(/[\u0000-\u0008\u000a-\u001f\u007f]/g, '').replace(/^\s+|\s+$/g, ''));
}

export function asGroupedAddresses(raw: string): EmailAddressGroup[] {
  const named = (name: string | null): string | null => (name === null ? null : nfc(name));
  return (toAddressGroups(unfold(raw)) ?? []).map((g) => ({
    name: named(g.name),
    addresses: g.addresses.map((a) => ({ ...a, name: named(a.name) })),
  }));
}

export function asAddresses(raw: string): EmailAddress[] {
  return asGroupedAddresses(raw).flatMap((g) => g.addresses);
}

export function asMessageIds(raw: string): string[] | null {
  const text = unfold(raw).replace(/\([^)]*\)/g, ' ').trim();
  if (text === '') return null;
  const ids: string[] = [];
  const re = /<([^<>\s]+)>|(\S+)/g;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    if (m[1] === undefined) return null;
    ids.push(m[1]);
  }
  return ids.length > 0 ? ids : null;
}

/** RFC 5322 date → RFC 3339 with the original offset, or null. */
export function asDate(raw: string): string | null {
  const date = parseMessageDate(raw);
  return date === null ? null : formatWithOffset(date);
}

export function asURLs(raw: string): string[] | null {
  const text = unfold(raw);
  const urls: string[] = [];
  const re = /<([^>]*)>/g;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) urls.push((m[1] ?? '').replace(/\s+/g, ''));
  return urls.length > 0 ? urls : null;
}

export function applyForm(raw: string, form: HeaderForm): Json {
  switch (form) {
    case 'Raw':
      return raw;
    case 'Text':
      return asText(raw);
    case 'Addresses':
      return asAddresses(raw) as unknown as Json;
    case 'GroupedAddresses':
      return asGroupedAddresses(raw) as unknown as Json;
    case 'MessageIds':
      return asMessageIds(raw);
    case 'Date':
      return asDate(raw);
    case 'URLs':
      return asURLs(raw);
  }
}

export interface HeaderProperty {
  /** Header name as the client wrote it. */
  name: string;
  form: HeaderForm;
  all: boolean;
}

/** Parses "header:List-Post:asURLs:all" → {name, form, all}; undefined when not a header property. */
export function parseHeaderProperty(prop: string): HeaderProperty | undefined {
  if (!prop.startsWith('header:')) return undefined;
  const parts = prop.slice(7).split(':');
  const name = parts.shift();
  if (name === undefined || name === '' || !/^[\x21-\x39\x3b-\x7e]+$/.test(name)) return undefined;
  let form: HeaderForm = 'Raw';
  let all = false;
  for (const [i, p] of parts.entries()) {
    if (p === 'all' && i === parts.length - 1) all = true;
    else if (i === 0 && p.startsWith('as')) {
      const f = p.slice(2);
      if (!['Raw', 'Text', 'Addresses', 'GroupedAddresses', 'MessageIds', 'Date', 'URLs'].includes(f)) return undefined;
      form = f as HeaderForm;
    } else return undefined;
  }
  return { name, form, all };
}
