// Address headers → IMAP ENVELOPE addresses (raw names, RFC 3501 group markers) and JMAP
// EmailAddress / EmailAddressGroup (decoded names).
import addressparserLib from 'nodemailer/lib/addressparser/index.js';
import type { EmailAddress, EmailAddressGroup, EnvelopeAddress } from '../types.js';
import { decodeWords } from './decode.js';

interface ParsedAddress {
  name: string;
  address: string;
}
interface ParsedGroup {
  name: string;
  group: ParsedAddress[];
}
type Parsed = ParsedAddress | ParsedGroup;

const addressparser = addressparserLib as unknown as (raw: string) => unknown[];

/** nodemailer's parser, its output narrowed to the shapes used here. */
function parse(raw: string): Parsed[] {
  try {
    return addressparser(raw).map((x) => {
      const o = x as { name?: unknown; address?: unknown; group?: unknown };
      const name = typeof o.name === 'string' ? o.name : '';
      if (Array.isArray(o.group)) return { name, group: (o.group as unknown[]).flatMap((g) => flat(g)) };
      return { name, address: typeof o.address === 'string' ? o.address : '' };
    });
  } catch {
    return [];
  }
}

function flat(x: unknown): ParsedAddress[] {
  const o = x as { name?: unknown; address?: unknown; group?: unknown };
  if (Array.isArray(o.group)) return (o.group as unknown[]).flatMap(flat);
  return [{ name: typeof o.name === 'string' ? o.name : '', address: typeof o.address === 'string' ? o.address : '' }];
}

function split(address: string): { mailbox: string | null; host: string | null } {
  const at = address.lastIndexOf('@');
  if (at < 0) return { mailbox: address || null, host: address ? 'MISSING_DOMAIN' : null };
  return { mailbox: address.slice(0, at), host: address.slice(at + 1) };
}

function envelopeAddress(a: ParsedAddress): EnvelopeAddress | null {
  if (!a.address && !a.name) return null;
  const { mailbox, host } = split(a.address ?? '');
  return { name: a.name ? a.name : null, adl: null, mailbox: mailbox ?? '', host: host ?? 'MISSING_DOMAIN' };
}

export function toEnvelopeAddresses(raw: string | null): EnvelopeAddress[] | null {
  if (raw === null || raw.trim() === '') return null;
  const out: EnvelopeAddress[] = [];
  for (const p of parse(raw)) {
    if ('group' in p) {
      out.push({ name: null, adl: null, mailbox: p.name, host: null });
      for (const g of p.group) {
        const e = envelopeAddress(g);
        if (e) out.push(e);
      }
      out.push({ name: null, adl: null, mailbox: null, host: null });
    } else {
      const e = envelopeAddress(p);
      if (e) out.push(e);
    }
  }
  return out.length ? out : null;
}

function jmapAddress(a: ParsedAddress): EmailAddress {
  return { name: a.name ? decodeWords(a.name) : null, email: a.address ?? '' };
}

/** JMAP `asAddresses`: groups flattened. */
export function toEmailAddresses(raw: string | null): EmailAddress[] | null {
  if (raw === null) return null;
  const out: EmailAddress[] = [];
  for (const p of parse(raw)) {
    if ('group' in p) out.push(...p.group.map(jmapAddress));
    else if (p.address || p.name) out.push(jmapAddress(p));
  }
  return out;
}

/** JMAP `asGroupedAddresses`. */
export function toAddressGroups(raw: string | null): EmailAddressGroup[] | null {
  if (raw === null) return null;
  const out: EmailAddressGroup[] = [];
  for (const p of parse(raw)) {
    if ('group' in p) out.push({ name: decodeWords(p.name), addresses: p.group.map(jmapAddress) });
    else if (p.address || p.name) {
      const last = out[out.length - 1];
      if (last && last.name === null) last.addresses.push(jmapAddress(p));
      else out.push({ name: null, addresses: [jmapAddress(p)] });
    }
  }
  return out;
}

/** `<a@b> <c@d>` → ['a@b', 'c@d']; falls back to whitespace-separated tokens. */
export function parseMessageIds(raw: string | null): string[] | null {
  if (raw === null) return null;
  const ids = [...raw.matchAll(/<([^<>\s]+)>/g)].map((m) => m[1]!);
  if (ids.length) return ids;
  const tokens = raw.split(/[\s,]+/).filter((t) => t.includes('@'));
  return tokens.length ? tokens : null;
}
