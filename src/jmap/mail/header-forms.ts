// The parsed forms of header fields (RFC 8621 §4.1.2): Raw, Text, Addresses, GroupedAddresses,
// MessageIds, Date, URLs. Each takes the raw field value (after the colon, still folded) and
// returns JSON, or null where the RFC says a value that does not parse is null.
import addressparser from 'nodemailer/lib/addressparser';
import { Libmime } from 'libmime';

const libmime = new Libmime();
import type { Json } from '../core/types.js';

export type HeaderForm = 'Raw' | 'Text' | 'Addresses' | 'GroupedAddresses' | 'MessageIds' | 'Date' | 'URLs';

export interface EmailAddress {
  name: string | null;
  email: string;
}

export interface EmailAddressGroup {
  name: string | null;
  addresses: EmailAddress[];
}

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

function decodeWords(s: string): string {
  try {
    return libmime.decodeWords(s);
  } catch {
    return s;
  }
}

export function asText(raw: string): string {
  return decodeWords(unfold(raw)).replace(/^\s+|\s+$/g, '');
}

function toAddress(a: { name?: string; address?: string }): EmailAddress {
  const name = decodeWords(a.name ?? '').trim();
  return { name: name === '' ? null : name, email: a.address ?? '' };
}

export function asGroupedAddresses(raw: string): EmailAddressGroup[] {
  const parsed = addressparser(unfold(raw));
  const out: EmailAddressGroup[] = [];
  let ungrouped: EmailAddressGroup | undefined;
  for (const item of parsed) {
    if ('group' in item) {
      ungrouped = undefined;
      const name = decodeWords(item.name ?? '').trim();
      out.push({ name: name === '' ? null : name, addresses: (item.group ?? []).map(toAddress) });
    } else {
      // Consecutive ungrouped addresses share one null-named group (§4.1.2.4).
      if (ungrouped === undefined) {
        ungrouped = { name: null, addresses: [] };
        out.push(ungrouped);
      }
      ungrouped.addresses.push(toAddress(item));
    }
  }
  return out;
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
  const text = unfold(raw).replace(/\([^)]*\)/g, ' ').trim();
  const m = /^(?:[A-Za-z]{3},\s*)?(\d{1,2})\s+([A-Za-z]{3})\s+(\d{2,4})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([+-]\d{4}|[A-Za-z]{1,5})?/.exec(text);
  if (m === null) return null;
  const months = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
  const mon = months.indexOf((m[2] ?? '').toLowerCase());
  if (mon < 0) return null;
  let year = Number(m[3]);
  if (year < 50) year += 2000;
  else if (year < 1000) year += 1900;
  const zone = m[7] ?? '+0000';
  let offsetMin = 0;
  if (/^[+-]\d{4}$/.test(zone)) {
    offsetMin = (zone[0] === '-' ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(3, 5)));
  } else {
    const named: Record<string, number> = { UT: 0, GMT: 0, Z: 0, EST: -300, EDT: -240, CST: -360, CDT: -300, MST: -420, MDT: -360, PST: -480, PDT: -420 };
    offsetMin = named[zone.toUpperCase()] ?? 0;
  }
  const utc = Date.UTC(year, mon, Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6] ?? 0)) - offsetMin * 60_000;
  if (!Number.isFinite(utc)) return null;
  const local = new Date(utc + offsetMin * 60_000).toISOString().slice(0, 19);
  if (offsetMin === 0) return `${local}Z`;
  const sign = offsetMin < 0 ? '-' : '+';
  const abs = Math.abs(offsetMin);
  return `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
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
