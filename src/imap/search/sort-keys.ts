// SORT criteria (RFC 5256 §3, DISPLAYFROM/DISPLAYTO RFC 5957) evaluated over the store's parsed
// summary: the keys were computed at ingest (src/mime/sort-keys.ts) in i;ascii-casemap form; SORT
// compares them under i;unicode-casemap, the default comparator of I18NLEVEL=1 (RFC 5255 §4): the
// UTF-8 octets of their folded forms (RFC 5051 §2). Ties keep ascending UID (= sequence) order.
import type { MessageMeta } from '../../store/types.js';
import { unicodeCasemap } from '../../mime/casemap.js';

export type SortKeyName = 'ARRIVAL' | 'CC' | 'DATE' | 'FROM' | 'SIZE' | 'SUBJECT' | 'TO' | 'DISPLAYFROM' | 'DISPLAYTO';

export interface SortSpec {
  key: SortKeyName;
  reverse: boolean;
}

/** Sent date (Date header) in ms; the internal date when absent or unparseable (RFC 5256). */
export function sentTime(m: MessageMeta): number {
  return m.parsed?.sentAt?.getTime() ?? m.receivedAt.getTime();
}

/** A stored string key as the octets SORT compares: its i;unicode-casemap form. */
export function keyBytes(key: string | undefined): Buffer {
  return Buffer.from(unicodeCasemap(key ?? ''), 'utf8');
}

type Key = number | Buffer;

function keyOf(m: MessageMeta, k: SortKeyName): Key {
  const keys = m.parsed?.sort;
  switch (k) {
    case 'ARRIVAL':
      return m.receivedAt.getTime();
    case 'SIZE':
      return m.size;
    case 'DATE':
      return sentTime(m);
    case 'SUBJECT':
      return keyBytes(keys?.subject);
    case 'FROM':
      return keyBytes(keys?.from);
    case 'TO':
      return keyBytes(keys?.to);
    case 'CC':
      return keyBytes(keys?.cc);
    case 'DISPLAYFROM':
      return keyBytes(keys?.displayFrom);
    case 'DISPLAYTO':
      return keyBytes(keys?.displayTo);
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
