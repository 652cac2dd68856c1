// SORT criteria (RFC 5256 §3, DISPLAYFROM/DISPLAYTO RFC 5957) evaluated over the store's parsed cache.
// Strings compare with i;ascii-casemap (ASCII letters upper-cased, then octets); ties keep ascending
// UID (= sequence) order.
import type { EnvelopeAddress, MessageMeta } from '../../store/types.js';
import { decodeWords } from '../../store/mime/decode.js';
import { envelopeFromHeaders } from '../fetch/envelope.js';
import { baseSubject } from './base-subject.js';

export type SortKeyName = 'ARRIVAL' | 'CC' | 'DATE' | 'FROM' | 'SIZE' | 'SUBJECT' | 'TO' | 'DISPLAYFROM' | 'DISPLAYTO';

export interface SortSpec {
  key: SortKeyName;
  reverse: boolean;
}

export function casemap(s: string): Buffer {
  return Buffer.from(s.replace(/[a-z]/g, (c) => c.toUpperCase()), 'utf8');
}

function firstMailbox(list: EnvelopeAddress[] | null): string {
  return list?.[0]?.mailbox ?? '';
}

function display(list: EnvelopeAddress[] | null): string {
  const a = list?.[0];
  if (!a) return '';
  if (a.host === null) return decodeWords(a.mailbox ?? '');
  if (a.name) return decodeWords(a.name);
  return a.host === 'MISSING_DOMAIN' ? (a.mailbox ?? '') : `${a.mailbox ?? ''}@${a.host}`;
}

/** Sent date (Date header) in ms; the internal date when absent or unparseable (RFC 5256). */
export function sentTime(m: MessageMeta): number {
  const raw = m.parsed?.envelope.date;
  const t = raw ? Date.parse(raw.replace(/\s*\([^)]*\)\s*$/, '')) : NaN;
  return Number.isNaN(t) ? m.receivedAt.getTime() : t;
}

type Key = number | Buffer;

function keyOf(m: MessageMeta, k: SortKeyName): Key {
  const env = () => envelopeFromHeaders(m.parsed!.envelope, m.parsed!.headers);
  switch (k) {
    case 'ARRIVAL':
      return m.receivedAt.getTime();
    case 'SIZE':
      return m.size;
    case 'DATE':
      return sentTime(m);
    case 'SUBJECT':
      return casemap(baseSubject(m.parsed?.envelope.subject ?? null));
    case 'FROM':
      return casemap(firstMailbox(env().from));
    case 'TO':
      return casemap(firstMailbox(env().to));
    case 'CC':
      return casemap(firstMailbox(env().cc));
    case 'DISPLAYFROM':
      return casemap(display(env().from));
    case 'DISPLAYTO':
      return casemap(display(env().to));
  }
}

function compare(a: Key, b: Key): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return Buffer.compare(a as Buffer, b as Buffer);
}

/** Sorts messages (given in ascending UID order) by the criteria; returns UIDs. */
export function sortMessages(metas: MessageMeta[], specs: SortSpec[]): number[] {
  const keyed = metas.map((m) => ({ uid: m.uid, keys: specs.map((s) => keyOf(m, s.key)) }));
  keyed.sort((x, y) => {
    for (let i = 0; i < specs.length; i++) {
      const c = compare(x.keys[i]!, y.keys[i]!);
      if (c !== 0) return specs[i]!.reverse ? -c : c;
    }
    return x.uid - y.uid;
  });
  return keyed.map((k) => k.uid);
}
